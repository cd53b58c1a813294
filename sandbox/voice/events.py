"""Telephony session event filters (CONTRACT §6.1):
`/restapi/v1.0/account/~/extension/{id}/telephony/sessions` (that extension's parties) and the
account-wide `/restapi/v1.0/account/~/telephony/sessions` (every party, outside phones included),
with the query options `direction`, `missedCall`, `phoneNumber`, `statusCode`, `withRecordings`
and `sipData`.

Each event carries one party. Its `event` is the resolved path of that party: the extension path
for an extension's party, the account path for an outside (PSTN) party, as in the recordings.
"""

from sandbox.core.events import Event, EventFilter, EventType, Rendered, parse_bool, parse_enum
from sandbox.voice.numbers import same_number

KIND = "telephony-sessions"
STATUS_CODES = (
    "Setup",
    "Proceeding",
    "Answered",
    "Disconnected",
    "Gone",
    "Parked",
    "Hold",
    "VoiceMail",
    "FaxReceive",
    "VoiceMailScreening",
)


def _phone_number(value: str) -> str:
    if not any(c.isdigit() for c in value):
        raise ValueError(value)
    return value


class TelephonySessionEvents(EventType):
    numeric_uuid = True  # every recorded and sampled telephony notification has one

    def __init__(self) -> None:
        super().__init__(
            KIND,
            suffix="/telephony/sessions",
            account_suffix="/telephony/sessions",
            options={
                "direction": parse_enum("Inbound", "Outbound"),
                "missedCall": parse_bool,
                "phoneNumber": _phone_number,
                "statusCode": parse_enum(*STATUS_CODES),
                "withRecordings": parse_bool,
                "sipData": parse_bool,
            },
        )

    def render(self, flt: EventFilter, event: Event) -> Rendered | None:
        if not self.applies(flt, event):
            return None
        party = event.body["parties"][0]
        options = flt.options
        if "direction" in options and party["direction"] != options["direction"]:
            return None
        if "missedCall" in options and party["missedCall"] != options["missedCall"]:
            return None
        if "statusCode" in options and party["status"]["code"] != options["statusCode"]:
            return None
        # withRecordings=true keeps only parties being recorded; false does not filter.
        if options.get("withRecordings") and not party.get("recordings"):
            return None
        if "phoneNumber" in options and not any(
            same_number(options["phoneNumber"], side.get("phoneNumber"))
            for side in (party["from"], party["to"])
        ):
            return None
        return Rendered(0, self.event_path(flt, event), event.body)

    def event_path(self, flt: EventFilter, event: Event) -> str:
        if event.extension_id is None:
            return f"/restapi/v1.0/account/{event.account_id}/telephony/sessions"
        return (
            f"/restapi/v1.0/account/{event.account_id}/extension/{event.extension_id}"
            "/telephony/sessions"
        )
