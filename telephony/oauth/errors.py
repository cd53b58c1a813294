"""What a person is told when signing in with RingCentral fails. Nothing is stored in any case."""

import math
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class SignInError:
    title: str
    explanation: str
    status: int


SIGN_IN_ERRORS: dict[str, SignInError] = {
    "state_mismatch": SignInError(
        "This sign-in was not started here",
        "The answer from RingCentral does not belong to a sign-in started in this browser: it "
        "is stale, was already used, or came from somewhere else. Start again from the sign-in "
        "page.",
        400,
    ),
    "verifier_missing": SignInError(
        "This sign-in cannot be verified",
        "The proof that this browser started the sign-in (the PKCE verifier) is missing, so "
        "the answer from RingCentral was not used. Start again from the sign-in page.",
        400,
    ),
    "code_rejected": SignInError(
        "RingCentral refused the sign-in",
        "RingCentral did not accept the sign-in code: it was already used, it expired, or the "
        "proof that this browser started the sign-in (the PKCE verifier) did not match.",
        400,
    ),
    "denied": SignInError(
        "You declined access",
        "You chose not to let Callboard use your RingCentral account, so you are not signed in.",
        403,
    ),
    "provider_error": SignInError(
        "RingCentral could not sign you in",
        "RingCentral ended the sign-in with an error.",
        400,
    ),
    "no_code": SignInError(
        "RingCentral sent no sign-in code",
        "The answer from RingCentral had neither a code nor an error. Start again.",
        400,
    ),
    "token_failed": SignInError(
        "RingCentral's token service failed",
        "RingCentral did not issue tokens for this sign-in. Try again in a moment; if it keeps "
        "happening, an admin should check the app's RingCentral client id and secret.",
        502,
    ),
    "profile_failed": SignInError(
        "Your RingCentral profile could not be read",
        "RingCentral issued tokens but did not return your extension. Try again in a moment.",
        502,
    ),
    "rate_limited": SignInError(
        "RingCentral asks us to slow down",
        "Too many sign-ins reached RingCentral at once.",
        429,
    ),
    "not_configured": SignInError(
        "Sign in with RingCentral is not set up",
        "This Callboard has no RingCentral app configured (RINGCENTRAL_CLIENT_ID). An admin "
        "needs to set it.",
        503,
    ),
    "inactive": SignInError(
        "This account is disabled",
        "Your RingCentral extension belongs to a Callboard account that an admin has deactivated.",
        403,
    ),
}


def sign_in_error_response(
    request: HttpRequest, reason: str, *, detail: str = "", retry_after: float | None = None
) -> HttpResponse:
    error = SIGN_IN_ERRORS.get(reason) or SIGN_IN_ERRORS["provider_error"]
    response = render(
        request,
        "telephony/sign_in_error.html",
        {
            "error": error,
            "reason": reason,
            "detail": detail,
            "retry_after": math.ceil(retry_after) if retry_after is not None else None,
        },
        status=error.status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(math.ceil(retry_after))
    return response
