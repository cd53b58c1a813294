"""`207 Multi-Status` bulk responses (`multipart/mixed`), as RingCentral sends for requests that
name several comma-separated ids (bulk presence, call-log records by id)."""

import json
import secrets
from typing import Any

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
