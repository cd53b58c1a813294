"""The address a request came from, for log-in throttling (django-axes'
AXES_CLIENT_IP_CALLABLE, set with BEHIND_TLS_PROXY)."""

import ipaddress

from django.http import HttpRequest


def forwarded_client_ip(request: HttpRequest) -> str:
    """The last address in X-Forwarded-For: the one our proxy saw and appended. Earlier entries
    came from the client and can say anything. Without a valid one, the proxy's own address."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        # daphne on a unix socket (-u) knows no peer address at all.
        proxy: str = request.META.get("REMOTE_ADDR") or "unknown"
        return proxy
