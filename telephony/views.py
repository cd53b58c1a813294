from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.http import AuthenticatedHttpRequest
from telephony import selectors, tokens


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """POST: revoke the person's RingCentral session (one try, errors ignored), then end the
    Django session. GET (a typed or bookmarked /logout/) only asks: signing out on a GET would
    let any page sign people out."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, "registration/logout_confirm.html")
    if request.user.is_authenticated:
        tokens.connection_sign_out(user=request.user)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_GET
@login_required
def connection(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "telephony/connection.html",
        {"connection": selectors.connection_for_user(user=request.user)},
    )


@require_POST
@login_required
def connection_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask RingCentral who this connection is. Failures become clear messages (middleware)."""
    with tokens.client_for_user(request.user) as client:
        extension = client.extension_me()
    return render(request, "telephony/_connection_check.html", {"extension": extension})
