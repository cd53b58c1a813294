from typing import Any

from django.conf import settings
from django.http import HttpRequest

from telephony.selectors import connection_needs_sign_in


def ringcentral(request: HttpRequest) -> dict[str, Any]:
    """`ringcentral_sign_in_enabled` (an app is configured) and, for signed-in people,
    `ringcentral_needs_sign_in` (their connection stopped working: the banner shows)."""
    context: dict[str, Any] = {"ringcentral_sign_in_enabled": bool(settings.RINGCENTRAL_CLIENT_ID)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["ringcentral_needs_sign_in"] = connection_needs_sign_in(user=user)
    return context
