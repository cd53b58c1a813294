"""Every live payload pushed to browsers is defined here, with one way to publish it.

The caller chooses the recipients (a user's group, or the supervisors); consumers only forward.
Publish after the transaction that caused the event has committed (`publish_on_commit`).
"""

import hashlib
import logging
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger(__name__)

SUPERVISORS_GROUP = "supervisors"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    """The sockets opened with one sign-in session (named by a hash: no session key in Redis)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def end_session_sockets(*, session_key: str) -> None:
    """Close the live sockets of a session that signed out: they stop receiving the user's
    events at once, not when the tab next reloads. Best effort, like `publish`."""
    _end_sockets(session_group(session_key))


def end_user_sockets(*, user_id: int) -> None:
    """Close every live socket of a user (deactivated: none of their sessions may listen on)."""
    _end_sockets(user_group(user_id))


def _end_sockets(group: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "session.ended"})
    except Exception:
        logger.exception("live sockets of %s not closed", group.split(".")[0])


class NoticeEvent(TypedDict):
    """A message for the person at the screen (e.g. their RingCentral connection needs sign-in)."""

    type: Literal["notice"]
    level: Literal["info", "warning", "error"]
    code: str
    message: str


class RingCentralNeedsSignInEvent(TypedDict):
    """The person's RingCentral connection stopped working (refresh refused, session revoked):
    show the sign-in banner. Sent once, when the connection changes to needs-sign-in."""

    type: Literal["ringcentral.needs_reauth"]
    message: str
    sign_in_url: str


LiveEvent = NoticeEvent | RingCentralNeedsSignInEvent


def publish(*, groups: list[str], event: LiveEvent) -> None:
    """Send one event to every socket in the given groups.

    Best effort: a failure is logged and never raised into the caller's business logic. The
    database stays the source of truth; a page that missed an event reloads state on reconnect.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, {"type": "live.event", "event": dict(event)})
        except Exception:
            logger.exception("live event %s to %s not published", event.get("type"), group)


def publish_on_commit(*, groups: list[str], event: LiveEvent) -> None:
    transaction.on_commit(lambda: publish(groups=groups, event=event))


def publish_ringcentral_needs_sign_in(user_id: int) -> None:
    """Tell one person, after the current transaction commits, to sign in with RingCentral
    again. Installed as telephony's needs-reauth notifier (see `CtiConfig.ready`)."""
    event: RingCentralNeedsSignInEvent = {
        "type": "ringcentral.needs_reauth",
        "message": "Your RingCentral connection has stopped working. Sign in with RingCentral "
        "again to keep calls and messages flowing.",
        "sign_in_url": reverse("ringcentral_login"),
    }
    publish_on_commit(groups=[user_group(user_id)], event=event)
