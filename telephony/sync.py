"""The directory sync: the account's user extensions, mirrored into RingCentralExtension."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from telephony.models import RingCentralConnection, RingCentralExtension
from telephony.ringcentral.client import TASK, RetryPolicy, RingCentralClient
from telephony.services import extension_fields
from telephony.tokens import account_connection_get, client_for_connection

SYNCED_FIELDS = [
    "account_id",
    "extension_number",
    "name",
    "first_name",
    "last_name",
    "email",
    "type",
    "status",
    "in_directory",
    "synced_at",
]


@dataclass(frozen=True)
class DirectorySyncResult:
    listed: int
    delisted: int
    linked: int
    numbers_updated: int


def directory_sync_account(*, policy: RetryPolicy = TASK) -> DirectorySyncResult:
    """`directory_sync` through the account connection. Raises NoAccountConnection,
    ConnectionNeedsSignIn, and the client's errors."""
    connection = account_connection_get()
    with client_for_connection(connection, policy=policy) as client:
        return directory_sync(client=client, account_id=connection.account_id)


def directory_sync(*, client: RingCentralClient, account_id: str = "") -> DirectorySyncResult:
    """Page through the account's extensions (type User, status Enabled) and upsert each by its
    extension id, under `account_id` (asked of RingCentral when not given). Only after the
    whole list was read: extensions no longer listed are marked `in_directory=False`, unlinked
    rows are linked to the user who signs in as that extension, and linked users'
    `extension_number` is brought in step. Idempotent; a failure part-way leaves earlier pages
    upserted and nothing delisted."""
    now = timezone.now()
    account_id = account_id or client.account_id()
    seen: set[int] = set()
    batch: dict[int, RingCentralExtension] = {}  # by id: a page may repeat a record
    for extension in client.account_extensions(types=("User",), statuses=("Enabled",)):
        fields = extension_fields(extension)
        fields.setdefault("account_id", account_id)
        batch[extension.id] = RingCentralExtension(rc_id=extension.id, synced_at=now, **fields)
        seen.add(extension.id)
        if len(batch) >= 500:
            _upsert(list(batch.values()))
            batch = {}
    _upsert(list(batch.values()))
    with transaction.atomic():
        delisted = (
            RingCentralExtension.objects.filter(in_directory=True)
            .exclude(rc_id__in=seen)
            .update(in_directory=False)
        )
        linked = _link_signed_in_users()
        numbers = _sync_extension_numbers()
    return DirectorySyncResult(
        listed=len(seen), delisted=delisted, linked=linked, numbers_updated=numbers
    )


def _upsert(rows: list[RingCentralExtension]) -> None:
    if rows:
        RingCentralExtension.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["rc_id"], update_fields=SYNCED_FIELDS
        )


def _link_signed_in_users() -> int:
    """Link unlinked extensions to the user whose RingCentral connection is that extension."""
    linked = 0
    connections = RingCentralConnection.objects.filter(
        kind=RingCentralConnection.Kind.USER, extension_id__regex=r"^[0-9]+$"
    ).exclude(user__ringcentral_extension__isnull=False)
    for connection in connections:
        linked += RingCentralExtension.objects.filter(
            rc_id=int(connection.extension_id), user__isnull=True
        ).update(user_id=connection.user_id)
    return linked


def _sync_extension_numbers() -> int:
    number = RingCentralExtension.objects.filter(user_id=OuterRef("pk")).values("extension_number")
    return (
        get_user_model()
        .objects.filter(ringcentral_extension__in_directory=True)
        .exclude(extension_number=F("ringcentral_extension__extension_number"))
        .update(extension_number=Subquery(number[:1]))
    )
