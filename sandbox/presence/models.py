"""Presence: what each extension's presence is, derived from user-set status and active calls.

The voice engine drives telephony presence through `PresenceBook.set_call()` and
`end_call()`; `PUT …/presence` changes the user-set fields through `update()`. Every change bumps
the extension's `sequence` and publishes a presence event.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.account.models import Extension
from sandbox.core.clock import Clock, iso
from sandbox.core.events import Event

if TYPE_CHECKING:
    from sandbox.platform import World

USER_STATUSES = ("Offline", "Busy", "Available")
DND_STATUSES = (
    "TakeAllCalls",
    "DoNotAcceptDepartmentCalls",
    "TakeDepartmentCallsOnly",
    "DoNotAcceptAnyCalls",
    "Unknown",
)
CALLER_ID_VISIBILITY = ("All", "None", "PermittedUsers")
# When several calls are active, the one that needs attention most decides telephonyStatus.
TELEPHONY_PRIORITY = ("Ringing", "CallConnected", "OnHold", "ParkedCall")
ACTIVE_CALLS_IN_EVENTS = 7  # "List of the latest 7 active calls"


@dataclass
class ActiveCall:
    """One call leg of an extension, as presence shows it (`ActiveCallInfo`)."""

    id: str
    direction: str  # Inbound | Outbound
    from_number: str
    to_number: str
    telephony_status: str  # Ringing | CallConnected | OnHold | ParkedCall | NoCall
    start_time: float
    session_id: str
    telephony_session_id: str
    party_id: str
    from_name: str | None = None
    to_name: str | None = None
    queue_call: bool = False
    termination_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "direction": self.direction,
            "from": self.from_number,
            "to": self.to_number,
            "telephonyStatus": self.telephony_status,
            "startTime": iso(self.start_time),
            "sessionId": self.session_id,
            "telephonySessionId": self.telephony_session_id,
            "partyId": self.party_id,
            "queueCall": self.queue_call,
        }
        if self.from_name:
            out["fromName"] = self.from_name
        if self.to_name:
            out["toName"] = self.to_name
        if self.termination_type:
            out["terminationType"] = self.termination_type
        return out


@dataclass
class Presence:
    extension: Extension
    user_status: str = "Available"
    dnd_status: str = "TakeAllCalls"
    message: str = ""
    allow_see_my_presence: bool = True
    ring_on_monitored_call: bool = False
    pick_up_calls_on_hold: bool = False
    caller_id_visibility: str = "All"
    accept_call_queue_calls: bool = True
    meeting_status: str = "Disconnected"
    calls: dict[str, ActiveCall] = field(default_factory=dict)
    sequence: int = 1

    @property
    def tracked(self) -> bool:
        """Only enabled users have a presence; other extensions are always Offline."""
        return self.extension.is_user and self.extension.status == "Enabled"

    @property
    def telephony_status(self) -> str:
        statuses = {c.telephony_status for c in self.calls.values()}
        return next((s for s in TELEPHONY_PRIORITY if s in statuses), "NoCall")

    @property
    def presence_status(self) -> str:
        if not self.tracked or self.user_status == "Offline":
            return "Offline"
        if (
            self.user_status == "Busy"
            or self.dnd_status == "DoNotAcceptAnyCalls"
            or self.telephony_status != "NoCall"
        ):
            return "Busy"
        return "Available"


class PresenceBook:
    """All extensions' presence in one world."""

    def __init__(self, world: "World") -> None:
        self._world = world
        self._clock: Clock = world.clock
        self._by_ext: dict[str, Presence] = {}

    def of(self, ext: Extension) -> Presence:
        presence = self._by_ext.get(ext.id_str)
        if presence is None:
            presence = self._by_ext[ext.id_str] = Presence(ext)
        return presence

    def _ext(self, extension_id: str) -> Extension:
        return self._world.account.extensions[extension_id]

    def update(self, extension_id: str, **changes: Any) -> Presence:
        """Change user-set fields (snake_case names of `Presence`); publishes when any changed."""
        presence = self.of(self._ext(extension_id))
        changed = False
        for name, value in changes.items():
            if getattr(presence, name) != value:
                setattr(presence, name, value)
                changed = True
        if changed:
            self._changed(presence, ended=[])
        return presence

    def set_call(self, extension_id: str, call: ActiveCall) -> Presence:
        """Add or replace (by `call.id`) an active call of the extension; publishes."""
        presence = self.of(self._ext(extension_id))
        presence.calls[call.id] = call
        self._changed(presence, ended=[])
        return presence

    def end_call(self, extension_id: str, call_id: str) -> ActiveCall | None:
        """Remove an active call; the event lists it once more as `NoCall`/`final`."""
        presence = self.of(self._ext(extension_id))
        call = presence.calls.pop(call_id, None)
        if call is not None:
            call.telephony_status = "NoCall"
            call.termination_type = "final"
            self._changed(presence, ended=[call])
        return call

    def _changed(self, presence: Presence, ended: list[ActiveCall]) -> None:
        presence.sequence += 1
        self._world.bus.publish(
            Event(
                kind="presence",
                account_id=self._world.account.id_str,
                extension_id=presence.extension.id_str,
                body=self.event_body(presence, ended),
            )
        )

    def event_body(self, presence: Presence, ended: list[ActiveCall]) -> dict[str, Any]:
        """The detailed presence event body (`DetailedExtensionPresenceEventBody`)."""
        calls = [*presence.calls.values(), *ended][-ACTIVE_CALLS_IN_EVENTS:]
        body = self._status_fields(presence)
        body = {"extensionId": presence.extension.id_str, **body}
        body["sequence"] = presence.sequence
        body["activeCalls"] = [c.as_dict() for c in calls]
        body["totalActiveCalls"] = len(presence.calls)
        body["ownerId"] = presence.extension.id_str
        return body

    def _status_fields(self, presence: Presence) -> dict[str, Any]:
        if not presence.tracked:
            return {"presenceStatus": "Offline"}
        return {
            "telephonyStatus": presence.telephony_status,
            "presenceStatus": presence.presence_status,
            "userStatus": presence.user_status,
            "dndStatus": presence.dnd_status,
            "meetingStatus": presence.meeting_status,
            "allowSeeMyPresence": presence.allow_see_my_presence,
            "ringOnMonitoredCall": presence.ring_on_monitored_call,
            "pickUpCallsOnHold": presence.pick_up_calls_on_hold,
        }

    def info(self, ext: Extension, *, detailed: bool, uri: str, ext_uri: str) -> dict[str, Any]:
        """The `PresenceInfoResponse` body."""
        presence = self.of(ext)
        body: dict[str, Any] = {
            "uri": uri,
            "extension": {"id": ext.id, "uri": ext_uri, "extensionNumber": ext.extension_number},
            **self._status_fields(presence),
        }
        if presence.tracked:
            body["message"] = presence.message
            body["callerIdVisibility"] = presence.caller_id_visibility
            body["acceptCallQueueCalls"] = presence.accept_call_queue_calls
            if detailed:
                body["activeCalls"] = [c.as_dict() for c in presence.calls.values()]
        return body
