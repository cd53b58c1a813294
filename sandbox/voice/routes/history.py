"""Call history (CONTRACT §7, §11): the extension and company call log (list and by id), call-log
sync, active calls, and recordings (metadata and audio content on the media host)."""

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from sandbox.core.clock import iso
from sandbox.core.errors import ApiError, invalid_parameter, mandatory_parameter, not_found
from sandbox.core.media import media_response
from sandbox.core.multipart import multi_status
from sandbox.core.paging import page_param, paginate
from sandbox.core.params import bool_param, kept_query, multi_values, one_of, time_param
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.voice.calllog import SYNC_MAX, CallLogEntry, SyncError, Urls, build_entry, record_json
from sandbox.voice.numbers import same_number
from sandbox.voice.recordings import CONTENT_TYPE
from sandbox.voice.routes.common import (
    engine,
    readable_extension,
    require_company_access,
    sees_everyone,
)

router = Router()
ACCOUNT = "/restapi/v1.0/account/{accountId}"
EXTENSION = ACCOUNT + "/extension/{extensionId}"
DAY = 86400.0
SYNC_WINDOW = 30 * DAY
MAX_BY_ID = 50
MAX_PER_PAGE = 1000


def extension_scope(ctx: Ctx) -> tuple[str, str]:
    """(the call-log scope, its base URI) for `…/extension/{id}/…` routes."""
    ext = readable_extension(ctx)
    return ext.id_str, ctx.url(f"/restapi/v1.0/account/{ctx.world.account.id}/extension/{ext.id}")


def account_scope(ctx: Ctx) -> tuple[str, str]:
    """(the call-log scope, its base URI) for company-wide `…/account/{id}/…` routes."""
    account_id = require_company_access(ctx)
    return "account", ctx.url(f"/restapi/v1.0/account/{account_id}")


def urls(ctx: Ctx) -> Urls:
    config = ctx.platform.config
    return Urls(config.public_url, config.media_url, ctx.world.account.id_str)


def _view(ctx: Ctx) -> str:
    return one_of(ctx.query, "view", ("Simple", "Detailed"), "Simple") or "Simple"


def _per_page(ctx: Ctx) -> int:
    """`perPage`: 1-1000 (more is capped at 1000) or `max`; default 100."""
    raw = ctx.query.get("perPage")
    if raw in (None, ""):
        return 100
    if raw == "max":
        return MAX_PER_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter("perPage", raw) from None
    if value < 1:
        raise invalid_parameter("perPage", raw)
    return min(value, MAX_PER_PAGE)


def _listing(
    ctx: Ctx, entries: Iterable[CallLogEntry], *, base_path: str, records_base: str
) -> Response:
    view = _view(ctx)
    page, per_page = page_param(ctx.query), _per_page(ctx)
    ordered = sorted(entries, key=lambda e: e.start_time, reverse=True)
    listing = paginate(
        ordered,
        page=page,
        per_page=per_page,
        base_uri=base_path,
        query_items=kept_query(ctx.query),
        totals=False,
    )
    links = urls(ctx)
    listing["records"] = [
        record_json(e, view=view, urls=links, base_path=records_base) for e in listing["records"]
    ]
    return json_response(listing)


def _filtered(ctx: Ctx, entries: Iterable[CallLogEntry]) -> list[CallLogEntry]:
    """The call-log list filters (CONTRACT §7.1); dateFrom defaults to dateTo - 24 h."""
    now = ctx.world.clock.now()
    date_to = time_param(ctx.query, "dateTo") or now
    date_from = time_param(ctx.query, "dateFrom")
    if date_from is None:
        date_from = date_to - DAY
    directions = multi_values(ctx.query, "direction", ("Inbound", "Outbound"))
    types = multi_values(ctx.query, "type", ("Voice", "Fax"))
    transports = multi_values(ctx.query, "transport", ("PSTN", "VoIP"))
    recording_type = one_of(ctx.query, "recordingType", ("Automatic", "OnDemand", "All"))
    if recording_type is None and bool_param(ctx.query, "withRecording"):
        recording_type = "All"
    bool_param(ctx.query, "showBlocked", True)
    bool_param(ctx.query, "showDeleted")
    phone = ctx.query.get("phoneNumber")
    ext_number = ctx.query.get("extensionNumber")
    session_id = ctx.query.get("sessionId")
    telephony_session_id = ctx.query.get("telephonySessionId")
    extensions = ctx.world.account.extensions
    found = []
    for entry in entries:
        if not date_from <= entry.start_time <= date_to:
            continue
        if directions and entry.direction not in directions:
            continue
        if types and "Voice" not in types:
            continue
        if transports and entry.transport not in transports:
            continue
        if recording_type is not None and (
            entry.recording is None
            or (recording_type != "All" and entry.recording.mode != recording_type)
        ):
            continue
        if phone and not (
            same_number(phone, entry.from_.phone_number)
            or same_number(phone, entry.to.phone_number)
        ):
            continue
        if ext_number and extensions[entry.extension_id].extension_number != ext_number:
            continue
        if session_id and entry.session_id != session_id:
            continue
        if telephony_session_id and entry.telephony_session_id != telephony_session_id:
            continue
        found.append(entry)
    return found


def _call_log(ctx: Ctx, scope: str, base: str) -> Response:
    entries = _filtered(ctx, engine(ctx).calllog.scoped(scope))
    return _listing(ctx, entries, base_path=base + "/call-log", records_base=base + "/call-log")


@router.api("GET", EXTENSION + "/call-log", group="Heavy")
async def extension_call_log(ctx: Ctx) -> Response:
    return _call_log(ctx, *extension_scope(ctx))


@router.api("GET", ACCOUNT + "/call-log", group="Heavy")
async def account_call_log(ctx: Ctx) -> Response:
    return _call_log(ctx, *account_scope(ctx))


def _by_id(ctx: Ctx, scope: str, base: str) -> Response:
    """One id: the record (404 CMN-102 when unknown); several (up to 50): 207 multipart/mixed
    with a status part, then one part per id (CONTRACT §7.1)."""
    view = _view(ctx)
    raw_ids = [i for i in ctx.params["callRecordId"].split(",") if i]
    if not raw_ids or len(raw_ids) > MAX_BY_ID:
        raise invalid_parameter("callRecordId", ctx.params["callRecordId"])
    store = engine(ctx).calllog
    links = urls(ctx)
    parts: list[tuple[int, dict[str, Any]]] = []
    for record_id in raw_ids:
        entry = store.by_id.get(record_id)
        if entry is None or (scope != "account" and entry.extension_id != scope):
            parts.append((404, not_found("callRecordId", record_id).body()))
            continue
        parts.append((200, record_json(entry, view=view, urls=links, base_path=base + "/call-log")))
    if len(raw_ids) == 1:
        status, body = parts[0]
        if status != 200:
            raise not_found("callRecordId", raw_ids[0])
        return json_response(body)
    return multi_status(parts)


@router.api("GET", EXTENSION + "/call-log/{callRecordId}", group="Heavy")
async def extension_call_record(ctx: Ctx) -> Response:
    return _by_id(ctx, *extension_scope(ctx))


@router.api("GET", ACCOUNT + "/call-log/{callRecordId}", group="Heavy")
async def account_call_record(ctx: Ctx) -> Response:
    return _by_id(ctx, *account_scope(ctx))


def _record_count(ctx: Ctx, *, required: bool) -> int | None:
    raw = ctx.query.get("recordCount")
    if raw in (None, ""):
        if required:
            raise mandatory_parameter("recordCount")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter("recordCount", raw) from None
    if not 1 <= value <= SYNC_MAX:
        raise invalid_parameter("recordCount", raw)
    return value


def _request_uri(ctx: Ctx) -> str:
    query = ctx.request.url.query
    return ctx.url(ctx.request.url.path) + (f"?{query}" if query else "")


def _sync(ctx: Ctx, scope: str, base: str) -> Response:
    """Call-log sync (CONTRACT §7.2): FSync sets the frame and the first token; ISync returns
    what changed since the token (more than 250 changes: CLG-104, go back to FSync)."""
    store = engine(ctx).calllog
    sync_type = one_of(ctx.query, "syncType", ("FSync", "ISync"), "FSync")
    view = _view(ctx)
    groups = multi_values(ctx.query, "statusGroup", ("Missed", "All"))
    bool_param(ctx.query, "showDeleted")
    bool_param(ctx.query, "withRecording")
    one_of(ctx.query, "recordingType", ("Automatic", "OnDemand", "All"))
    now = ctx.world.clock.now()
    try:
        if sync_type == "FSync":
            record_count = _record_count(ctx, required=True)
            assert record_count is not None
            date_from = time_param(ctx.query, "dateFrom")
            if date_from is not None and date_from < now - SYNC_WINDOW:
                raise invalid_parameter("dateFrom", ctx.query.get("dateFrom"))
            found, token = store.full_sync(
                scope=scope,
                status_group="Missed" if groups and "All" not in groups else "All",
                date_from=date_from,
                record_count=record_count,
            )
        else:
            token_in = ctx.query.get("syncToken")
            if not token_in:
                raise mandatory_parameter("syncToken")
            found, token = store.incremental_sync(
                scope=scope, token=token_in, record_count=_record_count(ctx, required=False)
            )
    except SyncError as error:
        raise ApiError(400, error.code, error.message, parameter_name="syncToken") from None
    links = urls(ctx)
    records = [record_json(e, view=view, urls=links, base_path=base + "/call-log") for e in found]
    return json_response(
        {
            "uri": _request_uri(ctx),
            "records": records,
            "syncInfo": {"syncType": sync_type, "syncToken": token, "syncTime": iso(now)},
        }
    )


@router.api("GET", EXTENSION + "/call-log-sync", group="Heavy")
async def extension_call_log_sync(ctx: Ctx) -> Response:
    return _sync(ctx, *extension_scope(ctx))


@router.api("GET", ACCOUNT + "/call-log-sync", group="Heavy")
async def account_call_log_sync(ctx: Ctx) -> Response:
    return _sync(ctx, *account_scope(ctx))


def _active(ctx: Ctx, scope: str, base: str) -> Response:
    """Live calls as call-log records with `result: "In Progress"`, newest first."""
    voice = engine(ctx)
    directions = multi_values(ctx.query, "direction", ("Inbound", "Outbound"))
    types = multi_values(ctx.query, "type", ("Voice", "Fax"))
    transports = multi_values(ctx.query, "transport", ("PSTN", "VoIP"))
    multi_values(ctx.query, "conferenceType", ("AudioConferencing", "Meetings"))
    now = ctx.world.clock.now()
    account = ctx.world.account
    entries = []
    for session in voice.sessions.values():
        for ext_id in session.call_log_ids:
            if scope != "account" and ext_id != scope:
                continue
            if not any(p.live for p in session.parties_of(ext_id)):
                continue
            entry = build_entry(session, ext_id, account, now=now, final=False)
            if directions and entry.direction not in directions:
                continue
            if (types and "Voice" not in types) or (
                transports and entry.transport not in transports
            ):
                continue
            entries.append(entry)
    return _listing(ctx, entries, base_path=base + "/active-calls", records_base=base + "/call-log")


@router.api("GET", EXTENSION + "/active-calls", group="Heavy")
async def extension_active_calls(ctx: Ctx) -> Response:
    return _active(ctx, *extension_scope(ctx))


@router.api("GET", ACCOUNT + "/active-calls", group="Heavy")
async def account_active_calls(ctx: Ctx) -> Response:
    return _active(ctx, *account_scope(ctx))


def _recording(ctx: Ctx):
    ctx.account_id()
    recording_id = ctx.params["recordingId"]
    stored = engine(ctx).recordings.get(recording_id)
    if stored is None:
        raise not_found("recordingId", recording_id)
    if ctx.me.id_str not in stored.extension_ids and not sees_everyone(ctx.me):
        raise ApiError(
            403,
            "CMN-408",
            "In order to call this API endpoint, user needs to have [ReadCallRecording] "
            "permission for requested resource.",
        )
    return stored


@router.api("GET", ACCOUNT + "/recording/{recordingId}", group="Heavy")
async def recording_metadata(ctx: Ctx) -> Response:
    stored = _recording(ctx)
    return json_response(
        {
            "id": stored.id,
            "contentUri": urls(ctx).recording_content(stored.id),
            "contentType": CONTENT_TYPE,
            "duration": stored.duration,
        }
    )


@router.api("GET", ACCOUNT + "/recording/{recordingId}/content", group="Heavy", media=True)
async def recording_content(ctx: Ctx) -> Response:
    """The audio (real WAV of the recording's length); `Range` gives 206, a range past the end
    416 CMN-107; `?access_token=` works as on media.ringcentral.com."""
    stored = _recording(ctx)
    disposition = one_of(ctx.query, "contentDisposition", ("Inline", "Attachment"), "Inline")
    filename = ctx.query.get("contentDispositionFilename") or f"recording-{stored.id}.wav"
    return media_response(
        ctx.request.headers.get("range"),
        stored.content(),
        content_type=CONTENT_TYPE,
        filename=filename,
        disposition=disposition or "Inline",
    )
