"""allauth adapters: who may sign up, how a RingCentral sign-in becomes a Callboard user."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from crm.models import User
from telephony import services, tokens
from telephony.locks import user_lock_for_sign_in
from telephony.oauth.errors import sign_in_error_response
from telephony.oauth.views import SignInFailed, SignInGrant, revoke_unused_grant


def user_display(user: User) -> str:
    """How allauth names a person in its messages ("Successfully signed in as …")."""
    return user.get_full_name() or user.get_username()


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # no self-service local accounts; people arrive through RingCentral


class RingCentralSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def list_apps(
        self, request: HttpRequest, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        """The one app, from RINGCENTRAL_CLIENT_ID/SECRET (read per request, never cached)."""
        if provider not in (None, "ringcentral") or not settings.RINGCENTRAL_CLIENT_ID:
            return []
        if client_id and client_id != settings.RINGCENTRAL_CLIENT_ID:
            return []
        return [
            SocialApp(
                provider="ringcentral",
                name="RingCentral",
                client_id=settings.RINGCENTRAL_CLIENT_ID,
                secret=settings.RINGCENTRAL_CLIENT_SECRET,
            )
        ]

    def get_app(
        self, request: HttpRequest, provider: str, client_id: str | None = None
    ) -> SocialApp:
        apps = self.list_apps(request, provider=provider, client_id=client_id)
        if not apps:
            raise ImmediateHttpResponse(sign_in_error_response(request, "not_configured"))
        return apps[0]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """The sign-in succeeded at RingCentral. Find the user by extension id (a linked social
        account, or an extension an admin linked beforehand) or create one in Agents; then store
        the tokens in the vault. All in one transaction: a refusal stores nothing."""
        grant: SignInGrant = sociallogin.ringcentral_grant
        try:
            with transaction.atomic():
                if sociallogin.is_existing:
                    user = sociallogin.user
                else:
                    user = services.user_for_extension(extension=grant.extension)
                # Locked: a deactivation committing meanwhile either comes first (refused
                # here) or waits and then ends the session stored below (cti.users).
                if user.pk is not None:
                    user = user_lock_for_sign_in(user_id=user.pk)
                if not user.is_active:
                    raise ImmediateHttpResponse(sign_in_error_response(request, "inactive"))
                if not sociallogin.is_existing:
                    sociallogin.connect(request, user)
                services.extension_link_user(extension=grant.extension, user=user)
                tokens.connection_save_sign_in(
                    user=user, tokens=grant.tokens, extension=grant.extension
                )
        except BaseException:
            revoke_unused_grant(grant.tokens)
            raise

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: BaseException | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        extra_context = extra_context or {}
        detail, retry_after = "", None
        if "state" not in extra_context:
            reason = "state_mismatch"
        elif isinstance(exception, SignInFailed):
            reason, detail, retry_after = exception.reason, exception.detail, exception.retry_after
        elif error == AuthError.CANCELLED:
            reason = "denied"
        elif request.GET.get("error"):
            reason = "provider_error"
            detail = request.GET.get("error_description") or request.GET["error"]
        elif "code" not in request.GET:
            reason = "no_code"
        else:
            reason = "provider_error"
            detail = str(exception or "")
        raise ImmediateHttpResponse(
            sign_in_error_response(request, reason, detail=detail[:300], retry_after=retry_after)
        )
