"""Writes that tie RingCentral identities to Callboard users."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import User
from crm.roles import AGENTS, assign_role
from telephony.models import RingCentralExtension
from telephony.ringcentral.types import Extension


def user_for_extension(*, extension: Extension) -> User:
    """The user a first sign-in as `extension` lands on: the user an admin linked to this
    extension id in the directory, else a new agent made from the extension."""
    linked = (
        RingCentralExtension.objects.filter(rc_id=extension.id, user__isnull=False)
        .select_related("user")
        .first()
    )
    if linked is not None and linked.user is not None:
        return linked.user
    return user_create_from_extension(extension=extension)


@transaction.atomic
def user_create_from_extension(*, extension: Extension) -> User:
    """A new user in Agents with the extension's name, e-mail and number. The username is the
    e-mail when free, else `rc<extension id>` (then `rc<extension id>-2`, … while taken); no
    password (they sign in with RingCentral)."""
    user = User(
        username=_free_username(extension),
        first_name=extension.first_name[:150],
        last_name=extension.last_name[:150],
        email=extension.email,
        extension_number=extension.extension_number[:16],
    )
    user.set_unusable_password()
    user.save()
    assign_role(user, AGENTS)
    return user


def _free_username(extension: Extension) -> str:
    email = extension.email.lower()[:150]
    fallback = f"rc{extension.id}"
    candidates = [email] if email else []
    candidates += [fallback, *(f"{fallback}-{n}" for n in range(2, 100))]
    for name in candidates:
        if not User.objects.filter(username__iexact=name).exists():
            return name
    raise RuntimeError(f"no free username for extension {extension.id}")


@transaction.atomic
def extension_link_user(*, extension: Extension, user: User) -> RingCentralExtension:
    """Record `extension` in the directory as `user`'s (any other extension linked to them is
    unlinked) and bring `user.extension_number` in step."""
    RingCentralExtension.objects.filter(user=user).exclude(rc_id=extension.id).update(user=None)
    row, _ = RingCentralExtension.objects.update_or_create(
        rc_id=extension.id,
        defaults={**extension_fields(extension), "user": user, "synced_at": timezone.now()},
    )
    if user.extension_number != extension.extension_number:
        user.extension_number = extension.extension_number[:16]
        user.save(update_fields=["extension_number"])
    return row


def extension_fields(extension: Extension) -> dict[str, Any]:
    """The directory columns of one extension record (an unknown account id is left as is)."""
    fields = {
        "extension_number": extension.extension_number[:16],
        "name": extension.name[:255],
        "first_name": extension.first_name[:150],
        "last_name": extension.last_name[:150],
        "email": extension.email[:254],
        "type": extension.type[:32],
        "status": extension.status[:32],
        "in_directory": extension.type == "User" and extension.status == "Enabled",
    }
    if extension.account_id:
        fields["account_id"] = extension.account_id
    return fields
