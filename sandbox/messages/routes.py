"""Messaging routes (CONTRACT §8, §10): send SMS/MMS/fax, the fax cover-page dictionary, the
message store (list, read, update, delete, attachment content) and message sync.

Handlers validate and decide every 4xx here, with RingCentral's error codes; the store
(`store.py`) makes the change.
"""

from dataclasses import replace
from typing import Any

from starlette.responses import Response

from sandbox.account.models import Extension, PhoneNumber
from sandbox.core.clock import iso, parse_iso
from sandbox.core.errors import (
    ApiError,
    another_extension,
    invalid_parameter,
    mandatory_parameter,
    not_found,
    unparsable_json,
)
from sandbox.core.media import media_response
from sandbox.core.multipart import multi_status
from sandbox.core.paging import page_params, paginate
from sandbox.core.params import bool_param, kept_query, multi_values, time_param
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.messages import content as media
from sandbox.messages import store as services
from sandbox.messages import sync
from sandbox.messages.bodies import RawUpload, SendBody, read_send_body, recipients_of
from sandbox.messages.models import (
    AVAILABILITIES,
    DIRECTIONS,
    FAX_COVER_PAGES,
    FAX_RESOLUTIONS,
    MESSAGE_TYPES,
    READ_STATUSES,
    Message,
    fax_response_json,
    message_json,
    pager_response_json,
    single_message_json,
    sms_response_json,
    sync_record_json,
)
from sandbox.messages.numbers import parse_number
from sandbox.messages.store import Upload, store_of

router = Router()
EXT = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"
STORE = EXT + "/message-store"

MAX_RECIPIENTS = 10  # "Exceeded maximum number of recipients for a Group MMS: [10]"
MAX_MMS_ATTACHMENTS = 10
MAX_MMS_BYTES = 1_500_000
MAX_SMS_BODY = 10 * 1024 * 1024  # x-request-max-body-size: 10m
MAX_FAX_BODY = 55 * 1024 * 1024  # x-request-max-body-size: 55m
MAX_FAX_BYTES = 50 * 1024 * 1024  # "Fax attachment size (both single and total) is limited to 50Mb"
MAX_COVER_TEXT = 1024
MAX_FILENAME = 256
MAX_BULK_IDS = 50
SMS_FIELDS = frozenset({"from", "to", "text", "country"})
FAX_FIELDS = frozenset(
    {"to", "faxResolution", "sendTime", "isoCode", "coverIndex", "coverPageText", "country"}
)
DELETE_TYPES = (*MESSAGE_TYPES, "Text", "All")
DAY = 86_400.0


def _mailbox_of(ctx: Ctx) -> Extension:
    """The `{extensionId}` mailbox; only its owner (or an admin) may use it."""
    ext = ctx.extension()
    if ext.id_str != ctx.me.id_str and not ctx.me.is_admin:
        raise another_extension()
    return ext


def _check_sending_rate(ctx: Ctx, ext: Extension, kind: str) -> None:
    """SMS sending is limited per user across all apps (40/min for /sms, 50/min for /mms):
    429 `MSG-305` once exceeded."""
    config = ctx.platform.config
    if not config.rate_limits_enabled:
        return
    base = config.mms_rate_limit if kind == "mms" else config.sms_rate_limit
    limit = max(1, int(base * config.rate_limit_multiplier))
    wait = store_of(ctx.world).sending_rate(ext.id_str, kind, limit, config.rate_window)
    if wait is not None:
        raise ApiError(
            429,
            "MSG-305",
            "Request rate exceeded",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


# --- sending: shared checks -------------------------------------------------------------------


def _sender_number(ctx: Ctx, ext: Extension, body: SendBody) -> PhoneNumber:
    sender = body.fields.get("from")
    if isinstance(sender, dict):
        sender = sender.get("phoneNumber")
    if sender is None or sender == "":
        raise mandatory_parameter("from.phoneNumber")
    if not isinstance(sender, str):
        raise invalid_parameter("from.phoneNumber", sender)
    parsed = parse_number(sender)
    if parsed.e164 is None:
        raise invalid_parameter("from.phoneNumber", sender)
    number = ctx.world.account.number(parsed.e164)
    if number is None or number.extension_id != ext.id_str:
        raise ApiError(
            400,
            "MSG-245",
            f"Parameter [from] value [{parsed.digits}] is invalid "
            "[Cannot find the phone number which belongs to user]",
            parameter_name="from",
            parameter_value=sender,
        )
    return number


def _recipients(ctx: Ctx, body: SendBody, *, fax: bool) -> list[tuple[str, str | None]]:
    pairs = recipients_of(body.fields.get("to")) if body.fields.get("to") is not None else []
    if pairs is None:
        raise invalid_parameter("to")
    if not pairs:
        raise mandatory_parameter("to")
    if not fax and len(pairs) > MAX_RECIPIENTS:
        raise ApiError(
            400,
            "MSG-381",
            f"Exceeded maximum number of recipients for a Group MMS: [{MAX_RECIPIENTS}]",
        )
    out: list[tuple[str, str | None]] = []
    for raw, name in pairs:
        if raw is None or raw == "":
            raise mandatory_parameter("to.phoneNumber")
        if not isinstance(raw, str):
            raise invalid_parameter("to.phoneNumber", raw)
        parsed = parse_number(raw)
        if parsed.short:
            is_extension = any(
                e.extension_number == raw.strip() for e in ctx.world.account.extensions.values()
            )
            if fax:
                raise ApiError(400, "MSG-344", "Sending fax to extension numbers is not available")
            if is_extension:
                raise ApiError(
                    400, "MSG-246", "Sending SMS from/to extension numbers is not available"
                )
            raise ApiError(400, "MSG-247", "Sending SMS to short numbers is not available")
        if parsed.e164 is None:
            raise invalid_parameter("to" if fax else "to.phoneNumber", raw)
        if any(e164 == parsed.e164 for e164, _ in out):
            raise ApiError(
                400,
                "CMN-406",
                f"Duplicate value for parameter to: {parsed.e164} found in request",
                parameter_name="to",
            )
        out.append((parsed.e164, name if isinstance(name, str) and name else None))
    return out


def _upload(raw: RawUpload, allowed: frozenset[str]) -> Upload:
    label = raw.filename or ""
    if not raw.data:
        raise ApiError(400, "MSG-347", f"Attachment [{label}] body is empty")
    if len(label) > MAX_FILENAME:
        raise ApiError(400, "MSG-370", f"filename is too long, {MAX_FILENAME} characters allowed")
    declared = raw.declared_type
    content_type = (
        declared
        if declared and declared != "application/octet-stream"
        else media.guess_content_type(raw.filename) or declared
    )
    if not content_type:
        raise ApiError(
            415,
            "MSG-353",
            f"No file extension or content type specified, attachment [{raw.index}]: [{label}]",
        )
    if content_type not in allowed:
        raise ApiError(
            415,
            "MSG-348",
            f"Unsupported attachment media type, attachment [{raw.index}]: "
            f"[{label or content_type}]",
        )
    return Upload(raw.data, content_type, raw.filename)


def _size_exceeded() -> ApiError:
    return ApiError(400, "MSG-376", "Attachment size limit exceeded")


# --- SMS / MMS --------------------------------------------------------------------------------


async def _send_sms(ctx: Ctx, *, mms_endpoint: bool) -> Response:
    ext = _mailbox_of(ctx)
    body = await read_send_body(
        ctx, form_fields=SMS_FIELDS, json_allowed=not mms_endpoint, max_bytes=MAX_SMS_BODY
    )
    mms = mms_endpoint or bool(body.uploads)
    _check_sending_rate(ctx, ext, "mms" if mms_endpoint else "sms")
    number = _sender_number(ctx, ext, body)
    if number.type == "FaxOnly":
        raise ApiError(403, "MSG-241", "Cannot send SMS from Fax number")
    if "SmsSender" not in number.features:
        raise ApiError(403, "MSG-367", '"from" phone number does not support SMS')
    if mms and "MmsSender" not in number.features:
        raise ApiError(403, "MSG-242", "The requested feature is not available")
    recipients = _recipients(ctx, body, fax=False)
    text = body.fields.get("text")
    if text is not None and not isinstance(text, str):
        raise invalid_parameter("text")
    if mms_endpoint and not body.uploads:
        raise mandatory_parameter("attachments")
    if not text and not body.uploads:
        raise mandatory_parameter("text")
    if text and media.text_units(text) > media.MAX_TEXT_UNITS:
        raise invalid_parameter("text")
    country = body.fields.get("country")
    if country is not None and not isinstance(country, dict):
        raise invalid_parameter("country")
    if country and country.get("id") and country.get("isoCode"):
        raise ApiError(
            400,
            "MSG-365",
            "Parameters [country.id] and [country.isoCode] can not be specified simultaneously",
        )
    if len(body.uploads) > MAX_MMS_ATTACHMENTS:
        raise ApiError(400, "MSG-379", "Too many attachments")
    uploads = [_upload(raw, media.MMS_CONTENT_TYPES) for raw in body.uploads]
    if sum(len(u.content) for u in uploads) > MAX_MMS_BYTES:
        raise _size_exceeded()
    rules = store_of(ctx.world).number_rules
    for e164, _ in recipients:
        rule = rules.get(e164)
        if rule is not None and rule.state == "blocked":
            raise ApiError(
                400,
                "MSG-243",
                f"Parameter [to] value [{e164.lstrip('+')}] is invalid [Phone number is blocked]",
                parameter_name="to",
            )
    msg = services.send_sms(
        ctx.world,
        ext=ext,
        sender=number,
        to_numbers=[e164 for e164, _ in recipients],
        text=text or None,
        uploads=uploads,
    )
    services.record_outbox(ctx.world, msg)
    ctx.log_extra["message_id"] = msg.id
    return json_response(sms_response_json(msg, store_of(ctx.world).urls))


@router.api("POST", EXT + "/sms", group="Medium")
async def create_sms(ctx: Ctx) -> Response:
    return await _send_sms(ctx, mms_endpoint=False)


@router.api("POST", EXT + "/mms", group="Medium")
async def create_mms(ctx: Ctx) -> Response:
    return await _send_sms(ctx, mms_endpoint=True)


# --- pager ------------------------------------------------------------------------------------

MAX_PAGER_UNITS = 1024


def _pager_extension(ctx: Ctx, party: Any, name: str) -> Extension | None:
    """An extension named by `{extensionId}` or `{extensionNumber}` (None when not found)."""
    if not isinstance(party, dict):
        raise invalid_parameter(name)
    account = ctx.world.account
    ext_id, number = party.get("extensionId"), party.get("extensionNumber")
    if ext_id is not None:
        return account.extensions.get(str(ext_id))
    if number is not None:
        return next(
            (e for e in account.extensions.values() if e.extension_number == str(number)), None
        )
    raise mandatory_parameter(f"{name}.extensionNumber")


@router.api("POST", EXT + "/company-pager", group="Medium")
async def create_pager_message(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    body = await ctx.json()
    if not isinstance(body, dict):
        raise unparsable_json()
    text = body.get("text")
    if not text:
        raise mandatory_parameter("text")
    if not isinstance(text, str) or media.text_units(text) > MAX_PAGER_UNITS:
        raise invalid_parameter("text")
    if body.get("from") is not None:
        sender = _pager_extension(ctx, body["from"], "from")
        if sender is None or sender.id_str != ext.id_str:
            raise ApiError(
                400,
                "MSG-332",
                "Parameter [from] value is invalid "
                "[Sender extension id does not correspond to logged in extension]",
                parameter_name="from",
            )
    targets = body.get("to")
    store = store_of(ctx.world)
    if targets is None and body.get("replyOn") is not None:
        original = store.get(ext.id_str, _int_or_none(body["replyOn"]) or -1)
        if original is None or original.type != "Pager":
            raise not_found("replyOn", body["replyOn"])
        wanted = {original.sender.extension_id, *(p.extension_id for p in original.recipients)}
        wanted.discard(ext.id_str)
        recipients = [ctx.world.account.extensions[i] for i in wanted if i]
    else:
        if not isinstance(targets, list) or not targets:
            raise mandatory_parameter("to")
        recipients = []
        for party in targets:
            recipient = _pager_extension(ctx, party, "to")
            if recipient is None or recipient.status != "Enabled":
                shown = party.get("extensionNumber") or party.get("extensionId")
                raise ApiError(
                    400,
                    "MSG-316",
                    f"Parameter [to] value [{shown}] is invalid [Target extension not found]",
                    parameter_name="to",
                )
            if recipient not in recipients:
                recipients.append(recipient)
    msg = services.send_pager(ctx.world, ext=ext, recipients=recipients, text=text)
    services.record_outbox(ctx.world, msg)
    return json_response(pager_response_json(msg, store.urls))


# --- fax --------------------------------------------------------------------------------------


def _fax_options(body: SendBody) -> tuple[str, int, str | None, float | None]:
    fields = body.fields
    resolution = fields.get("faxResolution") or "Low"
    if resolution not in FAX_RESOLUTIONS:
        raise invalid_parameter("faxResolution", resolution)
    raw_cover = fields.get("coverIndex")
    if raw_cover in (None, ""):
        cover_index = 0
    else:
        try:
            cover_index = int(raw_cover)
        except (TypeError, ValueError):
            raise invalid_parameter("coverIndex", raw_cover) from None
        if isinstance(raw_cover, bool) or not 0 <= cover_index < len(FAX_COVER_PAGES):
            raise invalid_parameter("coverIndex", raw_cover)
    cover_text = fields.get("coverPageText")
    if cover_text is not None and (
        not isinstance(cover_text, str) or len(cover_text) > MAX_COVER_TEXT
    ):
        raise invalid_parameter("coverPageText")
    send_time = _send_time(fields.get("sendTime"))
    return resolution, cover_index, cover_text or None, send_time


def _send_time(raw: Any) -> float | None:
    """`sendTime`: when to send a fax (absent, now or past: at once)."""
    if raw in (None, ""):
        return None
    try:
        return parse_iso(str(raw))
    except ValueError:
        raise invalid_parameter("sendTime", raw) from None


def _fax_sender(ctx: Ctx, ext: Extension) -> PhoneNumber:
    number = services.primary_number(ctx.world, ext, fax=True)
    if number is None:
        raise ApiError(403, "MSG-341", "The extension has no phone number to send faxes from")
    return number


@router.api("POST", EXT + "/fax", group="Heavy")
async def create_fax(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    body = await read_send_body(
        ctx, form_fields=FAX_FIELDS, json_allowed=True, max_bytes=MAX_FAX_BODY
    )
    sender = _fax_sender(ctx, ext)
    if body.encoding == "json":
        return _resend_fax(ctx, ext, sender, body)
    recipients = _recipients(ctx, body, fax=True)
    if not body.uploads:
        raise mandatory_parameter("attachment")
    documents = [_upload(raw, media.FAX_CONTENT_TYPES) for raw in body.uploads]
    sizes = [len(d.content) for d in documents]
    if max(sizes) > MAX_FAX_BYTES or sum(sizes) > MAX_FAX_BYTES:
        raise _size_exceeded()
    resolution, cover_index, cover_text, send_time = _fax_options(body)
    msg = services.send_fax(
        ctx.world,
        ext=ext,
        sender=sender,
        recipients=recipients,
        documents=documents,
        resolution=resolution,
        cover_index=cover_index,
        cover_page_text=cover_text,
        send_time=send_time,
    )
    services.record_outbox(ctx.world, msg)
    ctx.log_extra["message_id"] = msg.id
    return json_response(fax_response_json(msg, store_of(ctx.world).urls))


def _resend_fax(ctx: Ctx, ext: Extension, sender: PhoneNumber, body: SendBody) -> Response:
    """The JSON variant: re-send (or forward) one of the extension's outbound faxes."""
    raw_id = body.fields.get("originalMessageId")
    if raw_id in (None, ""):
        raise mandatory_parameter("originalMessageId")
    original = store_of(ctx.world).get(ext.id_str, _int_or_none(raw_id) or -1)
    if original is None or original.type != "Fax" or original.availability == "Purged":
        raise not_found("originalMessageId", raw_id)
    if body.fields.get("to") is not None:
        recipients = _recipients(ctx, body, fax=True)
    else:
        recipients = [(p.phone_number or "", p.name) for p in original.recipients]
    send_time = _send_time(body.fields.get("sendTime"))
    document = original.attachments[0]
    msg = services.send_fax(
        ctx.world,
        ext=ext,
        sender=sender,
        recipients=recipients,
        documents=[Upload(document.content, document.content_type, "fax.pdf")],
        resolution=original.fax_resolution or "High",
        cover_index=0,
        send_time=send_time,
    )
    services.record_outbox(ctx.world, msg)
    return json_response(fax_response_json(msg, store_of(ctx.world).urls))


@router.api("GET", "/restapi/v1.0/dictionary/fax-cover-page", group="Light")
async def list_fax_cover_pages(ctx: Ctx) -> Response:
    page, per_page = page_params(ctx.query)
    records = [{"id": str(i), "name": name} for i, name in enumerate(FAX_COVER_PAGES)]
    listing = paginate(
        records,
        page=page,
        per_page=per_page,
        base_uri=ctx.url("/restapi/v1.0/dictionary/fax-cover-page"),
        query_items=kept_query(ctx.query),
    )
    return json_response(listing)


# --- message store ----------------------------------------------------------------------------


INT32_MAX = 2**31 - 1  # the spec's `format: int32`


def _int_or_none(raw: Any) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None


def _date_range(ctx: Ctx) -> tuple[float, float]:
    """`dateFrom`/`dateTo`: dateTo defaults to now, dateFrom to dateTo - 24 h."""
    date_to = time_param(ctx.query, "dateTo")
    date_from = time_param(ctx.query, "dateFrom")
    end = ctx.world.clock.now() if date_to is None else date_to
    return (end - DAY if date_from is None else date_from), end


def _phone_filter(ctx: Ctx) -> str | None:
    raw = ctx.query.get("phoneNumber")
    if not raw:
        return None
    parsed = parse_number(raw)
    return parsed.e164 or raw.strip()


def _involves(msg: Message, number: str) -> bool:
    return msg.sender.phone_number == number or any(
        r.phone_number == number for r in msg.recipients
    )


@router.api("GET", STORE, group="Light")
async def list_messages(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    availability = multi_values(ctx.query, "availability", AVAILABILITIES) or ["Alive"]
    directions = multi_values(ctx.query, "direction", DIRECTIONS)
    types = multi_values(ctx.query, "messageType", MESSAGE_TYPES)
    read_statuses = multi_values(ctx.query, "readStatus", READ_STATUSES)
    conversation = ctx.query.get("conversationId")
    conversation_id = _int_or_none(conversation) if conversation else None
    if conversation and conversation_id is None:
        raise invalid_parameter("conversationId", conversation)
    number = _phone_filter(ctx)
    date_from, date_to = _date_range(ctx)
    distinct = bool_param(ctx.query, "distinctConversations")
    page, per_page = page_params(ctx.query, max_per_page=1_000_000)
    per_page = min(per_page, 1000)
    found = [
        m
        for m in reversed(store_of(ctx.world).mailbox(ext.id_str))
        if m.availability in availability
        and (not directions or m.direction in directions)
        and (not types or m.type in types)
        and (not read_statuses or m.read_status in read_statuses)
        and (conversation_id is None or m.conversation_id == conversation_id)
        and (number is None or _involves(m, number))
        and date_from <= m.creation_time <= date_to
    ]
    if distinct:
        found = sync.latest_per_conversation(found)
    listing = paginate(
        found,
        page=page,
        per_page=per_page,
        base_uri=ctx.url(store_of(ctx.world).urls.mailbox(ext.id_str)),
        query_items=kept_query(ctx.query),
    )
    urls = store_of(ctx.world).urls
    listing["records"] = [message_json(m, urls) for m in listing["records"]]
    return json_response(listing)


def _message_ids(ctx: Ctx) -> list[str]:
    ids = [i for i in ctx.params["messageId"].split(",") if i]
    if not ids or len(ids) > MAX_BULK_IDS:
        raise invalid_parameter("messageId", ctx.params["messageId"])
    return ids


def _find(ctx: Ctx, ext: Extension, raw_id: str) -> Message:
    msg = store_of(ctx.world).get(ext.id_str, _int_or_none(raw_id) or -1)
    if msg is None:
        raise not_found("messageId", raw_id)
    return msg


def _bulk(ctx: Ctx, ext: Extension, ids: list[str], apply) -> Response:
    """A bulk answer (207): `multipart/mixed` by default, the JSON array form when the client
    asks for `application/vnd.ringcentral.multipart+json`."""
    results: list[tuple[str, int, dict[str, Any]]] = []
    urls = store_of(ctx.world).urls
    for raw_id in ids:
        try:
            msg = _find(ctx, ext, raw_id)
            apply(msg)
            results.append((raw_id, 200, message_json(msg, urls)))
        except ApiError as error:
            results.append((raw_id, error.status, error.body()))
    if "application/vnd.ringcentral.multipart+json" in ctx.request.headers.get("accept", ""):
        return Response(
            json_response(
                [
                    {"resourceId": rid, "status": status, "body": body}
                    for rid, status, body in results
                ]
            ).body,
            status_code=207,
            media_type="application/vnd.ringcentral.multipart+json",
        )
    return multi_status([(status, body) for _, status, body in results])


@router.api("GET", STORE + "/{messageId}", group="Light")
async def read_message(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    ids = _message_ids(ctx)
    if len(ids) > 1:
        return _bulk(ctx, ext, ids, lambda msg: None)
    msg = _find(ctx, ext, ids[0])
    return json_response(single_message_json(msg, store_of(ctx.world).urls))


async def _update(ctx: Ctx, *, patch: bool) -> Response:
    ext = _mailbox_of(ctx)
    ids = _message_ids(ctx)
    body = await ctx.json()
    if not isinstance(body, dict):
        raise invalid_parameter("body")
    read_status = body.get("readStatus")
    availability = body.get("availability") if patch else None
    if read_status is None and availability is None:
        raise mandatory_parameter("readStatus")
    if read_status is not None and read_status not in READ_STATUSES:
        raise invalid_parameter("readStatus", read_status)
    if availability is not None and availability != "Alive":
        raise invalid_parameter("availability", availability)

    def apply(msg: Message) -> None:
        if availability == "Alive" and msg.availability == "Purged":
            raise invalid_parameter("availability", availability)
        if availability == "Alive":
            services.restore_messages(ctx.world, [msg])
        if read_status is not None:
            services.set_read_status(ctx.world, [msg], read_status)

    if len(ids) > 1:
        return _bulk(ctx, ext, ids, apply)
    msg = _find(ctx, ext, ids[0])
    apply(msg)
    return json_response(message_json(msg, store_of(ctx.world).urls))


@router.api("PUT", STORE + "/{messageId}", group="Medium")
async def update_message(ctx: Ctx) -> Response:
    return await _update(ctx, patch=False)


@router.api("PATCH", STORE + "/{messageId}", group="Medium")
async def patch_message(ctx: Ctx) -> Response:
    return await _update(ctx, patch=True)


@router.api("DELETE", STORE + "/{messageId}", group="Medium")
async def delete_message(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    purge = bool_param(ctx.query, "purge")
    kind = ctx.query.get("type") or "All"
    if kind not in DELETE_TYPES:
        raise invalid_parameter("type", kind)
    messages = [_find(ctx, ext, raw_id) for raw_id in _message_ids(ctx)]
    messages = [m for m in messages if kind == "All" or m.type == kind]
    services.delete_messages(ctx.world, messages, purge=purge)
    return Response(status_code=204)


@router.api("DELETE", STORE, group="Medium")
async def delete_conversations(ctx: Ctx) -> Response:
    """Delete whole conversations (`conversationId`, repeatable) up to `dateTo`."""
    ext = _mailbox_of(ctx)
    raw_ids = multi_values(ctx.query, "conversationId")
    if not raw_ids:
        raise mandatory_parameter("conversationId")
    conversation_ids = set()
    for raw in raw_ids:
        value = _int_or_none(raw)
        if value is None:
            raise invalid_parameter("conversationId", raw)
        conversation_ids.add(value)
    purge = bool_param(ctx.query, "purge")
    kind = ctx.query.get("type") or "All"
    if kind not in DELETE_TYPES:
        raise invalid_parameter("type", kind)
    date_to = time_param(ctx.query, "dateTo") or ctx.world.clock.now()
    messages = [
        m
        for m in store_of(ctx.world).mailbox(ext.id_str)
        if m.conversation_id in conversation_ids
        and m.creation_time <= date_to
        and m.availability != "Purged"
        and (kind == "All" or m.type == kind)
    ]
    services.delete_messages(ctx.world, messages, purge=purge)
    return Response(status_code=204)


@router.api("GET", STORE + "/{messageId}/content/{attachmentId}", group="Medium", media=True)
async def read_message_content(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    msg = _find(ctx, ext, ctx.params["messageId"])
    if msg.availability == "Purged":
        raise not_found("messageId", ctx.params["messageId"])
    attachment = msg.attachment(_int_or_none(ctx.params["attachmentId"]) or -1)
    if attachment is None:
        raise not_found("attachmentId", ctx.params["attachmentId"])
    disposition = ctx.query.get("contentDisposition") or "Inline"
    if disposition not in ("Inline", "Attachment"):
        raise invalid_parameter("contentDisposition", disposition)
    filename = (
        ctx.query.get("contentDispositionFilename")
        or attachment.file_name
        or f"{attachment.id}{media.extension_for(attachment.content_type)}"
    )
    return media_response(
        ctx.request.headers.get("range"),
        attachment.content,
        content_type=attachment.content_type,
        filename=filename,
        disposition=disposition,
    )


# --- message sync -----------------------------------------------------------------------------


def _sync_reset_required() -> ApiError:
    return ApiError(
        400,
        "MSG-333",
        "Invalid message synchronisation request: full synchronization is required",
        parameter_name="syncToken",
    )


@router.api("GET", EXT + "/message-sync", group="Light")
async def sync_messages(ctx: Ctx) -> Response:
    ext = _mailbox_of(ctx)
    store = store_of(ctx.world)
    query = ctx.query
    sync_type = query.get("syncType") or "FSync"
    if sync_type not in ("FSync", "ISync"):
        raise invalid_parameter("syncType", sync_type)
    types = tuple(multi_values(query, "messageType", MESSAGE_TYPES))
    directions = tuple(multi_values(query, "direction", DIRECTIONS))
    raw_count = query.get("recordCount")
    record_count = _int_or_none(raw_count) if raw_count else None
    if raw_count and (record_count is None or not 1 <= record_count <= INT32_MAX):
        raise invalid_parameter("recordCount", raw_count)
    raw_conversation = query.get("conversationId")
    conversation_id = _int_or_none(raw_conversation) if raw_conversation else None
    if raw_conversation and conversation_id is None:
        raise invalid_parameter("conversationId", raw_conversation)
    date_from = time_param(query, "dateFrom")
    date_to = time_param(query, "dateTo")
    now = ctx.world.clock.now()
    older = False
    if sync_type == "FSync":
        end = now if date_to is None else date_to
        frame = sync.SyncFrame(
            extension_id=ext.id_str,
            types=types,
            directions=directions,
            conversation_id=conversation_id,
            date_from=end - DAY if date_from is None else date_from,
            date_to=date_to,
            record_count=record_count,
            distinct=bool_param(query, "distinctConversations"),
            generation=store.sync_generation.get(ext.id_str, 0),
            sync_time=now,
        )
        records, older = sync.full_sync(store, frame)
    else:
        token = query.get("syncToken")
        if not token:
            raise mandatory_parameter("syncToken")
        previous = sync.decode_token(store, token, ext.id_str)
        if previous is None:
            raise _sync_reset_required()
        since = previous.sync_time - ctx.platform.config.message_sync_overlap
        records = sync.incremental_sync(store, previous, since=since, expanded_from=date_from)
        frame = replace(
            previous,
            sync_time=now,
            date_from=min(previous.date_from, date_from or previous.date_from),
            record_count=record_count or previous.record_count,
        )
    urls = store.urls
    body = {
        "uri": ctx.url(str(ctx.request.url.path))
        + (f"?{ctx.request.url.query}" if ctx.request.url.query else ""),
        "records": [sync_record_json(m, urls) for m in records],
        "syncInfo": {
            "syncType": sync_type,
            "syncToken": sync.encode_token(store, frame),
            "syncTime": iso(now),
            "olderRecordsExist": older,
        },
    }
    return json_response(body)
