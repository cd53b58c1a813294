"""Shared bits of the messaging tests: paths, seeded numbers, small media, and readers."""

import base64
import json
from typing import Any

from tests.support.openapi import assert_valid

MAILBOX = "/restapi/v1.0/account/~/extension/~/message-store"
SMS = "/restapi/v1.0/account/~/extension/~/sms"
MMS = "/restapi/v1.0/account/~/extension/~/mms"
FAX = "/restapi/v1.0/account/~/extension/~/fax"
SYNC = "/restapi/v1.0/account/~/extension/~/message-sync"

ALICE = "+16505550101"
BEN = "+16505550102"
DANIEL = "+16505550104"  # CallerId only: no SMS
SOFIA = "+16505550105"  # SmsSender, no MmsSender
MORGAN = "+16505550106"
MORGAN_FAX = "+16505550199"  # FaxOnly
OUTSIDE = "+14155550123"
OUTSIDE_2 = "+12125550188"

# A real 1x1 PNG (IHDR width=1 height=1).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def sms_body(sender: str = ALICE, to: tuple[str, ...] = (OUTSIDE,), text: str = "Hello"):
    return {
        "from": {"phoneNumber": sender},
        "to": [{"phoneNumber": n} for n in to],
        "text": text,
    }


def json_part(body: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    return {"Content-Type": "application/json"}, json.dumps(body).encode()


def file_part(
    filename: str, content: bytes, content_type: str | None = None, *, name: str | None = None
) -> tuple[dict[str, str], bytes]:
    disposition = f'form-data; name="{name}"; ' if name else "attachment; "
    headers = {"Content-Disposition": f'{disposition}filename="{filename}"'}
    if content_type:
        headers["Content-Type"] = content_type
    return headers, content


def field_part(name: str, value: str) -> tuple[dict[str, str], bytes]:
    return {"Content-Disposition": f'form-data; name="{name}"'}, value.encode()


def get_message(api, message_id: int, mailbox: str = MAILBOX) -> dict[str, Any]:
    return assert_valid(api.get(f"{mailbox}/{message_id}"))


def list_messages(api, **params: Any) -> dict[str, Any]:
    return assert_valid(api.get(MAILBOX, params=params))


def error_of(response) -> dict[str, Any]:
    """The first error of a refused request, validated against the spec's error model."""
    return assert_valid(response)["errors"][0]


def settle(sandbox) -> None:
    """Run outbound status timers to the end: Queued → Sent (1 s), Sent → Delivered (2 s)."""
    sandbox.advance(1)
    sandbox.advance(2)
