import logging
import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cti.health import health_report

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Public for load balancers and monitors; the details (error text, worker host names)
    only in development or for staff."""
    healthy, report = health_report()
    if not _shows_health_details(request):
        for check in report["checks"].values():
            check.pop("detail", None)
    response = JsonResponse(report, status=200 if healthy else 503)
    if not healthy:
        # A 503 here is the answer a probe asks for, not a failure of this request: say what is
        # down (django.request would log a bare "Service Unavailable" as an error).
        down = [name for name, check in report["checks"].items() if check["status"] != "ok"]
        logger.info("healthz: down: %s", ", ".join(down))
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own marker
    return response


def _shows_health_details(request: HttpRequest) -> bool:
    if settings.DEBUG:
        return True
    try:
        return request.user.is_staff
    except DatabaseError:
        # Sessions live in the database: when it is down the report says so, without details.
        return False


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Pages that don't name an icon (Django admin) make browsers ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "cti/home.html")


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """django-axes' answer (AXES_LOCKOUT_CALLABLE) to a log-in from a user name and address that
    failed too often: when to try again, on the page and in Retry-After. Every try meanwhile is
    counted as a failure, so the wait starts again from now."""
    retry_at = timezone.now() + get_cool_off(request)
    wait = math.ceil((retry_at - timezone.now()).total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "minutes": math.ceil(wait / 60)},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
