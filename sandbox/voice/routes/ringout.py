"""RingOut (CONTRACT §9): create (Heavy), poll (Light), cancel (Heavy) under `/ring-out` as in the
spec, and under `/ringout` as the guide's sample URIs have it. The legs run through the call
engine, so telephony and presence events and the call log happen as for any call."""

from typing import Any

from starlette.responses import Response

from sandbox.core.errors import (
    another_extension,
    invalid_parameter,
    mandatory_parameter,
    not_found,
)
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.voice.engine import CallError
from sandbox.voice.numbers import normalize
from sandbox.voice.ringout import RingOut
from sandbox.voice.routes.common import bool_field, engine, json_object, string_field

router = Router()
EXTENSION = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"


def _own_extension(ctx: Ctx):
    ext = ctx.extension()
    if ext.id_str != ctx.me.id_str and not ctx.me.is_admin:
        raise another_extension()
    return ext


def _uri(ctx: Ctx, ringout: RingOut) -> str:
    account_id = ctx.world.account.id
    return ctx.url(
        f"/restapi/v1.0/account/{account_id}/extension/{ringout.extension.id}/ring-out/{ringout.id}"
    )


def _number(body: dict[str, Any], path: str) -> str:
    """A phone number in E.164 (the user's own phone, the caller id)."""
    raw = string_field(body, "phoneNumber", path=path)
    number = normalize(raw)
    if number is None or not number.startswith("+"):
        raise invalid_parameter(path, raw)
    return number


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        raise mandatory_parameter(name)
    if not isinstance(value, dict):
        raise invalid_parameter(name, value)
    return value


async def create_ringout(ctx: Ctx) -> Response:
    ext = _own_extension(ctx)
    body = await json_object(ctx)
    source = _object(body, "from")
    if source.get("forwardingNumberId") is not None and source.get("phoneNumber") is None:
        # No forwarding numbers are configured in the sandbox account.
        raise invalid_parameter("from.forwardingNumberId", source["forwardingNumberId"])
    from_number = _number(source, "from.phoneNumber")
    to_number = string_field(_object(body, "to"), "phoneNumber", path="to.phoneNumber")
    caller_id = None
    if body.get("callerId") is not None:
        caller_id = _number(_object(body, "callerId"), "callerId.phoneNumber")
        owned = ctx.world.account.number(caller_id)
        if owned is None or "CallerId" not in owned.features:
            raise invalid_parameter("callerId.phoneNumber", caller_id)
    play_prompt = bool_field(body, "playPrompt") or False
    try:
        ringout = engine(ctx).start_ringout(
            ext, from_number=from_number, to=to_number, caller_id=caller_id, play_prompt=play_prompt
        )
    except CallError:
        raise invalid_parameter("to.phoneNumber", to_number) from None
    response = ringout.as_json(_uri(ctx, ringout))
    ctx.world.outbox.record(
        "ringout",
        extension_id=ext.id_str,
        payload={
            **response,
            "from": {"phoneNumber": from_number},
            "to": {"phoneNumber": ringout.to_number},
            "callerId": {"phoneNumber": caller_id} if caller_id else None,
            "playPrompt": play_prompt,
            "telephonySessionId": ringout.session.id,
        },
    )
    return json_response(response)


def _ringout(ctx: Ctx) -> RingOut:
    ext = _own_extension(ctx)
    ringout = engine(ctx).ringouts.get(ctx.params["ringoutId"])
    if ringout is None or ringout.extension is not ext:
        raise not_found("ringoutId", ctx.params["ringoutId"])
    return ringout


async def read_ringout(ctx: Ctx) -> Response:
    ringout = _ringout(ctx)
    return json_response(ringout.as_json(_uri(ctx, ringout)))


async def cancel_ringout(ctx: Ctx) -> Response:
    """204 in every case: before the first leg connects the RingOut ends; afterwards DELETE
    does not terminate the call (RingOut guide) and the outbox says `cancelled: false`."""
    ringout = _ringout(ctx)
    cancelled = engine(ctx).cancel_ringout(ringout)
    ctx.world.outbox.record(
        "ringout_cancel",
        extension_id=ringout.extension.id_str,
        payload={"id": ringout.id, "cancelled": cancelled},
    )
    return Response(status_code=204)


for _path in ("/ring-out", "/ringout"):
    router.api("POST", EXTENSION + _path, group="Heavy")(create_ringout)
    router.api("GET", EXTENSION + _path + "/{ringoutId}", group="Light")(read_ringout)
    router.api("DELETE", EXTENSION + _path + "/{ringoutId}", group="Heavy")(cancel_ringout)
