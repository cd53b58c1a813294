from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest


class CtiConfig(AppConfig):
    name = "cti"
    verbose_name = "Live calls"

    def ready(self) -> None:
        from cti import checks  # noqa: F401 - registers the system checks
        from cti.events import publish_ringcentral_needs_sign_in
        from telephony.notifications import install_needs_reauth_notifier

        install_needs_reauth_notifier(publish_ringcentral_needs_sign_in)
        user_logged_out.connect(_close_live_sockets, dispatch_uid="cti.close_live_sockets")


def _close_live_sockets(
    sender: object, request: HttpRequest | None, user: object, **kwargs: Any
) -> None:
    from cti.events import end_session_sockets

    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        end_session_sockets(session_key=session_key)
