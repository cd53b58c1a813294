"""`/restapi/v1.0/subscription` (CONTRACT §5.1): create with the validation handshake, list,
read, update, renew, delete."""

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from sandbox.core.errors import ApiError, invalid_parameter, mandatory_parameter, not_found
from sandbox.core.events import FilterError, FilterScope
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.subscriptions.models import (
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    Subscription,
)

router = Router()
BASE = "/restapi/v1.0/subscription"


def _expires_in(body: dict[str, Any]) -> int | None:
    value = body.get("expiresIn")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPIRES_IN:
        raise invalid_parameter("expiresIn", value)
    return value


def _filters(ctx: Ctx, body: dict[str, Any], expires_in: int):
    raw = body.get("eventFilters")
    if raw is None:
        raise mandatory_parameter("eventFilters")
    if not isinstance(raw, list) or not raw:
        raise invalid_parameter("eventFilters")
    scope = FilterScope(ctx.world, ctx.me.id_str)
    parsed, invalid = [], []
    for item in raw:
        try:
            parsed.append(ctx.platform.event_types.parse(item, scope))
        except FilterError as error:
            if error.code == "SUB-406":
                raise ApiError(
                    403,
                    "SUB-406",
                    "Not allowed subscribe for events to extensions of other account",
                ) from None
            invalid.append(str(item))
    if invalid:
        raise ApiError(
            400,
            "SUB-508",
            f"Invalid event filters: [{', '.join(invalid)}]",
            parameter_name="eventFilters",
        )
    for flt in parsed:
        if flt.kind == "subscription-reminder":
            threshold, interval = flt.options["threshold"], flt.options["interval"]
            if threshold > expires_in // 2 or interval > threshold // 2:
                raise ApiError(
                    400, "SUB-516", "Invalid reminder parameters", parameter_name="eventFilters"
                )
    return [str(item) for item in raw], parsed


def _own(ctx: Ctx) -> Subscription:
    sub_id = ctx.params["subscriptionId"]
    sub = ctx.world.subscriptions.get(sub_id)
    if sub is None or sub.owner_id != ctx.me.id_str or sub.client_id != ctx.client_id:
        if ctx.world.subscriptions.expired(sub_id):
            raise ApiError(
                404,
                "SUB-507",
                f"Subscription with key [{sub_id}] and assigned session [{ctx.token.session.id}]"
                " was expired",
            )
        raise not_found("subscriptionId", sub_id)
    return sub


def _info(ctx: Ctx, sub: Subscription) -> Response:
    return json_response(
        sub.info(now=ctx.world.clock.now(), base_url=ctx.platform.config.public_url)
    )


@router.api("POST", BASE, group="Medium")
async def create_subscription(ctx: Ctx) -> Response:
    body = await ctx.json()
    if not isinstance(body, dict):
        raise ApiError(400, "CMN-103", "JSON can't be parsed.")
    expires_in = _expires_in(body)
    if expires_in is None:
        expires_in = DEFAULT_EXPIRES_IN
    event_filters, parsed = _filters(ctx, body, expires_in)
    mode = body.get("deliveryMode")
    if not isinstance(mode, dict):
        raise mandatory_parameter("deliveryMode")
    if mode.get("transportType") != "WebHook":
        raise invalid_parameter("deliveryMode.transportType", mode.get("transportType"))
    address = mode.get("address")
    if not isinstance(address, str) or not address:
        raise mandatory_parameter("deliveryMode.address")
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_parameter("deliveryMode.address", address)
    config = ctx.platform.config
    if config.require_https and parts.scheme != "https":
        raise ApiError(400, "SUB-523", "HTTPS is required", parameter_name="deliveryMode.address")
    token = mode.get("verificationToken")
    if token is not None and not isinstance(token, str):
        raise invalid_parameter("deliveryMode.verificationToken")
    world, me, client_id = ctx.world, ctx.me, ctx.client_id or ""
    _check_limit(ctx, world)
    await ctx.platform.delivery.validate(address, token)
    # The handshake awaited: check the limit again so concurrent creates cannot overshoot it.
    _check_limit(ctx, world)
    now = world.clock.now()
    sub = Subscription(
        id=world.ids.uuid(),
        owner_id=me.id_str,
        client_id=client_id,
        event_filters=event_filters,
        filters=parsed,
        address=address,
        verification_token=token,
        expires_in=expires_in,
        created_at=now,
        expires_at=now + expires_in,
    )
    world.subscriptions.add(sub)
    return _info(ctx, sub)


def _check_limit(ctx: Ctx, world) -> None:
    owned = world.subscriptions.owned_by(ctx.me.id_str, ctx.client_id or "")
    if len(owned) >= ctx.platform.config.subscription_limit:
        raise ApiError(403, "SUB-505", "Subscriptions limit exceeded")


@router.api("GET", BASE, group="Light")
async def list_subscriptions(ctx: Ctx) -> Response:
    now, base = ctx.world.clock.now(), ctx.platform.config.public_url
    records = [
        s.info(now=now, base_url=base)
        for s in ctx.world.subscriptions.owned_by(ctx.me.id_str, ctx.client_id or "")
    ]
    return json_response({"uri": ctx.url(BASE), "records": records})


@router.api("GET", BASE + "/{subscriptionId}", group="Light")
async def read_subscription(ctx: Ctx) -> Response:
    return _info(ctx, _own(ctx))


@router.api("PUT", BASE + "/{subscriptionId}", group="Medium")
async def update_subscription(ctx: Ctx) -> Response:
    sub = _own(ctx)
    body = await ctx.json()
    if not isinstance(body, dict):
        raise ApiError(400, "CMN-103", "JSON can't be parsed.")
    expires_in = _expires_in(body)
    if "eventFilters" in body:
        sub.event_filters, sub.filters = _filters(ctx, body, expires_in or sub.expires_in)
    ctx.world.subscriptions.renew(sub, expires_in)
    return _info(ctx, sub)


@router.api("POST", BASE + "/{subscriptionId}/renew", group="Light")
async def renew_subscription(ctx: Ctx) -> Response:
    sub = _own(ctx)
    ctx.world.subscriptions.renew(sub)
    return _info(ctx, sub)


@router.api("DELETE", BASE + "/{subscriptionId}", group="Medium")
async def delete_subscription(ctx: Ctx) -> Response:
    sub = _own(ctx)
    ctx.world.subscriptions.delete(sub)
    return Response(status_code=204)
