"""Turns a RingCentral failure that a view did not handle into a clear page, never a 500."""

import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from telephony.ringcentral.errors import (
    AuthRevoked,
    NotFound,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RingCentralError,
)
from telephony.tokens import NoAccountConnection


class RingCentralErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RingCentralError | NoAccountConnection):
            return None
        headers = {}
        if isinstance(exception, RateLimited):
            wait = math.ceil(exception.retry_after)
            status, title = 429, "RingCentral asks us to slow down"
            message = f"Too many requests reached RingCentral. Try again in {wait} seconds."
            headers["Retry-After"] = str(wait)
        elif isinstance(exception, AuthRevoked):
            status, title = 401, "Sign in with RingCentral again"
            message = "Your RingCentral connection has ended. Sign in with RingCentral again."
        elif isinstance(exception, NoAccountConnection):
            status, title, message = 503, "No RingCentral account connection", str(exception)
        elif isinstance(exception, PermissionMissing):
            status, title = 403, "RingCentral refused: permission missing"
            message = exception.message
        elif isinstance(exception, NotFound):
            status, title, message = 404, "Not found at RingCentral", exception.message
        elif isinstance(exception, ProviderError):
            status, title = 502, "RingCentral is not answering properly"
            message = "RingCentral failed or did not answer in time. Try again in a moment."
        else:
            status, title = 502, "RingCentral refused the request"
            message = exception.message
        template = "telephony/provider_error.html"
        if request.headers.get("HX-Request"):
            # htmx swaps only 2xx answers; a fragment request gets its message swapped in.
            template, status = "telephony/_provider_error.html", 200
        context = {
            "title": title,
            "message": message,
            "error_code": getattr(exception, "error_code", ""),
            "needs_sign_in": isinstance(exception, AuthRevoked),
        }
        response = render(request, template, context, status=status)
        for name, value in headers.items():
            response[name] = value
        return response
