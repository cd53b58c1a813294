"""Multipart bodies: `207 Multi-Status` bulk responses (`multipart/mixed`), as RingCentral sends
for requests that name several comma-separated ids (bulk presence, call-log records by id), and
parsing `multipart/form-data` / `multipart/mixed` request bodies (SMS/MMS, fax)."""

import json
import secrets
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.responses import Response


def multi_status(parts: list[tuple[int, dict[str, Any]]]) -> Response:
    """One JSON part per id, preceded by a status part `{"response": [{"status": 200}, ...]}`."""
    boundary = "Boundary_" + secrets.token_hex(12)
    status_part = {"response": [{"status": status} for status, _ in parts]}
    chunks = []
    for body in (status_part, *(body for _, body in parts)):
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"
        )
    chunks.append(f"--{boundary}--\r\n")
    return Response(
        "".join(chunks).encode(),
        status_code=207,
        media_type=f"multipart/mixed; boundary={boundary}",
    )


@dataclass
class Part:
    """One part of a `multipart/form-data` or `multipart/mixed` request body."""

    headers: dict[str, str]
    data: bytes

    @property
    def content_type(self) -> str:
        """The part's media type, lower-case and without parameters ("" when absent)."""
        value, _ = parse_options_header(self.headers.get("content-type"))
        return value.decode("latin-1")

    def _disposition(self) -> dict[bytes, bytes]:
        return parse_options_header(self.headers.get("content-disposition"))[1]

    @property
    def name(self) -> str | None:
        raw = self._disposition().get(b"name")
        return raw.decode("utf-8", "replace") if raw is not None else None

    @property
    def filename(self) -> str | None:
        raw = self._disposition().get(b"filename")
        return raw.decode("utf-8", "replace") if raw else None


class MultipartError(ValueError):
    pass


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """Split a multipart body (form-data or mixed: the framing is the same) into its parts,
    in order. Raises MultipartError when there is no boundary or the body is not multipart."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("no multipart boundary")
    parts: list[Part] = []
    state: dict[str, Any] = {}

    def on_part_begin() -> None:
        state.update(headers={}, data=bytearray(), field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        name = state["field"].decode("latin-1").strip().lower()
        state["headers"][name] = state["value"].decode("utf-8", "replace").strip()
        state["field"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        state["data"] += data[start:end]

    def on_part_end() -> None:
        parts.append(Part(state["headers"], bytes(state["data"])))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception as error:  # python-multipart raises its own error types
        raise MultipartError(str(error)) from None
    if not parts:
        raise MultipartError("no parts")
    return parts
