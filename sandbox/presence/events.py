"""Presence event filters (CONTRACT §6.2):
`/restapi/v1.0/account/~/extension/{id}/presence[?detailedTelephonyState=true]` and the
account-wide `/restapi/v1.0/account/~/presence`."""

from sandbox.core.events import Event, EventFilter, EventType, Rendered, parse_bool

# Fields only the detailed body has (`DetailedExtensionPresenceEventBody`).
SIMPLE_ONLY_DROPS = ("activeCalls", "totalActiveCalls", "meetingStatus")


class PresenceEvents(EventType):
    def __init__(self) -> None:
        super().__init__(
            "presence",
            suffix="/presence",
            account_suffix="/presence",
            options={"detailedTelephonyState": parse_bool, "sipData": parse_bool},
        )

    def render(self, flt: EventFilter, event: Event) -> Rendered | None:
        if not self.applies(flt, event):
            return None
        detailed = flt.options.get("detailedTelephonyState", False)
        body = event.body
        if not detailed:
            body = {k: v for k, v in body.items() if k not in SIMPLE_ONLY_DROPS}
        # "If both simple presence and detailed presence event types are specified … the
        # detailed presence notifications will be received."
        return Rendered(1 if detailed else 0, self.event_path(flt, event), body)

    def event_path(self, flt: EventFilter, event: Event) -> str:
        # The official samples keep `~` for the account and resolve the extension.
        path = f"/restapi/v1.0/account/~/extension/{event.extension_id}/presence"
        if flt.options.get("detailedTelephonyState"):
            path += "?detailedTelephonyState=true"
        return path
