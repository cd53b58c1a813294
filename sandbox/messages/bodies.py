"""Request bodies of the sending endpoints, in every encoding RingCentral accepts (CONTRACT
§10): a JSON body; `multipart/form-data` with one part per field (`to` repeated) and file parts;
the SDKs' form-data with a JSON part (`request.json`/`json`) plus file parts; and
`multipart/mixed` whose first part is the JSON body and the rest attachments.

Everything a handler needs to validate comes out as plain values: `fields` (JSON root merged
with form fields) and `uploads` (files, in order). Unparsable bodies are 400 `CMN-103`/`CMN-104`
and bodies over the endpoint's size limit 413.
"""

from dataclasses import dataclass, field
from typing import Any

from sandbox.core.errors import ApiError, unparsable_json, unparsable_request
from sandbox.core.multipart import MultipartError, Part, parse_multipart
from sandbox.core.routing import Ctx, parse_json

JSON_TYPES = ("application/json", "text/json")


@dataclass
class RawUpload:
    index: int  # 1-based among the uploads, as error messages count them
    data: bytes
    declared_type: str  # from the part header ("" when absent)
    filename: str | None


@dataclass
class SendBody:
    encoding: str  # json | multipart
    fields: dict[str, Any] = field(default_factory=dict)
    uploads: list[RawUpload] = field(default_factory=list)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "CMN-413", f"Request entity is too large (limit {limit} bytes)")


def unsupported_body(content_type: str) -> ApiError:
    return ApiError(415, "CMN-104", f"Unsupported Media Type [{content_type}]")


async def read_send_body(
    ctx: Ctx, *, form_fields: frozenset[str], json_allowed: bool, max_bytes: int
) -> SendBody:
    content_type = ctx.request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    declared = ctx.request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    raw = await ctx.request.body()
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    if media_type in JSON_TYPES and json_allowed:
        return SendBody("json", _json_object(raw))
    if media_type not in ("multipart/form-data", "multipart/mixed"):
        raise unsupported_body(media_type or "none")
    try:
        parts = parse_multipart(content_type, raw)
    except MultipartError:
        raise unparsable_request() from None
    return _from_parts(parts, form_fields, mixed=media_type == "multipart/mixed")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = parse_json(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        raise unparsable_json() from None
    if not isinstance(value, dict):
        raise unparsable_json()
    return value


def _from_parts(parts: list[Part], form_fields: frozenset[str], *, mixed: bool) -> SendBody:
    body = SendBody("multipart")
    root_seen = False
    for position, part in enumerate(parts):
        ctype = part.content_type
        if not root_seen and (
            ctype in JSON_TYPES or (mixed and position == 0 and not part.filename and ctype == "")
        ):
            body.fields.update(_json_object(part.data))
            root_seen = True
            continue
        if part.name in form_fields and not part.filename:
            value = part.data.decode("utf-8", "replace")
            if part.name == "to":
                body.fields.setdefault("to", []).append(_maybe_json(value))
            else:
                body.fields[part.name] = _maybe_json(value) if part.name == "from" else value
            continue
        body.uploads.append(RawUpload(len(body.uploads) + 1, part.data, ctype, part.filename))
    return body


def _maybe_json(value: str) -> Any:
    """A form field that may carry JSON (`{"phoneNumber": …}`, a list of them) or a bare
    number."""
    text = value.strip()
    if text[:1] in ("{", "["):
        try:
            return parse_json(text)
        except (ValueError, RecursionError):
            return text
    return text


def recipients_of(value: Any) -> list[tuple[Any, Any]] | None:
    """`to` as (phoneNumber, name) pairs from any accepted shape: a list of objects, a list of
    strings (form parts), a single object or string. None when the shape is wrong."""
    items = value if isinstance(value, list) else [value]
    out: list[tuple[Any, Any]] = []
    for item in items:
        if isinstance(item, list):
            nested = recipients_of(item)
            if nested is None:
                return None
            out += nested
        elif isinstance(item, dict):
            out.append((item.get("phoneNumber"), item.get("name")))
        elif isinstance(item, str):
            out.append((item, None))
        else:
            return None
    return out
