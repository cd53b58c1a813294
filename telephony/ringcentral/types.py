"""Typed values the client returns, and the protocol through which it gets a bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from telephony.ringcentral.errors import ProviderError

MAX_TOKEN_LIFETIME = 10 * 365 * 86400  # seconds; RingCentral's longest is 30 days


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class TokenSet:
    """What `/restapi/oauth/token` granted. Tokens are kept out of `repr` so they never reach
    a log or a traceback by accident."""

    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str = field(repr=False)
    refresh_token_expires_in: int | None
    scope: str
    owner_id: str
    session_id: str

    @classmethod
    def from_json(cls, data: Any) -> TokenSet:
        if not isinstance(data, dict) or not data.get("access_token"):
            raise ProviderError("token response has no access_token", status=200)
        try:
            expires_in = int(data.get("expires_in") or 0)
            refresh_expires = data.get("refresh_token_expires_in")
            refresh_expires = int(refresh_expires) if refresh_expires is not None else None
        except (TypeError, ValueError) as exc:
            raise ProviderError("token response has a non-numeric lifetime", status=200) from exc
        # Without a lifetime every use would refresh again; a huge one is no storable date.
        for lifetime in (expires_in, refresh_expires):
            if lifetime is not None and not 0 < lifetime <= MAX_TOKEN_LIFETIME:
                raise ProviderError(f"token response has a lifetime of {lifetime} s", status=200)
        return cls(
            access_token=str(data["access_token"]),
            expires_in=expires_in,
            refresh_token=_str(data.get("refresh_token")),
            refresh_token_expires_in=refresh_expires,
            scope=_str(data.get("scope")),
            owner_id=_str(data.get("owner_id")),
            session_id=_str(data.get("session_id")),
        )


@dataclass(frozen=True)
class Extension:
    """An extension record (`GET …/extension/~` or one row of `…/extension`)."""

    id: int
    extension_number: str
    name: str
    first_name: str
    last_name: str
    email: str
    type: str
    status: str
    account_id: str

    @classmethod
    def from_json(cls, data: Any) -> Extension:
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            raise ProviderError("extension record has no id", status=200)
        contact = data.get("contact") or {}
        account = data.get("account") or {}
        first, last = _str(contact.get("firstName")), _str(contact.get("lastName"))
        try:
            ext_id = int(data["id"])
        except (TypeError, ValueError) as exc:
            raise ProviderError(f"extension id {data['id']!r} is not a number") from exc
        return cls(
            id=ext_id,
            extension_number=_str(data.get("extensionNumber")),
            name=_str(data.get("name")) or f"{first} {last}".strip(),
            first_name=first,
            last_name=last,
            email=_str(contact.get("email")),
            type=_str(data.get("type")),
            status=_str(data.get("status")),
            account_id=_str(account.get("id")),
        )


@dataclass(frozen=True)
class RateLimitInfo:
    """The `X-Rate-Limit-*` headers of one response (any may be missing)."""

    group: str
    limit: int | None
    remaining: int | None
    window: int | None


@dataclass(frozen=True)
class Download:
    """A media body streamed to a file: its type and the number of bytes written."""

    content_type: str
    size: int


class TokenSource(Protocol):
    """Where the client gets the bearer token of the session it acts for (the token vault)."""

    @property
    def rate_limit_key(self) -> str:
        """Names whose per-user rate-limit budget calls spend (RingCentral limits per user)."""
        ...

    def access_token(self) -> str:
        """A token to send now, refreshed first when it is about to expire.
        Raises AuthRevoked when the session can no longer be used."""
        ...

    def access_token_rejected(self, rejected: str) -> str:
        """RingCentral answered 401 to `rejected`. Return the token to retry with once (a
        refreshed one, or one another worker stored meanwhile); raise AuthRevoked when the
        session is over."""
        ...
