"""Route registration and the request pipeline every API route runs through.

A feature module owns a `Router` and declares routes with decorators::

    router = Router()

    @router.api("GET", "/restapi/v1.0/account/{accountId}/extension", group="Medium")
    async def list_extensions(ctx: Ctx) -> Response: ...

`group` is the spec's `x-throttling-group` (Light/Medium/Heavy/Auth, or None for no throttling).
The pipeline, in order: request faults (latency, injected errors) -> bearer authentication
(`auth=True`) -> rate limit (429 `CMN-301`) -> handler -> `X-Rate-Limit-*` headers -> request
log. Handlers raise `ApiError`/`OAuthError` for error responses.

`router.control(...)` declares `/sandbox/v1/...` routes (no auth, no throttling, not logged);
`router.page(...)` declares browser pages (the login form).
"""

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.errors import ApiError, internal_error, unparsable_json, unparsable_request

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.oauth.store import AccessToken
    from sandbox.platform import Platform, World

log = logging.getLogger("sandbox.requests")

Handler = Callable[["Ctx"], Awaitable[Response]]
RateKey = Callable[["Ctx"], Awaitable[tuple[str, str]]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    kind: str  # "api" | "control" | "page"
    group: str | None = None
    auth: bool = False
    media: bool = False
    rate_key: RateKey | None = None


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def api(
        self,
        method: str,
        path: str,
        *,
        group: str | None,
        auth: bool = True,
        media: bool = False,
        rate_key: RateKey | None = None,
    ) -> Callable[[Handler], Handler]:
        """A RingCentral API route. `media=True` also accepts `?access_token=` (media host)."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, "api", group, auth, media, rate_key))
            return handler

        return register

    def control(self, method: str, path: str) -> Callable[[Handler], Handler]:
        if not path.startswith("/sandbox/v1/"):
            raise ValueError("control routes live under /sandbox/v1/")

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, "control"))
            return handler

        return register

    def page(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, "page"))
            return handler

        return register


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        value.encode()  # UnicodeEncodeError (a ValueError) for a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            key.encode()
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON (RFC 8259, I-JSON): no NaN/Infinity, no number that overflows a float and
    no lone surrogate (`"\\ud800"`); Python's parser accepts all three and hands handlers an
    `inf` or a string that cannot be encoded. Raises ValueError (UnicodeDecodeError is one) or
    RecursionError for absurdly deep nesting."""
    value = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    _check_strings(value)
    return value


JSON_MEDIA_TYPE = "application/json; charset=UTF-8"  # as RingCentral labels it (CONTRACT §3.4)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        content = text.encode()
    except UnicodeEncodeError:  # a lone surrogate from a client's "\ud800": keep it escaped
        content = json.dumps(body, separators=(",", ":")).encode()
    return Response(
        content,
        status_code=status,
        headers=headers,
        media_type=JSON_MEDIA_TYPE,
    )


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.status, error.headers)


class Ctx:
    """What a handler gets: the request, the current world, the authenticated token (if the
    route needs one), and helpers for ids, bodies and URIs."""

    __slots__ = (
        "_form",
        "_json",
        "client_id",
        "extension_id",
        "log_extra",
        "platform",
        "request",
        "route",
        "token",
        "world",
    )

    def __init__(self, request: Request, platform: "Platform", route: Route) -> None:
        self.request = request
        self.platform = platform
        self.world: World = platform.world
        self.route = route
        self.token: AccessToken | None = None
        self.client_id: str | None = None
        self.extension_id: str | None = None
        self.log_extra: dict[str, Any] = {}
        self._form: dict[str, str] | None = None
        self._json: Any = None

    @property
    def query(self):
        return self.request.query_params

    @property
    def params(self) -> dict[str, str]:
        return self.request.path_params

    @property
    def me(self) -> "Extension":
        """The extension the access token belongs to."""
        assert self.token is not None
        return self.world.account.extensions[self.token.session.extension_id]

    def url(self, path: str) -> str:
        return self.platform.config.public_url + path

    def media_url(self, path: str) -> str:
        return self.platform.config.media_url + path

    def account_id(self) -> str:
        """The `{accountId}` path parameter resolved (`~` = ours); 404 CMN-102 otherwise."""
        return self.world.account.resolve_account_id(self.params["accountId"])

    def extension(self, param: str = "extensionId") -> "Extension":
        """The `{extensionId}` path parameter resolved (`~` = the caller); 404 CMN-102."""
        self.account_id()
        return self.world.account.resolve_extension(self.params[param], self.me)

    async def json(self) -> Any:
        """The JSON body (400 CMN-103 when it does not parse; `{}` when empty)."""
        if self._json is None:
            raw = await self.request.body()
            if not raw.strip():
                self._json = {}
            else:
                try:
                    self._json = parse_json(raw)
                except (ValueError, RecursionError):
                    raise unparsable_json() from None
        return self._json

    async def form(self) -> dict[str, str]:
        """A form-encoded body as a dict (the last value wins); 400 CMN-104 when unreadable."""
        if self._form is None:
            try:
                form = await self.request.form()
            except Exception:
                raise unparsable_request() from None
            self._form = {k: v for k, v in form.items() if isinstance(v, str)}
        return self._form


def build_endpoint(route: Route, platform: "Platform") -> Callable[[Request], Awaitable[Response]]:
    if route.kind == "api":

        async def endpoint(request: Request) -> Response:
            return await run_api(route, platform, request)

    else:

        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request, platform, route)
            try:
                return await route.handler(ctx)
            except ApiError as error:
                return error_response(error)
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return json_response({"error": "internal error (see the sandbox log)"}, 500)

    return endpoint


async def run_api(route: Route, platform: "Platform", request: Request) -> Response:
    started = time.perf_counter()
    ctx = Ctx(request, platform, route)
    world = ctx.world
    fault_id = None
    try:
        fault_id, response = await _pipeline(ctx)
    except ApiError as error:
        response = error_response(error)
    except Exception:
        log.exception("%s %s failed", request.method, request.url.path)
        response = error_response(internal_error())
    world.requests.add(
        world.clock.now(),
        method=request.method,
        path=request.url.path,
        query={k: request.query_params.getlist(k) for k in request.query_params},
        status=response.status_code,
        group=route.group,
        client_id=ctx.client_id,
        extension_id=ctx.extension_id,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        grant_type=ctx.log_extra.pop("grant_type", None),
        fault_id=fault_id,
        extra=ctx.log_extra,
    )
    return response


async def _pipeline(ctx: Ctx) -> tuple[str | None, Response]:
    route, world, request = ctx.route, ctx.world, ctx.request
    for fault in world.faults.for_request(request.method, request.url.path):
        if fault.kind == "latency":
            await asyncio.sleep(fault.params["seconds"])
        else:
            return fault.id, fault_response(fault, route, ctx.platform.config)
    if route.auth:
        ctx.token = world.oauth.authenticate(request, allow_query=route.media)
        ctx.client_id = ctx.token.session.client_id
        ctx.extension_id = ctx.token.session.extension_id
    config = ctx.platform.config
    verdict = None
    if route.group and config.rate_limits_enabled:
        if route.rate_key is not None:
            subject, client = await route.rate_key(ctx)
        else:
            subject, client = ctx.extension_id or "-", ctx.client_id or "-"
        verdict = world.limiter.check(subject, client, route.group)
        if not verdict.allowed:
            headers = {**verdict.headers(), "Retry-After": str(verdict.retry_after)}
            raise ApiError(429, "CMN-301", "Request rate exceeded", headers=headers)
    try:
        response = await route.handler(ctx)
    except ApiError as error:
        response = error_response(error)
    if verdict is not None:
        response.headers.update(verdict.headers())
    return None, response


DEFAULT_FAULT_BODIES = {
    429: ("CMN-301", "Request rate exceeded"),
    500: ("CMN-203", "Internal Server Error"),
    501: ("CMN-202", "Operation is not supported"),
    502: ("CMN-201", "Service Temporary Unavailable"),
    503: ("CMN-201", "Service Temporary Unavailable"),
    504: ("CMN-201", "Service Temporary Unavailable"),
}


def fault_response(fault, route: Route, config) -> Response:
    """The response an `http_error` or `rate_limit` fault sends instead of the real one.

    An injected 429 with rate headers names the route's own group and limit, as a real
    user-level limit would."""
    params = fault.params
    status = 429 if fault.kind == "rate_limit" else params["status"]
    headers: dict[str, str] = dict(params.get("headers") or {})
    if fault.kind == "rate_limit":
        if params["retry_after"] is not None:
            headers["Retry-After"] = str(params["retry_after"])
        if params["rate_headers"]:
            group = route.group or "Heavy"
            headers.update(
                {
                    "X-Rate-Limit-Group": group.lower(),
                    "X-Rate-Limit-Limit": str(config.limit_for(group)),
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Window": str(max(1, math.ceil(config.rate_window))),
                }
            )
    body = params.get("body")
    if isinstance(body, str):
        media_type = params.get("content_type") or "text/plain"
        return Response(body.encode(), status_code=status, headers=headers, media_type=media_type)
    if body is None:
        code, message = DEFAULT_FAULT_BODIES.get(status, ("CMN-203", "Internal Server Error"))
        body = {"errors": [{"errorCode": code, "message": message}]}
    response = json_response(body, status, headers)
    if params.get("content_type"):
        response.headers["content-type"] = params["content_type"]
    return response
