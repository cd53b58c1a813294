"""Shared bits of the voice tests: numbers, paths, and reading telephony-session events."""

import copy
from typing import Any

from tests.support.openapi import validate_schema

OUTSIDE = "+14155550123"
ALICE_DIRECT = "+16505550101"
BEN_DIRECT = "+16505550102"
ACCOUNT_SESSIONS = "/restapi/v1.0/account/~/telephony/sessions"
SESSIONS = ACCOUNT_SESSIONS  # the Call Control API lives under the same path


def steps(notes) -> list[tuple[int, str, str]]:
    """(sequence, party suffix, status) of each telephony notification."""
    out = []
    for note in notes:
        party = note["body"]["parties"][0]
        suffix = "-" + party["id"].rsplit("-", 1)[1]
        out.append((note["body"]["sequence"], suffix, party["status"]["code"]))
    return out


def spec_view(note: dict[str, Any]) -> dict[str, Any]:
    """The event minus what real streams carry beyond the spec: `deviceId` in from/to and
    `mobilePickupData.srvLvl` (the spec spells it `srvlvl`)."""
    note = copy.deepcopy(note)
    for party in note["body"]["parties"]:
        for side in ("from", "to"):
            party[side].pop("deviceId", None)
        party["status"].get("mobilePickupData", {}).pop("srvLvl", None)
    return note


def validate_event(note: dict[str, Any]) -> None:
    """A telephony-session notification against the spec's event schema (see `spec_view`)."""
    extension_level = "/extension/" in note["event"]
    schema = (
        "ExtensionTelephonySessionsEvent" if extension_level else "AccountTelephonySessionsEvent"
    )
    validate_schema(schema, spec_view(note))


def telephony_notes(receiver, count: int) -> list[dict[str, Any]]:
    """The first `count` telephony notifications the receiver got, each validated."""
    notes = [d.json for d in receiver.wait_for(count)]
    for note in notes:
        validate_event(note)
    return notes
