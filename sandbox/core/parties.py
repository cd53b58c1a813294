"""The caller/callee object RingCentral uses in call-log records and messages
(`CallLogFromParty`, `MessageStoreCallerInfoResponseFrom`): only the fields that have a value."""

from typing import Any

FIELDS = (
    ("phone_number", "phoneNumber"),
    ("extension_number", "extensionNumber"),
    ("extension_id", "extensionId"),
    ("name", "name"),
    ("location", "location"),
)


def caller_info(party: Any) -> dict[str, Any]:
    """The JSON of an object with (some of) phone_number, extension_number, extension_id, name,
    location attributes."""
    return {key: value for attr, key in FIELDS if (value := getattr(party, attr, None))}
