"""Control endpoints for messaging (documented in sandbox/README.md):

- `POST /sandbox/v1/messages`: an inbound SMS/MMS/fax/voicemail from an outside number to an
  extension or one of the account's numbers; answers the created message ids.
- `GET`/`POST`/`DELETE /sandbox/v1/messages/numbers`: outside numbers a scenario marks
  `unreachable` (SMS `DeliveryFailed`, fax `SendingFailed`), `blocked` (SMS refused with
  `MSG-243`, fax `SendingFailed`) or `opted_out` (SMS `SendingFailed`), or back to `normal`.
"""

import base64
import binascii
from typing import Any

from starlette.responses import Response

from sandbox.account.models import Extension
from sandbox.control.routes import ControlError, number_field, read_body
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.messages import api
from sandbox.messages import content as media
from sandbox.messages.models import FAX_RESOLUTIONS
from sandbox.messages.numbers import parse_number
from sandbox.messages.store import NUMBER_STATES, NumberRule, Upload, primary_number, store_of

router = Router()
INBOUND_TYPES = ("SMS", "MMS", "Fax", "VoiceMail")


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ControlError(400, f"{key} is required")
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"{key} must be a non-empty string")
    return value


def _extension(ctx: Ctx, target: str) -> Extension | None:
    account = ctx.world.account
    return account.extensions.get(target) or next(
        (e for e in account.extensions.values() if e.extension_number == target), None
    )


def _target_number(ctx: Ctx, target: str, kind: str) -> str:
    """`to` as one of the account's numbers: a number, or an extension (its primary number;
    its fax number for a fax)."""
    ext = _extension(ctx, target)
    if ext is not None:
        number = primary_number(ctx.world, ext, fax=kind == "Fax")
        if number is None:
            raise ControlError(400, f"extension {target} has no phone number")
        return number.phone_number
    parsed = parse_number(target)
    number = ctx.world.account.number(parsed.e164 or "")
    if number is None or number.extension_id is None:
        raise ControlError(400, f"{target} is not a number or extension of the account")
    if kind != "Fax" and number.type == "FaxOnly":
        raise ControlError(400, f"{target} is a fax-only number")
    return number.phone_number


def _uploads(body: dict[str, Any]) -> list[Upload]:
    raw = body.get("attachments") or []
    if not isinstance(raw, list):
        raise ControlError(400, "attachments must be a list")
    uploads = []
    for item in raw:
        if not isinstance(item, dict):
            raise ControlError(400, "each attachment is an object")
        unknown = set(item) - {"filename", "text", "content_base64", "content_type"}
        if unknown:
            raise ControlError(400, f"unknown attachment field(s): {', '.join(sorted(unknown))}")
        filename = _string(item, "filename")
        text = _string(item, "text")
        if text is not None:
            data = text.encode()
        else:
            try:
                data = base64.b64decode(_string(item, "content_base64") or "", validate=True)
            except (binascii.Error, ValueError):
                raise ControlError(400, "content_base64 is not base64") from None
        content_type = _string(item, "content_type") or media.guess_content_type(filename)
        if not data or not content_type:
            raise ControlError(400, "an attachment needs content and a content_type/filename")
        uploads.append(Upload(data, str(content_type), filename))
    return uploads


@router.control("POST", "/sandbox/v1/messages")
async def inbound_message(ctx: Ctx) -> Response:
    body = await read_body(ctx)
    kind = body.get("type", "SMS")
    if kind not in INBOUND_TYPES:
        raise ControlError(400, f"type is one of {', '.join(INBOUND_TYPES)}")
    target = _string(body, "to", required=True)
    sender = _string(body, "from", required=True)
    assert target is not None and sender is not None
    from_name = _string(body, "from_name")
    world = ctx.world
    try:
        if kind == "VoiceMail":
            ext = _extension(ctx, target) or _extension(ctx, _owner_of(ctx, target))
            assert ext is not None
            duration = number_field(
                body, "duration_s", low=1, high=api.MAX_VOICEMAIL_S, integer=True, default=10
            )
            msg = api.leave_voicemail(
                world,
                extension_id=ext.id_str,
                from_number=sender,
                from_name=from_name,
                duration_s=duration,
                telephony_session_id=_string(body, "telephony_session_id"),
                transcription=_string(body, "transcription"),
            )
        elif kind == "Fax":
            pages = number_field(
                body, "pages", low=1, high=api.MAX_FAX_PAGES, integer=True, default=1
            )
            resolution = body.get("fax_resolution", "High")
            if resolution not in FAX_RESOLUTIONS:
                raise ControlError(400, f"fax_resolution is one of {', '.join(FAX_RESOLUTIONS)}")
            uploads = _uploads(body)
            document = next((u.content for u in uploads if media.is_pdf(u.content)), None)
            msg = api.receive_fax(
                world,
                to_number=_target_number(ctx, target, kind),
                from_number=sender,
                from_name=from_name,
                pages=pages,
                document=document,
                resolution=resolution,
            )
        else:
            uploads = _uploads(body)
            if kind == "MMS" and not uploads:
                raise ControlError(400, "an MMS needs attachments")
            msg = api.receive_sms(
                world,
                to_number=_target_number(ctx, target, kind),
                from_number=sender,
                from_name=from_name,
                text=_string(body, "text"),
                attachments=uploads,
            )
    except api.MessagingError as error:
        raise ControlError(400, str(error)) from None
    record = {
        "id": msg.id,
        "extension_id": msg.extension_id,
        "type": msg.type,
        "direction": msg.direction,
        "conversation_id": msg.conversation_id,
        "uri": api.message_uri(world, msg),
        "attachment_ids": [a.id for a in msg.attachments],
    }
    return json_response({"count": 1, "records": [record]}, status=201)


def _owner_of(ctx: Ctx, target: str) -> str:
    parsed = parse_number(target)
    number = ctx.world.account.number(parsed.e164 or "")
    if number is None or number.extension_id is None:
        raise ControlError(400, f"{target} is not a number or extension of the account")
    return number.extension_id


def _rules_view(ctx: Ctx) -> dict[str, Any]:
    rules = store_of(ctx.world).number_rules
    records = [
        {"phone_number": number, "state": rule.state, "error_code": rule.error_code}
        for number, rule in sorted(rules.items())
    ]
    return {"count": len(records), "records": records}


@router.control("GET", "/sandbox/v1/messages/numbers")
async def list_number_rules(ctx: Ctx) -> Response:
    return json_response(_rules_view(ctx))


@router.control("POST", "/sandbox/v1/messages/numbers")
async def set_number_rules(ctx: Ctx) -> Response:
    body = await read_body(ctx)
    numbers = body.get("phone_numbers")
    if numbers is None and body.get("phone_number") is not None:
        numbers = [body["phone_number"]]
    if not isinstance(numbers, list) or not numbers:
        raise ControlError(400, "phone_number or phone_numbers is required")
    state = body.get("state")
    if state not in (*NUMBER_STATES, "normal"):
        raise ControlError(400, f"state is one of {', '.join((*NUMBER_STATES, 'normal'))}")
    error_code = body.get("error_code")
    if error_code is not None and not isinstance(error_code, str):
        raise ControlError(400, "error_code must be a string")
    parsed = []
    for raw in numbers:
        e164 = parse_number(raw).e164 if isinstance(raw, str) else None
        if e164 is None:
            raise ControlError(400, f"{raw!r} is not a phone number")
        parsed.append(e164)
    rules = store_of(ctx.world).number_rules
    for e164 in parsed:
        if state == "normal":
            rules.pop(e164, None)
        else:
            rules[e164] = NumberRule(state, error_code)
    return json_response(_rules_view(ctx))


@router.control("DELETE", "/sandbox/v1/messages/numbers")
async def clear_number_rules(ctx: Ctx) -> Response:
    store_of(ctx.world).number_rules.clear()
    return Response(status_code=204)
