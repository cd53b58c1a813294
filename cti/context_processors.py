from typing import Any

from django.http import HttpRequest

from crm.roles import is_supervisor, sees_all_logs


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_supervisor": is_supervisor(user),
        "nav_is_admin": user.is_staff,
        "nav_sees_all_logs": sees_all_logs(user),
    }
