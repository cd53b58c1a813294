"""Presence routes (CONTRACT §4.2): read one or several extensions, the whole account, and set
the user-controlled status."""

from typing import Any

from starlette.responses import Response

from sandbox.account.models import Extension
from sandbox.core.errors import ApiError, another_extension, invalid_parameter
from sandbox.core.multipart import multi_status
from sandbox.core.paging import page_params, paginate
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.presence.models import CALLER_ID_VISIBILITY, DND_STATUSES, USER_STATUSES

router = Router()
EXT_PRESENCE = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence"
MAX_BULK = 30
MAX_MESSAGE = 75  # PresenceInfoRequest.message maxLength

# request field -> (Presence attribute, validator)
WRITABLE: dict[str, tuple[str, Any]] = {
    "userStatus": ("user_status", USER_STATUSES),
    "dndStatus": ("dnd_status", DND_STATUSES),
    "message": ("message", str),
    "allowSeeMyPresence": ("allow_see_my_presence", bool),
    "ringOnMonitoredCall": ("ring_on_monitored_call", bool),
    "pickUpCallsOnHold": ("pick_up_calls_on_hold", bool),
    "callerIdVisibility": ("caller_id_visibility", CALLER_ID_VISIBILITY),
    "acceptCallQueueCalls": ("accept_call_queue_calls", bool),
}


def _detailed(ctx: Ctx) -> bool:
    raw = ctx.query.get("detailedTelephonyState", "false").lower()
    if raw not in ("true", "false"):
        raise invalid_parameter("detailedTelephonyState", raw)
    return raw == "true"


def presence_body(ctx: Ctx, ext: Extension, detailed: bool) -> dict[str, Any]:
    account_id = ctx.world.account.id_str
    ext_uri = ctx.url(f"/restapi/v1.0/account/{account_id}/extension/{ext.id}")
    return ctx.world.presence.info(
        ext, detailed=detailed, uri=ext_uri + "/presence", ext_uri=ext_uri
    )


@router.api("GET", EXT_PRESENCE, group="Light")
async def read_presence(ctx: Ctx) -> Response:
    ctx.account_id()
    detailed = _detailed(ctx)
    raw_ids = ctx.params["extensionId"].split(",")
    if len(raw_ids) == 1:
        return json_response(presence_body(ctx, ctx.extension(), detailed))
    if len(raw_ids) > MAX_BULK:
        raise ApiError(  # the spec's readUserPresenceStatus description, word for word
            400,
            "InvalidMultipartRequest",
            f"Extension Presence Info multipart request is limited to {MAX_BULK} extensions",
        )
    parts: list[tuple[int, dict[str, Any]]] = []
    for raw in raw_ids:
        try:
            ext = ctx.world.account.resolve_extension(raw, ctx.me)
            parts.append((200, presence_body(ctx, ext, detailed)))
        except ApiError as error:
            parts.append((error.status, error.body()))
    return multi_status(parts)


@router.api("PUT", EXT_PRESENCE, group="Medium")
async def update_presence(ctx: Ctx) -> Response:
    ext = ctx.extension()
    if ext.id_str != ctx.me.id_str and not ctx.me.is_admin:
        raise another_extension()
    if not ext.is_user:
        raise ApiError(403, "CMN-403", "The feature is not available for this extension type")
    body = await ctx.json()
    if not isinstance(body, dict):
        raise ApiError(400, "CMN-103", "JSON can't be parsed.")
    changes: dict[str, Any] = {}
    for field, (attr, rule) in WRITABLE.items():
        if field not in body:
            continue
        value = body[field]
        valid = (
            value in rule
            if isinstance(rule, tuple)
            else isinstance(value, rule) and (rule is bool or not isinstance(value, bool))
        )
        if not valid or (field == "message" and len(value) > MAX_MESSAGE):
            raise invalid_parameter(field, value)
        changes[attr] = value
    ctx.world.presence.update(ext.id_str, **changes)
    ctx.world.outbox.record(
        "presence", extension_id=ext.id_str, payload={"extensionId": ext.id_str, **body}
    )
    return json_response(presence_body(ctx, ext, detailed=True))


@router.api("GET", "/restapi/v1.0/account/{accountId}/presence", group="Heavy")
async def read_account_presence(ctx: Ctx) -> Response:
    account_id = ctx.account_id()
    detailed = _detailed(ctx)
    page, per_page = page_params(ctx.query)
    extensions = list(ctx.world.account.extensions.values())
    query_items = [(k, v) for k, v in ctx.query.multi_items() if k not in ("page", "perPage")]
    listing = paginate(
        [presence_body(ctx, ext, detailed) for ext in extensions],
        page=page,
        per_page=per_page,
        base_uri=ctx.url(f"/restapi/v1.0/account/{account_id}/presence"),
        query_items=query_items,
    )
    return json_response(listing)
