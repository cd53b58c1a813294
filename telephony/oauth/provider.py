"""The django-allauth provider `ringcentral`: authorization code with PKCE (S256) and `state`."""

from typing import Any

from allauth.socialaccount.providers.base import AuthProcess, ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from django.http import HttpRequest

from telephony.oauth.views import RingCentralOAuth2Adapter


class RingCentralAccount(ProviderAccount):
    def to_str(self) -> str:
        data = self.account.extra_data
        return f"{data.get('name') or ''} (ext. {data.get('extension_number') or '?'})".strip()


class RingCentralProvider(OAuth2Provider):
    id = "ringcentral"
    name = "RingCentral"
    account_class = RingCentralAccount
    oauth2_adapter_class = RingCentralOAuth2Adapter

    def get_pkce_params(self) -> dict[str, str]:
        # Always on, whatever a settings entry says: public clients depend on it.
        return generate_code_challenge()

    def get_redirect_from_request_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        # Only plain sign-in: no "connect" to another local user, whatever the query says.
        return {**super().get_redirect_from_request_kwargs(request), "process": AuthProcess.LOGIN}

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        # RingCentral grants the app's configured permissions; a request may not add scopes.
        return self.get_scope()

    def get_auth_params_from_request(self, request: HttpRequest, action: str) -> dict[str, Any]:
        # Extra authorize parameters come from settings only, never from the query string.
        return self.get_auth_params()

    # `data` is a `telephony.ringcentral.types.Extension` as a dict (see the adapter).
    def extract_uid(self, data: dict[str, Any]) -> str:
        return str(data["id"])

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, str]:
        return {
            "first_name": data.get("first_name") or "",
            "last_name": data.get("last_name") or "",
            "email": data.get("email") or "",
        }

    def extract_email_addresses(self, data: dict[str, Any]) -> list[Any]:
        return []  # accounts are linked by extension id only, never by e-mail


provider_classes = [RingCentralProvider]
