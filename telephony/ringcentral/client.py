"""The one module that speaks HTTP to RingCentral.

Every call: a timeout; bearer auth from a `TokenSource` (the token vault), with one refresh and
one retry when RingCentral answers 401; the rate-limit group of the operation checked before
sending and updated from the response headers (see `ratelimit`); network errors and 5xx retried
a bounded number of times with jittered backoff, 4xx never — but a call that is not idempotent
(POST, PATCH: an SMS, a RingOut) is retried only when it provably never reached RingCentral
(the connection could not be made), since after a timeout or a 5xx it may have been carried
out; failures raised as the typed errors
of `errors`; one log line per attempt (method, path, status, duration, rate-limit headers, never
a token or a query string).

A `RetryPolicy` says how long a caller can afford to wait: web requests (`WEB`) never sleep more
than a second, so a longer rate-limit wait raises `RateLimited` for the view to report; Celery
tasks (`TASK`) also raise it and retry themselves with its `retry_after` as the countdown.

An operation describes its call as a `Request`; `_send` resolves where it goes (a `Route`),
holds back or makes one attempt at a time, and asks `step_after_no_answer` or
`step_after_answer` what follows each attempt.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import IO, Any, TypedDict
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings

from telephony.ringcentral import ratelimit
from telephony.ringcentral.errors import (
    AuthExpired,
    AuthRevoked,
    InvalidRequest,
    NotFound,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RingCentralError,
)
from telephony.ringcentral.types import Download, Extension, RateLimitInfo, TokenSet, TokenSource

logger = logging.getLogger("telephony.ringcentral")

TOKEN_PATH = "/restapi/oauth/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH = "/restapi/oauth/revoke"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries. `attempts` counts tries for network errors and 5xx; waits
    between them are jittered exponential backoff, capped. A rate-limit wait up to
    `max_rate_limit_sleep` seconds is slept through once; a longer one raises RateLimited."""

    attempts: int
    backoff_base: float
    backoff_cap: float
    max_rate_limit_sleep: float

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto

    def may_sleep(self, wait: float) -> bool:
        """Whether a rate-limit wait this long is slept through rather than raised. A policy
        that may not sleep (ONCE: a revoke) never resends, even after "0 s"."""
        return self.max_rate_limit_sleep > 0 and wait <= self.max_rate_limit_sleep


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
WEB = RetryPolicy(attempts=2, backoff_base=0.2, backoff_cap=0.5, max_rate_limit_sleep=1.0)
TASK = RetryPolicy(attempts=4, backoff_base=0.5, backoff_cap=4.0, max_rate_limit_sleep=2.0)
# Revocation is fire-and-forget: one try, errors ignored by the caller (CONTRACT §2.3).
ONCE = RetryPolicy(attempts=1, backoff_base=0, backoff_cap=0, max_rate_limit_sleep=0)


@dataclass(frozen=True)
class Request:
    """One call to RingCentral as its operation describes it. `target` is a path on the server,
    or a URL a response named (a next page, a media link). An API call (`bearer`) carries the
    token source's token and spends its user's rate-limit budget; an OAuth call authenticates
    as the app and spends `rate_limit_key`'s budget, if it names one. `idempotent` overrides
    what the method implies (a token request is safe to repeat although it is a POST)."""

    method: str
    target: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    bearer: bool = True
    stream: bool = False
    accept: str | None = None
    rate_limit_key: str | None = None
    idempotent: bool | None = None

    @property
    def repeatable(self) -> bool:
        """Safe to send again when it may already have been carried out (after a timeout or
        a 5xx)."""
        if self.idempotent is None:
            return self.method.upper() in IDEMPOTENT_METHODS
        return self.idempotent


@dataclass(frozen=True)
class Route:
    """Where the client sends a request: its URL, the path that logs and errors name (no host,
    no query), its rate-limit group (None for an operation the table does not know) and whose
    budget it spends (None: not checked)."""

    url: str
    path: str
    group: str | None
    owner: str | None


@dataclass
class Tries:
    """What the tries at one request have used so far. Network errors and 5xx count attempts
    against the policy; the one re-authorization and the one rate-limit sleep repeat the same
    attempt."""

    attempt: int = 1
    token: str = ""
    reauthorized: bool = False
    slept_for_limit: bool = False


class Step(Enum):
    """What follows one attempt."""

    RETURN = "return"  # a success: hand the response back
    REAUTHORIZE = "reauthorize"  # the first 401: a fresh token, the same attempt again
    BACK_OFF = "back off"  # worth repeating: a jittered wait, then the next attempt
    WAIT_OUT = "wait out"  # the first short 429: sleep its wait, the same attempt again
    RAISE = "raise"  # give up with the typed error


def step_after_no_answer(
    request: Request, exc: requests.RequestException, *, tries: Tries, policy: RetryPolicy
) -> Step:
    """No answer came: repeat while attempts are left, but a request that is not repeatable
    only when it never reached RingCentral."""
    if tries.attempt < policy.attempts and (request.repeatable or _never_sent(exc)):
        return Step.BACK_OFF
    return Step.RAISE


def step_after_answer(
    request: Request,
    status: int,
    *,
    tries: Tries,
    policy: RetryPolicy,
    rate_limit_wait: float = 0.0,
) -> Step:
    """RingCentral answered `status` (a 429 asking to wait `rate_limit_wait` seconds): a 401
    re-authorizes once, a 5xx is repeated only when the request is repeatable, a 429 is slept
    through at most once and only when the policy allows that long, any other error raises."""
    if status < 400:
        return Step.RETURN
    if status == 401 and request.bearer and not tries.reauthorized:
        return Step.REAUTHORIZE
    if status >= 500 and request.repeatable and tries.attempt < policy.attempts:
        return Step.BACK_OFF
    if status == 429 and not tries.slept_for_limit and policy.may_sleep(rate_limit_wait):
        return Step.WAIT_OUT
    return Step.RAISE


class GrantedToken:
    """A `TokenSource` for a token just granted (during sign-in), before it is in the vault."""

    def __init__(self, token: str, *, rate_limit_key: str) -> None:
        self._token = token
        self.rate_limit_key = rate_limit_key

    def access_token(self) -> str:
        return self._token

    def access_token_rejected(self, rejected: str) -> str:
        raise AuthExpired("RingCentral refused the token it had just granted", status=401)


class RingCentralClient:
    """A session with RingCentral for one caller. `auth` supplies bearer tokens for API calls;
    OAuth calls authenticate as the app (Basic with a client secret, else `client_id` in the
    body, as public PKCE apps must). Not shared between threads."""

    def __init__(
        self,
        *,
        auth: TokenSource | None = None,
        policy: RetryPolicy = WEB,
        server: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float | None = None,
        budget: ratelimit.RateLimitBudget | None = None,
    ) -> None:
        self.auth = auth
        self.policy = policy
        self.server = (server or settings.RINGCENTRAL_SERVER).rstrip("/")
        self.client_id = settings.RINGCENTRAL_CLIENT_ID if client_id is None else client_id
        self.client_secret = (
            settings.RINGCENTRAL_CLIENT_SECRET if client_secret is None else client_secret
        )
        read_timeout = float(timeout or settings.RINGCENTRAL_HTTP_TIMEOUT)
        self.timeout = (min(5.0, read_timeout), read_timeout)
        self.budget = budget or ratelimit.RateLimitBudget()
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "Callboard/1"})
        media = getattr(settings, "RINGCENTRAL_MEDIA_SERVER", "") or self.server
        self._trusted_hosts = {urlsplit(self.server).netloc, urlsplit(media).netloc}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RingCentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- OAuth ----------------------------------------------------------------------------

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Authorization code + PKCE verifier → tokens. Raises AuthRevoked when RingCentral
        refuses the code or verifier (`invalid_grant`)."""
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            rate_limit_key=None,
        )

    def refresh(self, *, refresh_token: str, rate_limit_key: str | None = None) -> TokenSet:
        """A refresh token → the rotated pair. Raises AuthRevoked when it is refused."""
        return self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            rate_limit_key=rate_limit_key,
        )

    def jwt_grant(self, *, assertion: str, rate_limit_key: str | None = None) -> TokenSet:
        """A JWT credential → tokens (the JWT bearer grant). Raises AuthRevoked when refused."""
        return self._token_request(
            {"grant_type": JWT_GRANT, "assertion": assertion}, rate_limit_key=rate_limit_key
        )

    def revoke(self, *, token: str) -> None:
        """End the OAuth session the token belongs to (RingCentral ends the whole session)."""
        self._send(
            Request("POST", REVOKE_PATH, data=self._app_form({"token": token}), bearer=False)
        )

    def _token_request(self, form: dict[str, str], *, rate_limit_key: str | None) -> TokenSet:
        # Safe to repeat: within the grace window RingCentral answers a repeated refresh with
        # the same pair, and it documents retrying /token after 5xx and timeouts (§3.4).
        request = Request(
            "POST",
            TOKEN_PATH,
            data=self._app_form(form),
            bearer=False,
            rate_limit_key=rate_limit_key,
            idempotent=True,
        )
        response = self._send(request)
        return TokenSet.from_json(_json(response, "POST", TOKEN_PATH))

    def _app_form(self, form: dict[str, str]) -> dict[str, str]:
        if self.client_secret:
            return form
        return {**form, "client_id": self.client_id}

    def _app_auth(self) -> tuple[str, str] | None:
        return (self.client_id, self.client_secret) if self.client_secret else None

    # --- API ------------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return _json(self._send(Request("GET", path, params=params)), "GET", path)

    def post(
        self, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        response = self._send(Request("POST", path, json=body, params=params))
        return _json(response, "POST", path) if response.content else {}

    def put(self, path: str, body: Any = None) -> dict[str, Any]:
        response = self._send(Request("PUT", path, json=body))
        return _json(response, "PUT", path) if response.content else {}

    def patch(self, path: str, body: Any = None) -> dict[str, Any]:
        response = self._send(Request("PATCH", path, json=body))
        return _json(response, "PATCH", path) if response.content else {}

    def delete(self, path: str) -> None:
        self._send(Request("DELETE", path))

    def records(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a paged list, following `navigation.nextPage` until it is absent."""
        url: str | None = path
        query: Mapping[str, Any] | None = params
        fetched: set[str] = set()
        while url:
            if url in fetched:
                # A nextPage naming a page already read would page forever.
                raise ProviderError("paged response's nextPage repeats a page", path=_path(url))
            fetched.add(url)
            page = _json(self._send(Request("GET", url, params=query)), "GET", _path(url))
            records = page.get("records")
            if not isinstance(records, list):
                raise ProviderError("paged response has no records list", path=_path(url))
            yield from records
            url = _next_page(page, path=_path(url))
            query = None  # the next-page URI carries the query

    def download(self, url: str, into: IO[bytes], *, max_bytes: int) -> Download:
        """Stream a media body (recording, attachment) into a binary file object. Raises
        InvalidRequest when it is larger than `max_bytes` (what was written is then partial)."""
        response = self._send(Request("GET", url, stream=True, accept="*/*"))
        size = 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidRequest(
                        f"media is larger than {max_bytes} bytes", method="GET", path=_path(url)
                    )
                into.write(chunk)
        except requests.RequestException as exc:
            raise ProviderError(f"media download broke off: {exc}", path=_path(url)) from exc
        finally:
            response.close()
        return Download(content_type=response.headers.get("Content-Type", ""), size=size)

    # --- typed operations -----------------------------------------------------------------

    def extension_me(self) -> Extension:
        """The extension the token belongs to (with its account id)."""
        return Extension.from_json(self.get("/restapi/v1.0/account/~/extension/~"))

    def account_id(self) -> str:
        """The id of the account the token belongs to."""
        account = self.get("/restapi/v1.0/account/~")
        if account.get("id") in (None, ""):
            raise ProviderError("account record has no id", status=200)
        return str(account["id"])

    def account_extensions(
        self,
        *,
        types: tuple[str, ...] = ("User",),
        statuses: tuple[str, ...] = ("Enabled",),
        per_page: int = 100,
    ) -> Iterator[Extension]:
        """Every extension of the account of the given types and statuses, all pages."""
        params = {"type": list(types), "status": list(statuses), "perPage": per_page}
        for record in self.records("/restapi/v1.0/account/~/extension", params):
            yield Extension.from_json(record)

    # --- transport ------------------------------------------------------------------------

    def _send(self, request: Request) -> requests.Response:
        """Send `request` until it succeeds or a step gives up (the rules of the module
        docstring: `step_after_no_answer`, `step_after_answer`)."""
        route = self._route(request)
        tries = Tries()
        while True:
            self._hold_back(request, route, tries)
            try:
                response = self._attempt(request, route, tries)
            except requests.RequestException as exc:
                step = step_after_no_answer(request, exc, tries=tries, policy=self.policy)
                if step is Step.RAISE:
                    raise ProviderError(
                        f"RingCentral did not answer ({type(exc).__name__})",
                        method=request.method,
                        path=route.path,
                    ) from exc
                self._back_off(tries)
                continue
            wait = self._take_in(response, route)
            step = step_after_answer(
                request, response.status_code, tries=tries, policy=self.policy, rate_limit_wait=wait
            )
            if step is Step.RETURN:
                return response
            if step is Step.RAISE:
                raise _error_from(
                    response, request.method, route.path, bearer=request.bearer, group=route.group
                )
            response.close()
            if step is Step.REAUTHORIZE:
                tries.reauthorized = True
                tries.token = self._tokens().access_token_rejected(tries.token)
            elif step is Step.BACK_OFF:
                self._back_off(tries)
            else:  # Step.WAIT_OUT
                time.sleep(wait)
                tries.slept_for_limit = True

    def _route(self, request: Request) -> Route:
        url = self._url(request.target)
        path = _path(url)
        owner = self._tokens().rate_limit_key if request.bearer else request.rate_limit_key
        return Route(
            url=url, path=path, group=ratelimit.group_for(request.method, path), owner=owner
        )

    def _tokens(self) -> TokenSource:
        if self.auth is None:
            raise RuntimeError("this client has no token source for API calls")
        return self.auth

    def _hold_back(self, request: Request, route: Route, tries: Tries) -> None:
        """Wait out (briefly, once per request) or refuse a call our side knows would be over
        the limit."""
        if not (route.owner and route.group):
            return
        wait = self.budget.reserve(route.owner, route.group)
        if wait <= 0:
            return
        if not tries.slept_for_limit and self.policy.may_sleep(wait):
            time.sleep(wait)
            tries.slept_for_limit = True
            if self.budget.reserve(route.owner, route.group) <= 0:
                return
        logger.info(
            "ringcentral %s %s held back: %s group busy for %.1fs",
            request.method,
            route.path,
            route.group,
            wait,
        )
        raise RateLimited(
            f"holding back: the {route.group} rate-limit group is spent for {wait:.0f}s",
            retry_after=wait,
            group=route.group,
            held_back=True,
            status=429,
            method=request.method,
            path=route.path,
        )

    def _attempt(self, request: Request, route: Route, tries: Tries) -> requests.Response:
        """Send once and log it. Raises requests' own error when no answer came."""
        headers = {"Accept": request.accept} if request.accept else {}
        auth = None
        if request.bearer:
            tries.token = tries.token or self._tokens().access_token()
            headers["Authorization"] = f"Bearer {tries.token}"
        else:
            auth = self._app_auth()
        started = time.monotonic()
        try:
            response = self.session.request(
                request.method,
                route.url,
                params=request.params,
                json=request.json,
                data=request.data,
                headers=headers,
                auth=auth,
                timeout=self.timeout,
                stream=request.stream,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            _log_failure(request.method, route.path, started, tries.attempt, exc)
            raise
        limits = _rate_limit_info(response)
        _log_call(request.method, route.path, response.status_code, started, tries.attempt, limits)
        return response

    def _take_in(self, response: requests.Response, route: Route) -> float:
        """Update the shared budget from an answer: what is left in the group, or for a 429 the
        penalty. Returns the wait a 429 asked for (0 for any other answer)."""
        limits = _rate_limit_info(response)
        if response.status_code != 429:
            if route.owner:
                self._record_limits(route.owner, route.group, limits)
            return 0.0
        wait = _retry_after(response)
        bucket = route.group or limits.group
        if route.owner and bucket:
            self.budget.penalize(route.owner, bucket, wait=wait)
        return wait

    def _back_off(self, tries: Tries) -> None:
        time.sleep(self.policy.backoff(tries.attempt))
        tries.attempt += 1

    def _record_limits(self, owner: str, group: str | None, limits: RateLimitInfo) -> None:
        # Our table names the bucket the pre-check reads; the header only fills in for
        # operations the table does not know.
        group = group or limits.group
        if group and limits.remaining is not None and limits.window:
            self.budget.observe(owner, group, remaining=limits.remaining, window=limits.window)

    def _url(self, url_or_path: str) -> str:
        if url_or_path.startswith("/"):
            return self.server + url_or_path
        url = urljoin(self.server + "/", url_or_path)
        if urlsplit(url).netloc not in self._trusted_hosts:
            # Never send a bearer token to a host a response named.
            raise ProviderError(f"refusing to call untrusted host {urlsplit(url).netloc!r}")
        return url


def _path(url: str) -> str:
    return urlsplit(url).path or url


def _next_page(page: dict[str, Any], *, path: str) -> str | None:
    """`navigation.nextPage.uri`, or None on the last page."""
    navigation = page.get("navigation")
    next_page = navigation.get("nextPage") if isinstance(navigation, dict) else None
    uri = next_page.get("uri") if isinstance(next_page, dict) else None
    if uri is not None and not isinstance(uri, str):
        raise ProviderError("paged response's nextPage has no usable uri", path=path)
    return uri or None


def _json(response: requests.Response, method: str, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError(
            "RingCentral sent a body that is not JSON",
            status=response.status_code,
            method=method,
            path=path,
        ) from exc
    if not isinstance(body, dict):
        raise ProviderError("RingCentral sent an unexpected JSON body", method=method, path=path)
    return body


def _int_header(response: requests.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    return int(value) if value is not None and math.isfinite(value) else None


def _rate_limit_info(response: requests.Response) -> RateLimitInfo:
    return RateLimitInfo(
        group=(response.headers.get("X-Rate-Limit-Group") or "").strip().lower(),
        limit=_int_header(response, "X-Rate-Limit-Limit"),
        remaining=_int_header(response, "X-Rate-Limit-Remaining"),
        window=_int_header(response, "X-Rate-Limit-Window"),
    )


def _never_sent(exc: requests.RequestException) -> bool:
    """The connection could not be made, so RingCentral never saw the request. A read timeout
    or a dropped connection is not this: the request may have been carried out."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError wraps the cause
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _retry_after(response: requests.Response) -> float:
    """`Retry-After` (seconds or an HTTP-date), else `X-Rate-Limit-Window`, else 30 (CONTRACT
    §3.4); at most a day, so a nonsense value cannot overflow a countdown."""
    for wait in (
        _int_header(response, "Retry-After"),
        _http_date_wait(response.headers.get("Retry-After")),
        _int_header(response, "X-Rate-Limit-Window"),
    ):
        if wait is not None and wait >= 0:
            return min(float(wait), RateLimited.MAX_WAIT)
    return RateLimited.DEFAULT_WAIT


def _http_date_wait(raw: str | None) -> float | None:
    """Seconds until an HTTP-date (RFC 9110 `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`)."""
    try:
        when = email.utils.parsedate_to_datetime(raw) if raw else None
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_body(response: requests.Response) -> tuple[str, str, str]:
    """(oauth error, error code, message) from any error body, JSON or not."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = " ".join((response.text or "").split())[:200]
        return "", "", text or response.reason or f"HTTP {response.status_code}"
    first = {}
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
    oauth_error = str(body.get("error") or "")
    code = str(first.get("errorCode") or body.get("errorCode") or oauth_error)
    message = str(
        first.get("message")
        or body.get("message")
        or body.get("error_description")
        or oauth_error
        or response.reason
        or f"HTTP {response.status_code}"
    )
    return oauth_error, code, message


class _Where(TypedDict):
    status: int
    error_code: str
    method: str
    path: str


def _error_from(
    response: requests.Response, method: str, path: str, *, bearer: bool, group: str | None
) -> RingCentralError:
    status = response.status_code
    oauth_error, code, message = _error_body(response)
    response.close()
    where: _Where = {"status": status, "error_code": code, "method": method, "path": path}
    if status == 429:
        group = group or _rate_limit_info(response).group
        return RateLimited(message, retry_after=_retry_after(response), group=group, **where)
    if oauth_error == "invalid_grant" or (not bearer and code in ("OAU-211", "OAU-213")):
        return AuthRevoked(message, **where)
    if status == 401 and bearer:
        return AuthExpired(message, **where)
    if status == 404:
        return NotFound(message, **where)
    if status == 403 and bearer:
        return PermissionMissing(message, **where)
    if status >= 500:
        return ProviderError(message, **where)
    return InvalidRequest(message, **where)


def _log_call(
    method: str, path: str, status: int, started: float, attempt: int, limits: RateLimitInfo
) -> None:
    logger.info(
        "ringcentral %s %s -> %s in %.0fms attempt=%d group=%s limit=%s remaining=%s window=%s",
        method,
        path,
        status,
        (time.monotonic() - started) * 1000,
        attempt,
        limits.group or "-",
        limits.limit if limits.limit is not None else "-",
        limits.remaining if limits.remaining is not None else "-",
        limits.window if limits.window is not None else "-",
    )


def _log_failure(method: str, path: str, started: float, attempt: int, exc: Exception) -> None:
    logger.warning(
        "ringcentral %s %s -> no answer (%s) after %.0fms attempt=%d",
        method,
        path,
        type(exc).__name__,
        (time.monotonic() - started) * 1000,
        attempt,
    )
