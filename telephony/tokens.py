"""The token vault: each connection's tokens, encrypted at rest, refreshed before they expire.

Contract:
- Tokens are written only here, and only as ciphertext (`telephony.crypto`).
- `access_token_get` refreshes proactively, `margin` seconds before expiry, under the row lock
  of `connection_lock_for_token_change`, re-reading the row once locked: whoever refreshed first
  wins and everyone else uses their token. The rotated pair is saved in the same transaction.
- A refused refresh (`invalid_grant`: revoked session, used or expired refresh token) marks the
  connection `needs_reauth` once, tells its owner, and from then on every ask raises
  `ConnectionNeedsSignIn` without calling RingCentral, until the person signs in again.
- Revocation (sign-out, a replaced session) is one try; its errors are logged and ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from crm.models import User
from telephony import crypto, notifications
from telephony.locks import connection_lock_for_token_change, connection_lock_for_user
from telephony.models import RingCentralConnection
from telephony.ringcentral import ratelimit
from telephony.ringcentral.client import ONCE, WEB, RetryPolicy, RingCentralClient
from telephony.ringcentral.errors import AuthRevoked, ProviderError, RingCentralError
from telephony.ringcentral.types import Extension, TokenSet

logger = logging.getLogger(__name__)
REVOKE_TIMEOUT = 3.0  # seconds

Status = RingCentralConnection.Status
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired


class ConnectionNeedsSignIn(AuthRevoked):
    """The connection cannot be used until its owner signs in with RingCentral again."""


class NoAccountConnection(Exception):
    """Account-wide work has no connection: designate one in Django admin or set
    RINGCENTRAL_JWT."""


# --- reading a token ----------------------------------------------------------------------


def access_token_get(*, connection_id: int) -> str:
    """A working access token for the connection, refreshed first when it expires within the
    refresh margin. Raises ConnectionNeedsSignIn; RingCentralError when RingCentral could not
    be asked (rate limited, down) — the connection then stays as it was."""
    connection = (
        RingCentralConnection.objects.select_related("user").filter(pk=connection_id).first()
    )
    if connection is None:
        raise ConnectionNeedsSignIn("the RingCentral connection was removed", error_code="gone")
    _ensure_usable(connection)
    if not _expiring(connection):
        try:
            return crypto.decrypt(connection.access_token_ciphertext)
        except crypto.UndecryptableSecret:
            pass  # the locked path records it
    return _refresh(connection_id=connection_id, rejected=None)


def access_token_after_rejection(*, connection_id: int, rejected: str) -> str:
    """RingCentral answered 401 to `rejected`: refresh now, unless another worker already
    replaced that token (then use theirs). Raises ConnectionNeedsSignIn."""
    return _refresh(connection_id=connection_id, rejected=rejected)


class ConnectionTokens:
    """The client's `TokenSource` for one connection."""

    def __init__(self, connection: RingCentralConnection) -> None:
        self.connection_id = connection.pk
        self.rate_limit_key = _rate_limit_key(connection)

    def access_token(self) -> str:
        return access_token_get(connection_id=self.connection_id)

    def access_token_rejected(self, rejected: str) -> str:
        return access_token_after_rejection(connection_id=self.connection_id, rejected=rejected)


def client_for_connection(
    connection: RingCentralConnection, *, policy: RetryPolicy = WEB
) -> RingCentralClient:
    return RingCentralClient(auth=ConnectionTokens(connection), policy=policy)


def client_for_user(user: User, *, policy: RetryPolicy = WEB) -> RingCentralClient:
    """A client acting as `user`. Raises ConnectionNeedsSignIn when they have no usable
    connection."""
    connection = (
        RingCentralConnection.objects.select_related("user").filter(user_id=user.pk).first()
    )
    if connection is None:
        raise ConnectionNeedsSignIn("you have not signed in with RingCentral yet")
    _ensure_usable(connection)
    return client_for_connection(connection, policy=policy)


def client_for_account(*, policy: RetryPolicy = WEB) -> RingCentralClient:
    """A client for account-wide work (the account connection). Raises NoAccountConnection,
    ConnectionNeedsSignIn."""
    connection = account_connection_get()
    _ensure_usable(connection)
    return client_for_connection(connection, policy=policy)


# --- refresh ------------------------------------------------------------------------------


def _refresh(*, connection_id: int, rejected: str | None) -> str:
    try:
        return _refresh_locked(connection_id=connection_id, rejected=rejected)
    except RingCentralConnection.DoesNotExist as exc:
        raise ConnectionNeedsSignIn(
            "the RingCentral connection was removed", error_code="gone"
        ) from exc
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise ProviderError(
            "another worker is still renewing this RingCentral session; try again shortly"
        ) from exc


def _refresh_locked(*, connection_id: int, rejected: str | None) -> str:
    refused: RingCentralError | crypto.UndecryptableSecret | None = None
    with transaction.atomic():
        _bound_lock_wait()
        connection = connection_lock_for_token_change(connection_id=connection_id)
        _ensure_usable(connection)
        try:
            current = crypto.decrypt(connection.access_token_ciphertext)
            refresh_token = crypto.decrypt(connection.refresh_token_ciphertext)
        except crypto.UndecryptableSecret as exc:
            refused = exc
        else:
            if current and current != rejected and not _expiring(connection):
                return current  # someone else refreshed while we waited for the lock
            try:
                tokens = _new_tokens(connection, refresh_token)
            except AuthRevoked as exc:
                refused = exc
            else:
                _store_tokens(connection, tokens)
                return tokens.access_token
        _mark_needs_reauth(connection, detail=_detail(refused))
    raise ConnectionNeedsSignIn(
        "RingCentral refused to renew the session; sign in again", error_code="needs_reauth"
    ) from refused


def _new_tokens(connection: RingCentralConnection, refresh_token: str) -> TokenSet:
    """Ask RingCentral for a fresh pair: the refresh grant, or for the JWT connection the JWT
    grant when there is no usable refresh token. Raises AuthRevoked when refused."""
    now = timezone.now()
    refresh_alive = refresh_token and (
        connection.refresh_token_expires_at is None or connection.refresh_token_expires_at > now
    )
    with RingCentralClient(policy=WEB) as client:
        key = _rate_limit_key(connection)
        if connection.kind == RingCentralConnection.Kind.JWT:
            if refresh_alive:
                try:
                    return client.refresh(refresh_token=refresh_token, rate_limit_key=key)
                except AuthRevoked:
                    logger.info("JWT connection's refresh token refused; using the JWT grant")
            if not settings.RINGCENTRAL_JWT:
                raise AuthRevoked("RINGCENTRAL_JWT is no longer configured")
            return client.jwt_grant(assertion=settings.RINGCENTRAL_JWT, rate_limit_key=key)
        if not refresh_alive:
            raise AuthRevoked("the RingCentral sign-in has expired")
        return client.refresh(refresh_token=refresh_token, rate_limit_key=key)


def _store_tokens(connection: RingCentralConnection, tokens: TokenSet) -> None:
    now = timezone.now()
    connection.access_token_ciphertext = crypto.encrypt(tokens.access_token)
    if tokens.refresh_token:
        connection.refresh_token_ciphertext = crypto.encrypt(tokens.refresh_token)
        connection.refresh_token_expires_at = _expiry(now, tokens.refresh_token_expires_in)
    connection.access_token_issued_at = now
    connection.access_token_expires_at = _expiry(now, tokens.expires_in)
    connection.scopes = tokens.scope or connection.scopes
    connection.session_id = tokens.session_id or connection.session_id
    if tokens.owner_id and not connection.extension_id:
        connection.extension_id = tokens.owner_id
    connection.last_refreshed_at = now
    if connection.status != Status.ACTIVE:
        connection.status, connection.status_changed_at = Status.ACTIVE, now
    connection.status_detail = ""
    connection.save()


def _mark_needs_reauth(connection: RingCentralConnection, *, detail: str) -> None:
    """Inside the connection's lock: flip it to needs_reauth once and tell its owner."""
    if connection.status == Status.NEEDS_REAUTH:
        return
    connection.status = Status.NEEDS_REAUTH
    connection.status_detail = detail[:255]
    connection.status_changed_at = timezone.now()
    connection.save(update_fields=["status", "status_detail", "status_changed_at", "updated_at"])
    logger.warning("RingCentral connection %s needs sign-in: %s", connection.pk, detail)
    if connection.user_id:
        notifications.connection_needs_reauth(user_id=connection.user_id)


def _ensure_usable(connection: RingCentralConnection) -> None:
    if connection.user is not None and not connection.user.is_active:
        # Deactivating a user ends their session (cti.users); this holds however it was done.
        raise ConnectionNeedsSignIn("this user is deactivated", error_code="user_inactive")
    if connection.status == Status.ACTIVE:
        return
    if connection.status == Status.SIGNED_OUT:
        raise ConnectionNeedsSignIn("signed out of RingCentral", error_code="signed_out")
    raise ConnectionNeedsSignIn(
        "the RingCentral connection needs you to sign in again", error_code="needs_reauth"
    )


def _expiring(connection: RingCentralConnection) -> bool:
    """True when the access token is missing or inside the refresh margin: the configured
    margin, but at most a quarter of the token's lifetime (short test lifetimes stay usable)."""
    expires, issued = connection.access_token_expires_at, connection.access_token_issued_at
    if not connection.access_token_ciphertext or expires is None:
        return True
    margin = timedelta(seconds=settings.RINGCENTRAL_REFRESH_MARGIN)
    if issued is not None:
        margin = min(margin, (expires - issued) / 4)
    return timezone.now() >= expires - margin


def _bound_lock_wait() -> None:
    """Waiting for a refresher is bounded by its HTTP timeout; don't wait forever behind a
    stuck one. (PostgreSQL only; SQLite's IMMEDIATE transactions have their own timeout.)"""
    from django.db import connection as db

    if db.vendor == "postgresql":
        seconds = int(settings.RINGCENTRAL_HTTP_TIMEOUT) * 3 + 5
        with db.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{seconds}s'")


def _expiry(now: datetime, seconds: int | None) -> datetime | None:
    return now + timedelta(seconds=seconds) if seconds else None


def _rate_limit_key(connection: RingCentralConnection) -> str:
    if connection.extension_id:
        return ratelimit.user_key(connection.extension_id)
    return f"conn{connection.pk}"


def _detail(exc: BaseException | None) -> str:
    if isinstance(exc, crypto.UndecryptableSecret):
        return "Stored tokens cannot be decrypted (was their encryption key removed?)"
    if isinstance(exc, RingCentralError):
        code = f" [{exc.error_code}]" if exc.error_code else ""
        return f"Refresh refused: {exc.message}{code}"
    return "Refresh refused"


# --- sign-in, sign-out --------------------------------------------------------------------


def connection_save_sign_in(
    *, user: User, tokens: TokenSet, extension: Extension
) -> RingCentralConnection:
    """Store the tokens of a completed sign-in as `user`'s connection (created or replaced)
    and make it active. The session it replaces, if any, is revoked after commit."""
    with transaction.atomic():
        row, _ = RingCentralConnection.objects.get_or_create(
            user=user,
            defaults={"kind": RingCentralConnection.Kind.USER, "status": Status.SIGNED_OUT},
        )
        connection = connection_lock_for_token_change(connection_id=row.pk)
        replaced = _any_token(connection)
        connection.account_id = extension.account_id or connection.account_id
        connection.extension_id = str(extension.id)
        connection.refresh_token_ciphertext = ""
        connection.refresh_token_expires_at = None
        connection.session_id = ""
        _store_tokens(connection, tokens)
        if replaced:
            transaction.on_commit(lambda: revoke_quietly(token=replaced))
    return connection


def connection_sign_out(*, user: User, detail: str = "Signed out") -> None:
    """End `user`'s RingCentral session: forget the tokens (status signed_out, `detail` says
    why) and, after commit, revoke the session once, ignoring any error (RingCentral asks
    clients never to retry a revoke). Nothing to do when they have no connection."""
    with transaction.atomic():
        connection = connection_lock_for_user(user_id=user.pk)
        if connection is None:
            return
        token = _any_token(connection)
        connection.access_token_ciphertext = connection.refresh_token_ciphertext = ""
        connection.access_token_expires_at = connection.refresh_token_expires_at = None
        connection.access_token_issued_at = None
        connection.status, connection.status_detail = Status.SIGNED_OUT, detail
        connection.status_changed_at = timezone.now()
        connection.save()
        if token:
            transaction.on_commit(lambda: revoke_quietly(token=token))


def connection_delete(*, connection_id: int) -> None:
    """Delete a connection and end its RingCentral session (once, after commit, errors
    ignored), so no session outlives the row that could have used it."""
    with transaction.atomic():
        connection = connection_lock_for_token_change(connection_id=connection_id)
        token = _any_token(connection)
        connection.delete()
        if token:
            transaction.on_commit(lambda: revoke_quietly(token=token))


def revoke_quietly(*, token: str) -> None:
    try:
        # Short: this runs in the logout request, and nobody waits for a revoke's answer.
        with RingCentralClient(policy=ONCE, timeout=REVOKE_TIMEOUT) as client:
            client.revoke(token=token)
    except RingCentralError as exc:
        logger.info("RingCentral revoke failed, ignored as the API asks: %s", exc)


def _any_token(connection: RingCentralConnection) -> str:
    """The refresh token (it outlives the access token), else the access token; "" if none
    can be read. Either one revokes the whole session."""
    for ciphertext in (connection.refresh_token_ciphertext, connection.access_token_ciphertext):
        try:
            if token := crypto.decrypt(ciphertext):
                return token
        except crypto.UndecryptableSecret:
            continue
    return ""


# --- the account connection ---------------------------------------------------------------


def account_connection_get() -> RingCentralConnection:
    """The connection account-wide work uses: the one flagged `is_account_connection`. When
    none is flagged and RINGCENTRAL_JWT is set, the JWT connection is created (tokens come on
    first use, through the JWT grant) and flagged. Raises NoAccountConnection."""
    connection = RingCentralConnection.objects.filter(is_account_connection=True).first()
    if connection is not None:
        return connection
    if not settings.RINGCENTRAL_JWT:
        raise NoAccountConnection(
            "No RingCentral account connection: designate one in Django admin "
            "(RingCentral connections → action) or set RINGCENTRAL_JWT."
        )
    try:
        with transaction.atomic():
            connection, _ = RingCentralConnection.objects.get_or_create(
                kind=RingCentralConnection.Kind.JWT, defaults={"status": Status.ACTIVE}
            )
            connection.is_account_connection = True
            connection.save(update_fields=["is_account_connection", "updated_at"])
    except IntegrityError:
        pass  # another worker flagged one at the same moment; use theirs
    return RingCentralConnection.objects.get(is_account_connection=True)


def connection_designate_account(*, connection_id: int) -> RingCentralConnection:
    """Make this connection the account connection (and no other). Two designations at once
    both find no other to unset; the unique constraint refuses the second, which then tries
    again and sees the first: the last one wins."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                RingCentralConnection.objects.filter(is_account_connection=True).exclude(
                    pk=connection_id
                ).update(is_account_connection=False)
                connection = connection_lock_for_token_change(connection_id=connection_id)
                connection.is_account_connection = True
                connection.save(update_fields=["is_account_connection", "updated_at"])
            return connection
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# --- key rotation -------------------------------------------------------------------------


def connection_reencrypt_all() -> tuple[int, list[int]]:
    """Re-encrypt every stored token under the newest key, one locked row at a time.
    Returns (rows re-encrypted, ids of rows no configured key can decrypt; left unchanged)."""
    done, undecryptable = 0, []
    for connection_id in RingCentralConnection.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            connection = connection_lock_for_token_change(connection_id=connection_id)
            try:
                access = crypto.reencrypt(connection.access_token_ciphertext)
                refresh = crypto.reencrypt(connection.refresh_token_ciphertext)
            except crypto.UndecryptableSecret:
                undecryptable.append(connection_id)
                continue
            connection.access_token_ciphertext = access
            connection.refresh_token_ciphertext = refresh
            connection.save(update_fields=["access_token_ciphertext", "refresh_token_ciphertext"])
            done += 1
    return done, undecryptable
