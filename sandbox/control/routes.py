"""The control API under `/sandbox/v1/` (never under /restapi): credentials, reset, request log,
outbox, OAuth sessions, run-time configuration, faults, subscriptions, deliveries and the clock.
Documented with examples in sandbox/README.md."""

import time
from typing import Any

from starlette.responses import Response

from sandbox.account.models import PhoneNumber
from sandbox.core.clock import iso, parse_iso
from sandbox.core.errors import ApiError
from sandbox.core.faults import FaultError
from sandbox.core.routing import Ctx, Router, json_response

router = Router()
STARTED = time.time()


class ControlError(ApiError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, "SANDBOX", message)

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


async def read_body(ctx: Ctx) -> dict[str, Any]:
    """A control request's JSON object body (400 `{"error": ...}` otherwise)."""
    try:
        body = await ctx.json()
    except ApiError:
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def unknown_fields(body: dict[str, Any], *known: str) -> None:
    unknown = set(body) - set(known)
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")


def number_field(
    body: dict[str, Any],
    name: str,
    *,
    low: float,
    high: float,
    integer: bool = False,
    default: float | None = None,
) -> float | None:
    """A numeric body field within [low, high] (`default` when absent or null); 400 naming
    the field otherwise."""
    value = body.get(name)
    if value is None:
        return default
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        what = "an integer" if integer else "a number"
        raise ControlError(400, f"{name} must be {what} from {low:g} to {high:g}")
    return value


def _int_query(ctx: Ctx, name: str, default: int | None = None) -> int | None:
    raw = ctx.query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None


def _number(n: PhoneNumber) -> dict[str, Any]:
    return {
        "phone_number": n.phone_number,
        "type": n.type,
        "usage_type": n.usage_type,
        "features": list(n.features),
    }


@router.control("GET", "/sandbox/v1/status")
async def status(ctx: Ctx) -> Response:
    world = ctx.world
    return json_response(
        {
            "ok": True,
            "seed": world.seed,
            "account_id": world.account.id_str,
            "uptime_s": round(time.time() - STARTED, 3),
            "time": iso(world.clock.now()),
            "last_request_id": world.requests.last_id,
            "events_published": world.bus.published,
        }
    )


@router.control("GET", "/sandbox/v1/credentials")
async def credentials(ctx: Ctx) -> Response:
    account = ctx.world.account
    config = ctx.platform.config
    confidential = next(a for a in account.apps.values() if not a.public)
    public = next(a for a in account.apps.values() if a.public)
    users = [
        {
            "extension_id": ext.id_str,
            "extension_number": ext.extension_number,
            "name": ext.name,
            "email": ext.email,
            "password": ext.password,
            "jwt": ext.jwt,
            "role": ext.role,
            "phone_numbers": [_number(n) for n in account.numbers_of(ext.id_str)],
        }
        for ext in account.users()
    ]
    return json_response(
        {
            "server": config.public_url,
            "media_server": config.media_url,
            "account_id": account.id_str,
            "main_number": account.main_number,
            "client_id": confidential.client_id,
            "client_secret": confidential.client_secret,
            "public_client_id": public.client_id,
            "redirect_uris": list(confidential.redirect_uris),
            "users": users,
            "company_numbers": [
                _number(n) for n in account.phone_numbers if n.usage_type != "DirectNumber"
            ],
            "extensions": [
                {
                    "extension_id": e.id_str,
                    "extension_number": e.extension_number,
                    "name": e.name,
                    "type": e.type,
                    "status": e.status,
                }
                for e in account.extensions.values()
            ],
        }
    )


@router.control("POST", "/sandbox/v1/reset")
async def reset(ctx: Ctx) -> Response:
    body = await read_body(ctx)
    unknown_fields(body, "seed", "keep_config")
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, str):
        raise ControlError(400, "seed must be a string")
    keep_config = body.get("keep_config", False)
    if not isinstance(keep_config, bool):
        raise ControlError(400, "keep_config must be true or false")
    try:
        world = ctx.platform.reset(seed=seed, keep_config=keep_config)
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    return json_response({"ok": True, "seed": world.seed, "account_id": world.account.id_str})


@router.control("GET", "/sandbox/v1/requests")
async def requests(ctx: Ctx) -> Response:
    log = ctx.world.requests
    since_raw = ctx.query.get("since", "")
    since, since_time = 0, None
    if since_raw:
        if since_raw.isdigit():
            since = int(since_raw)
        else:
            try:
                since_time = parse_iso(since_raw)
            except ValueError:
                raise ControlError(400, "since is a request id or an ISO time") from None
    records = log.query(
        since=since,
        since_time=since_time,
        path_prefix=ctx.query.get("path_prefix"),
        method=ctx.query.get("method"),
        status=_int_query(ctx, "status"),
        grant_type=ctx.query.get("grant_type"),
        extension_id=ctx.query.get("extension_id"),
        limit=_int_query(ctx, "limit"),
    )
    return json_response(
        {"last_id": log.last_id, "count": len(records), "records": [r.as_dict() for r in records]}
    )


@router.control("GET", "/sandbox/v1/outbox")
async def outbox(ctx: Ctx) -> Response:
    entries = ctx.world.outbox.query(
        kind=ctx.query.get("kind"),
        extension_id=ctx.query.get("extension_id"),
        since=_int_query(ctx, "since", 0) or 0,
    )
    return json_response({"count": len(entries), "records": [e.as_dict() for e in entries]})


@router.control("GET", "/sandbox/v1/sessions")
async def sessions(ctx: Ctx) -> Response:
    oauth, now = ctx.world.oauth, ctx.world.clock.now()
    found = oauth.select_sessions(
        extension_id=ctx.query.get("extension_id"), client_id=ctx.query.get("client_id")
    )
    active = ctx.query.get("active")
    if active in ("true", "false"):
        found = [s for s in found if s.active == (active == "true")]
    return json_response({"count": len(found), "records": [s.as_dict(now) for s in found]})


@router.control("GET", "/sandbox/v1/config")
async def read_config(ctx: Ctx) -> Response:
    return json_response(ctx.platform.config.runtime_view())


@router.control("PATCH", "/sandbox/v1/config")
async def update_config(ctx: Ctx) -> Response:
    body = await read_body(ctx)
    try:
        view = ctx.platform.config.update(body)
    except ValueError as error:
        raise ControlError(400, f"invalid or unknown setting: {error}") from None
    return json_response(view)


def _apps_view(ctx: Ctx) -> dict[str, Any]:
    return {
        "apps": [
            {
                "client_id": app.client_id,
                "name": app.name,
                "public": app.public,
                "redirect_uris": list(app.redirect_uris),
                "grants": list(app.grants),
                "scope": app.scope,
            }
            for app in ctx.world.account.apps.values()
        ]
    }


@router.control("GET", "/sandbox/v1/app")
async def read_apps(ctx: Ctx) -> Response:
    return json_response(_apps_view(ctx))


@router.control("PATCH", "/sandbox/v1/app")
async def update_apps(ctx: Ctx) -> Response:
    """Change allowed redirect URIs: `redirect_uris` (replace), `add_redirect_uris`,
    `remove_redirect_uris`; `client_id` limits the change to one app (default: both)."""
    body = await read_body(ctx)
    unknown_fields(body, "client_id", "redirect_uris", "add_redirect_uris", "remove_redirect_uris")
    apps = ctx.world.account.apps
    client_id = body.get("client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise ControlError(400, "client_id must be a string")
    if client_id is not None and client_id not in apps:
        raise ControlError(404, "no such client_id")
    lists = {}
    for key in ("redirect_uris", "add_redirect_uris", "remove_redirect_uris"):
        value = body.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(u, str) and u for u in value)
        ):
            raise ControlError(400, f"{key} must be a list of URIs")
        lists[key] = value
    targets = [apps[client_id]] if client_id else list(apps.values())
    for app in targets:
        uris = (
            list(lists["redirect_uris"])
            if lists["redirect_uris"] is not None
            else app.redirect_uris
        )
        uris = [u for u in uris if u not in (lists["remove_redirect_uris"] or [])]
        uris += [u for u in lists["add_redirect_uris"] or [] if u not in uris]
        app.redirect_uris = uris
    if client_id is None:
        ctx.platform.config.redirect_uris = list(targets[0].redirect_uris)
    return json_response(_apps_view(ctx))


@router.control("GET", "/sandbox/v1/faults")
async def list_faults(ctx: Ctx) -> Response:
    return json_response(
        {
            "records": [f.as_dict() for f in ctx.world.faults.all()],
            "actions": ctx.platform.fault_actions.names(),
        }
    )


@router.control("POST", "/sandbox/v1/faults")
async def add_fault(ctx: Ctx) -> Response:
    body = await read_body(ctx)
    kind = body.get("kind")
    if not isinstance(kind, str):
        raise ControlError(400, "kind is required: a fault kind or a one-shot action")
    action = ctx.platform.fault_actions.get(kind)
    if action is not None:
        try:
            result = action(ctx.world, body)
        except FaultError as error:
            raise ControlError(400, str(error)) from None
        return json_response({"kind": kind, "applied": True, **result})
    try:
        fault = ctx.world.faults.add(body)
    except FaultError as error:
        raise ControlError(400, str(error)) from None
    return json_response(fault.as_dict(), status=201)


@router.control("DELETE", "/sandbox/v1/faults")
async def clear_faults(ctx: Ctx) -> Response:
    ctx.world.faults.clear()
    return Response(status_code=204)


@router.control("DELETE", "/sandbox/v1/faults/{faultId}")
async def delete_fault(ctx: Ctx) -> Response:
    if not ctx.world.faults.remove(ctx.params["faultId"]):
        raise ControlError(404, "no such fault")
    return Response(status_code=204)


@router.control("GET", "/sandbox/v1/subscriptions")
async def subscriptions(ctx: Ctx) -> Response:
    world = ctx.world
    now, base = world.clock.now(), ctx.platform.config.public_url
    records = [
        {
            **s.info(now=now, base_url=base),
            "ownerId": s.owner_id,
            "clientId": s.client_id,
            "queued": len(s.queue),
            "held": len(s.held),
            "delivered": s.delivered,
            "failedAttempts": s.failed_attempts,
        }
        for s in world.subscriptions.all()
    ]
    return json_response({"count": len(records), "records": records})


SETTLE_TIMEOUT = 10.0


@router.control("GET", "/sandbox/v1/deliveries")
async def deliveries(ctx: Ctx) -> Response:
    """The delivery log. `settle=true` first waits (at most 10 s) until every queued
    notification has been tried and every attempt in flight has its outcome logged."""
    settled = None
    if ctx.query.get("settle") == "true":
        settled = await ctx.platform.delivery.settle(ctx.world, SETTLE_TIMEOUT)
    records = ctx.world.deliveries.query(
        subscription_id=ctx.query.get("subscription_id"), since=_int_query(ctx, "since", 0) or 0
    )
    body: dict[str, Any] = {"count": len(records), "records": records}
    if settled is not None:
        body["settled"] = settled
    return json_response(body)


MAX_ADVANCE_S = 10 * 366 * 86400  # ten years a step keeps every timestamp printable


@router.control("GET", "/sandbox/v1/clock")
async def read_clock(ctx: Ctx) -> Response:
    clock = ctx.world.clock
    return json_response({"time": iso(clock.now()), "offset_s": clock.offset})


@router.control("POST", "/sandbox/v1/clock")
async def advance_clock(ctx: Ctx) -> Response:
    """Move the platform clock forward by `advance_s` seconds and run the timers now due."""
    body = await read_body(ctx)
    seconds = number_field(body, "advance_s", low=0, high=MAX_ADVANCE_S)
    if seconds is None:
        raise ControlError(400, "advance_s is required")
    world = ctx.world
    world.clock.advance(seconds)
    ran = world.scheduler.run_due()
    return json_response(
        {"time": iso(world.clock.now()), "offset_s": world.clock.offset, "timers_run": ran}
    )
