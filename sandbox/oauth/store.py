"""OAuth sessions, authorization codes, and rotating access/refresh tokens (CONTRACT §2, §13).

A session starts with a grant (authorization code or JWT) and holds one current token pair.
Refreshing rotates the pair: the old access token stops working at once (401 `OAU-129` for
~10 s, then `OAU-213`); the old refresh token replays the *same* new pair while within the
grace window (10 s after the new access token's first use, or 60 min if it is never used),
then fails with `invalid_grant`/`OAU-213`. `strict_refresh` turns the grace window off.
Revoking any token of a session ends the whole session.

Every method here runs without awaiting, so concurrent requests never see half a rotation.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sandbox.config import Config
from sandbox.core.clock import Clock, iso
from sandbox.core.errors import UNAUTHORIZED, ApiError, OAuthError
from sandbox.core.ids import Ids, secret_token

ACCESS_PREFIX = "SBXa1"
REFRESH_PREFIX = "SBXr1"
TOKEN_RE = re.compile(r"^SBX[ar]1[A-Za-z0-9_-]{43}$")
CORRUPTED_FOR = 10.0  # seconds a superseded access token answers OAU-129 before OAU-213


@dataclass
class AuthCode:
    code: str
    client_id: str
    extension_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False


@dataclass
class AuthRequest:
    """An authorize request waiting for the user to log in on the login page."""

    id: str
    client_id: str
    redirect_uri: str
    state: str | None
    challenge: str | None
    method: str | None
    login_hint: str | None
    expires_at: float


@dataclass(eq=False)
class AccessToken:
    token: str
    session: "Session"
    issued_at: float
    expires_at: float
    first_used_at: float | None = None
    superseded_at: float | None = None


@dataclass(eq=False)
class RefreshToken:
    token: str
    session: "Session"
    issued_at: float
    expires_at: float
    rotated_at: float | None = None
    successor: tuple[AccessToken, "RefreshToken"] | None = None


@dataclass(eq=False)
class Session:
    id: str
    client_id: str
    extension_id: str
    grant_type: str
    endpoint_id: str
    created_at: float
    access_ttl: int
    refresh_ttl: int
    access: AccessToken | None = None
    refresh: RefreshToken | None = None
    revoked_at: float | None = None
    revoke_reason: str | None = None
    refresh_count: int = 0
    last_used_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "session_id": self.id,
            "client_id": self.client_id,
            "extension_id": self.extension_id,
            "grant_type": self.grant_type,
            "endpoint_id": self.endpoint_id,
            "created_at": iso(self.created_at),
            "active": self.active,
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
            "revoke_reason": self.revoke_reason,
            "refresh_count": self.refresh_count,
            "last_used_at": iso(self.last_used_at) if self.last_used_at else None,
            "access_token_expires_in": max(0, int(self.access.expires_at - now))
            if self.access
            else 0,
            "refresh_token_expires_in": max(0, int(self.refresh.expires_at - now))
            if self.refresh
            else 0,
        }


def invalid_grant(code: str, message: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", code, message)


# RFC 7636 §4.1-4.2 (CONTRACT §2 says nothing of the format): a verifier, and so a plain
# challenge, is 43-128 characters of [A-Z a-z 0-9 - . _ ~]; an S256 challenge is the unpadded
# base64url of a SHA-256 digest, exactly 43 characters of [A-Z a-z 0-9 - _].
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def pkce_verifier_ok(verifier: str) -> bool:
    return PKCE_VERIFIER.fullmatch(verifier) is not None


def pkce_challenge_ok(challenge: str, method: str) -> bool:
    pattern = S256_CHALLENGE if method == "S256" else PKCE_VERIFIER
    return pattern.fullmatch(challenge) is not None


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
    return verifier == challenge


class OAuthStore:
    def __init__(self, config: Config, clock: Clock, ids: Ids) -> None:
        self._config = config
        self._clock = clock
        self._ids = ids
        self.codes: dict[str, AuthCode] = {}
        self.requests: dict[str, AuthRequest] = {}
        self.sessions: dict[str, Session] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}

    # --- authorization codes ---

    def start_request(self, **fields: Any) -> AuthRequest:
        request = AuthRequest(id=secret_token(""), expires_at=self._clock.now() + 1800, **fields)
        self.requests[request.id] = request
        return request

    def pending_request(self, request_id: str) -> AuthRequest | None:
        request = self.requests.get(request_id)
        if request is None or request.expires_at <= self._clock.now():
            return None
        return request

    def issue_code(self, request: AuthRequest, extension_id: str) -> AuthCode:
        self.requests.pop(request.id, None)
        code = AuthCode(
            code=secret_token(""),
            client_id=request.client_id,
            extension_id=extension_id,
            redirect_uri=request.redirect_uri,
            challenge=request.challenge,
            method=request.method,
            expires_at=self._clock.now() + self._config.code_ttl,
        )
        self.codes[code.code] = code
        return code

    def code_owner(self, code: str) -> str | None:
        found = self.codes.get(code)
        return found.extension_id if found else None

    def redeem_code(
        self, *, code: str, client_id: str, redirect_uri: str | None, verifier: str | None
    ) -> AuthCode:
        """Check and consume a code (single use). Raises OAuthError with the RC error codes."""
        found = self.codes.get(code)
        if found is None or found.used:
            raise invalid_grant("OAU-106", "Invalid authorization code")
        if found.client_id != client_id:
            raise invalid_grant("OAU-110", "Authorization code was not issued for this application")
        if self._clock.now() >= found.expires_at:
            raise invalid_grant("OAU-108", "Authorization code is expired")
        if redirect_uri != found.redirect_uri:
            raise invalid_grant("OAU-109", "Redirect URIs do not match")
        if found.challenge is not None and (
            not verifier or not pkce_matches(verifier, found.challenge, found.method or "plain")
        ):
            raise invalid_grant("OAU-106", "Invalid authorization code")
        found.used = True
        return found

    # --- sessions and tokens ---

    def start_session(
        self,
        *,
        client_id: str,
        extension_id: str,
        grant_type: str,
        endpoint_id: str | None,
        access_ttl: int | None,
        refresh_ttl: int | None,
    ) -> Session:
        now = self._clock.now()
        session = Session(
            id=self._ids.numeric_str(),
            client_id=client_id,
            extension_id=extension_id,
            grant_type=grant_type,
            endpoint_id=endpoint_id or self._ids.word(22),
            created_at=now,
            access_ttl=access_ttl or self._config.access_token_ttl,
            refresh_ttl=refresh_ttl or self._config.refresh_token_ttl,
        )
        self.sessions[session.id] = session
        self._rotate(session, now)
        return session

    def _rotate(self, session: Session, now: float) -> None:
        access = AccessToken(secret_token(ACCESS_PREFIX), session, now, now + session.access_ttl)
        refresh = RefreshToken(
            secret_token(REFRESH_PREFIX), session, now, now + session.refresh_ttl
        )
        if session.access is not None:
            session.access.superseded_at = now
        if session.refresh is not None:
            session.refresh.rotated_at = now
            session.refresh.successor = (access, refresh)
        session.access, session.refresh = access, refresh
        self._access[access.token] = access
        self._refresh[refresh.token] = refresh

    def refresh_owner(self, token: str) -> str | None:
        found = self._refresh.get(token)
        return found.session.extension_id if found else None

    def refresh(
        self,
        *,
        token: str,
        client_id: str,
        access_ttl: int | None,
        refresh_ttl: int | None,
    ) -> tuple[Session, bool]:
        """Rotate the session's tokens. Returns (session, replayed): `replayed` is True when an
        already-rotated refresh token got the same new pair back within the grace window."""
        now = self._clock.now()
        found = self._refresh.get(token)
        if found is None or found.session.client_id != client_id:
            raise invalid_grant("OAU-213", "Token not found")
        session = found.session
        if not session.active:
            raise invalid_grant("OAU-211", "Token revoked")
        if found is session.refresh:
            if now >= found.expires_at:
                raise invalid_grant("OAU-213", "Token not found")
            if access_ttl:
                session.access_ttl = access_ttl
            if refresh_ttl:
                session.refresh_ttl = refresh_ttl
            self._rotate(session, now)
            session.refresh_count += 1
            return session, False
        if self._in_grace(found, now):
            return session, True
        raise invalid_grant("OAU-213", "Token not found")

    def _in_grace(self, old: RefreshToken, now: float) -> bool:
        if self._config.strict_refresh or old.successor is None or old.rotated_at is None:
            return False
        new_access, new_refresh = old.successor
        if new_refresh is not old.session.refresh:
            return False
        if new_access.first_used_at is None:
            return now - old.rotated_at <= self._config.refresh_grace_unused
        return now - new_access.first_used_at <= self._config.refresh_grace_used

    def token_info(self, session: Session) -> dict[str, Any]:
        """The TokenInfo body for the session's current pair."""
        now = self._clock.now()
        assert session.access is not None and session.refresh is not None
        return {
            "access_token": session.access.token,
            "token_type": "bearer",
            "expires_in": max(0, int(session.access.expires_at - now)),
            "refresh_token": session.refresh.token,
            "refresh_token_expires_in": max(0, int(session.refresh.expires_at - now)),
            "scope": self._scope(session),
            "owner_id": session.extension_id,
            "endpoint_id": session.endpoint_id,
            "session_id": session.id,
        }

    scope_for: Any = None  # set by the world: client_id -> scope string

    def _scope(self, session: Session) -> str:
        return self.scope_for(session.client_id) if self.scope_for else ""

    def revoke(self, token: str, reason: str = "revoked") -> Session | None:
        """End the whole session the token (access or refresh) belongs to."""
        found = self._access.get(token) or self._refresh.get(token)
        if found is None:
            return None
        self.end_session(found.session, reason)
        return found.session

    def end_session(self, session: Session, reason: str) -> None:
        if session.active:
            session.revoked_at = self._clock.now()
            session.revoke_reason = reason

    def expire_access(self, session: Session, *, refresh_too: bool = False) -> None:
        now = self._clock.now()
        if session.access is not None:
            session.access.expires_at = min(session.access.expires_at, now)
        if refresh_too and session.refresh is not None:
            session.refresh.expires_at = min(session.refresh.expires_at, now)

    def authenticate(self, request: Request, *, allow_query: bool = False) -> AccessToken:
        """The access token of an API request, or 401 with the RingCentral body."""
        header = request.headers.get("authorization")
        if header is None:
            query_token = request.query_params.get("access_token") if allow_query else None
            if not query_token:
                raise ApiError(401, *UNAUTHORIZED["missing"])
            token = query_token
        else:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, *UNAUTHORIZED["bad_header"])
            token = token.strip()
        found = self._access.get(token)
        if found is None:
            key = "not_found" if TOKEN_RE.match(token) else "unparsable"
            raise ApiError(401, *UNAUTHORIZED[key])
        now = self._clock.now()
        session = found.session
        if not session.active:
            raise ApiError(401, *UNAUTHORIZED["revoked"])
        if found.superseded_at is not None:
            key = "corrupted" if now - found.superseded_at < CORRUPTED_FOR else "not_found"
            raise ApiError(401, *UNAUTHORIZED[key])
        if now >= found.expires_at:
            raise ApiError(401, *UNAUTHORIZED["expired"])
        if found.first_used_at is None:
            found.first_used_at = now
        session.last_used_at = now
        return found

    def select_sessions(
        self,
        *,
        session_id: str | None = None,
        extension_id: str | None = None,
        client_id: str | None = None,
        access_token: str | None = None,
    ) -> list[Session]:
        if access_token is not None:
            found = self._access.get(access_token) or self._refresh.get(access_token)
            return [found.session] if found else []
        return [
            s
            for s in self.sessions.values()
            if (session_id is None or s.id == session_id)
            and (extension_id is None or s.extension_id == extension_id)
            and (client_id is None or s.client_id == client_id)
        ]

    def prune(self, older_than: float = 86400.0) -> None:
        """Forget tokens that stopped working more than `older_than` seconds ago."""
        horizon = self._clock.now() - older_than
        for token, access in list(self._access.items()):
            if min(access.expires_at, access.superseded_at or access.expires_at) < horizon:
                del self._access[token]
        for token, refresh in list(self._refresh.items()):
            if min(refresh.expires_at, refresh.rotated_at or refresh.expires_at) < horizon:
                del self._refresh[token]
        for code, found in list(self.codes.items()):
            if found.expires_at < horizon:
                del self.codes[code]
        for rid, req in list(self.requests.items()):
            if req.expires_at < horizon:
                del self.requests[rid]
