"""Named row locks. Each one is taken inside a short transaction and says why it exists."""

from crm.models import User
from telephony.models import RingCentralConnection


def connection_lock_for_token_change(*, connection_id: int) -> RingCentralConnection:
    """Lock one connection row until the transaction ends and return it as committed now.

    Refresh tokens are single-use: two workers refreshing with the same one would invalidate
    each other's session. Everyone who changes a connection's tokens or status takes this lock
    first and decides from the row it returns, so the second of two concurrent refreshers sees
    the first one's new pair and uses it instead of refreshing again.
    """
    return RingCentralConnection.objects.select_for_update().get(pk=connection_id)


def connection_lock_for_user(*, user_id: int) -> RingCentralConnection | None:
    """The same lock, found by the connection's owner (sign-in, sign-out)."""
    return RingCentralConnection.objects.select_for_update().filter(user_id=user_id).first()


def user_lock_for_sign_in(*, user_id: int) -> User:
    """Lock a user's row for a sign-in and return it as committed now.

    Deactivating someone writes this row and then ends their RingCentral session. With the
    lock, a sign-in at the same moment either sees the deactivation (and is refused) or makes
    the deactivation wait until the tokens it stores are committed, which the deactivation then
    forgets and revokes. Without it the sign-in could store a live session for a user who was
    just deactivated.
    """
    return User.objects.select_for_update().get(pk=user_id)
