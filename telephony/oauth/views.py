"""The OAuth2 adapter behind the `ringcentral` provider and its login/callback views.

allauth runs the flow (state, PKCE verifier kept in the session, the redirect, account lookup);
every HTTP call to RingCentral goes through our client. What the sign-in obtained is attached to
the SocialLogin as `ringcentral_grant` for the social-account adapter to store in the vault.
allauth's own token copy (`SocialToken`) is never stored: SOCIALACCOUNT_STORE_TOKENS is off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.http import require_GET, require_http_methods

from telephony.ringcentral.client import TOKEN_PATH, WEB, GrantedToken, RingCentralClient
from telephony.ringcentral.errors import AuthRevoked, RateLimited, RingCentralError
from telephony.ringcentral.ratelimit import user_key
from telephony.ringcentral.types import Extension, TokenSet
from telephony.tokens import revoke_quietly


@dataclass(frozen=True)
class SignInGrant:
    tokens: TokenSet
    extension: Extension


class SignInFailed(OAuth2Error):
    """The sign-in cannot complete. `reason` picks the explanation shown to the person
    (`telephony.oauth.errors.SIGN_IN_ERRORS`); `detail` is RingCentral's own words, if any."""

    def __init__(self, reason: str, detail: str = "", *, retry_after: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after

    @classmethod
    def from_error(cls, exc: RingCentralError, *, step: str) -> SignInFailed:
        code = f" [{exc.error_code}]" if exc.error_code else ""
        if isinstance(exc, RateLimited):
            return cls("rate_limited", exc.message + code, retry_after=exc.retry_after)
        if isinstance(exc, AuthRevoked) and step == "token":
            return cls("code_rejected", exc.message + code)
        return cls(f"{step}_failed", exc.message + code)


def revoke_unused_grant(tokens: TokenSet) -> None:
    """A sign-in that fails after RingCentral granted tokens ends that session (one try):
    nothing will ever use it, and RingCentral allows a user only a few parallel sessions."""
    revoke_quietly(token=tokens.refresh_token or tokens.access_token)


class RingCentralOAuth2Client(OAuth2Client):
    def get_redirect_url(
        self, authorization_url: str, scope: list[str] | str, extra_params: dict[str, Any]
    ) -> str:
        # RingCentral grants the app's configured permissions; send no empty `scope=`.
        url = super().get_redirect_url(authorization_url, scope, extra_params)
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if not (k == "scope" and not v)]
        return urlunsplit(parts._replace(query=urlencode(query)))


class RingCentralOAuth2Adapter(OAuth2Adapter):
    provider_id = "ringcentral"
    client_class = RingCentralOAuth2Client

    @property
    def authorize_url(self) -> str:
        return settings.RINGCENTRAL_SERVER.rstrip("/") + "/restapi/oauth/authorize"

    @property
    def access_token_url(self) -> str:
        return settings.RINGCENTRAL_SERVER.rstrip("/") + TOKEN_PATH

    def get_access_token_data(
        self,
        request: HttpRequest,
        app: SocialApp,
        client: OAuth2Client,
        pkce_code_verifier: str | None = None,
    ) -> dict[str, Any]:
        if not pkce_code_verifier:
            raise SignInFailed("verifier_missing")
        code = request.GET.get("code", "")
        try:
            with RingCentralClient(policy=WEB) as ringcentral:
                self.tokens = ringcentral.exchange_code(
                    code=code, redirect_uri=client.callback_url, code_verifier=pkce_code_verifier
                )
        except RingCentralError as exc:
            raise SignInFailed.from_error(exc, step="token") from exc
        self.did_fetch_access_token = True
        # allauth builds an in-memory SocialToken from this; it is never saved.
        return {"access_token": self.tokens.access_token, "expires_in": self.tokens.expires_in}

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        source = GrantedToken(
            self.tokens.access_token, rate_limit_key=user_key(self.tokens.owner_id or "new")
        )
        try:
            with RingCentralClient(auth=source, policy=WEB) as ringcentral:
                extension = ringcentral.extension_me()
                if not extension.account_id:
                    extension = replace(extension, account_id=ringcentral.account_id())
        except RingCentralError as exc:
            revoke_unused_grant(self.tokens)
            raise SignInFailed.from_error(exc, step="profile") from exc
        login = self.get_provider().sociallogin_from_response(request, asdict(extension))
        login.ringcentral_grant = SignInGrant(tokens=self.tokens, extension=extension)
        return login


# allauth starts a sign-in on any method but GET, OPTIONS and TRACE included, which skip the
# CSRF check: only GET (the page with the button) and POST (the start, CSRF-checked) here.
# RingCentral sends the browser back with a GET.
oauth2_login = require_http_methods(["GET", "POST"])(
    OAuth2LoginView.adapter_view(RingCentralOAuth2Adapter)
)
oauth2_callback = require_GET(OAuth2CallbackView.adapter_view(RingCentralOAuth2Adapter))
