"""What ends with a person's access: a user deactivated or deleted keeps no RingCentral session
and no open live socket. Django itself refuses an inactive user's sessions on their next
request; these end what Django does not know about."""

from django.db import transaction

from crm.models import User
from cti.events import end_user_sockets
from telephony import tokens


def user_access_end(*, user: User) -> None:
    """After `user` is deactivated: forget their RingCentral tokens and revoke the session
    (once, after commit), and close their live sockets after commit. Idempotent."""
    tokens.connection_sign_out(user=user, detail="User deactivated")
    user_id = user.pk
    transaction.on_commit(lambda: end_user_sockets(user_id=user_id))


def user_delete(*, user: User) -> None:
    """Delete `user`, ending their RingCentral session first (their connection row goes with
    them, and a session nobody holds the tokens of could never be revoked)."""
    with transaction.atomic():
        user_access_end(user=user)
        user.delete()
