"""The call model: telephony sessions, their parties, and the party state machine
(CONTRACT §6.1 and the recorded streams in tests/data/ringcentral/events/recorded/).

A telephony session (`s-<hex>`) has parties (`p-<hex>-N`, numbered in the order they join). Each
party is one leg as one participant sees it: an extension of the account (it has an `extension`)
or an outside phone (PSTN, no extension). Every status change of a party is one telephony event
carrying only that party, numbered by the session's `sequence`.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.core.scheduler import Timer
    from sandbox.voice.ringout import RingOut

RINGING = ("Setup", "Proceeding")
CONNECTED = ("Answered", "Hold")
TERMINAL = ("Disconnected", "Gone")

# code -> the codes a party may move to next (CONTRACT §6.1 state table).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "Setup": ("Proceeding", "Answered", "VoiceMail", "Parked", "Disconnected", "Gone"),
    "Proceeding": ("Answered", "VoiceMail", "Disconnected", "Gone"),
    "Answered": ("Hold", "Parked", "Disconnected", "Gone"),
    "Hold": ("Answered", "Parked", "Disconnected", "Gone"),
    "Parked": ("Disconnected", "Gone"),
    "VoiceMail": ("Disconnected",),
    "Disconnected": (),
    "Gone": (),
}

# Party status -> the extension's presence `telephonyStatus` for that call.
PRESENCE_STATUS = {
    "Setup": "Ringing",
    "Proceeding": "Ringing",
    "Answered": "CallConnected",
    "Hold": "OnHold",
    "Parked": "ParkedCall",
}


class InvalidState(Exception):
    """The action is not allowed in the party's current state (HTTP 409)."""

    def __init__(self, party: "Party", action: str) -> None:
        super().__init__(f"party {party.id} is {party.code}; cannot {action}")
        self.party = party
        self.action = action


@dataclass
class Endpoint:
    """The `from`/`to` of a party."""

    phone_number: str | None
    name: str | None = None
    extension_id: str | None = None
    extension_number: str | None = None
    device_id: str | None = None

    def as_dict(self, *, device: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.phone_number is not None:
            out["phoneNumber"] = self.phone_number
        if self.name:
            out["name"] = self.name
        if self.extension_id:
            out["extensionId"] = self.extension_id
        if device and self.device_id:
            out["deviceId"] = self.device_id
        return out


@dataclass
class RecordingSegment:
    start: float
    end: float | None = None


@dataclass(eq=False)
class CallRecording:
    """A recording started on a party (on demand through the API, or automatic)."""

    id: str
    party: "Party"
    mode: str  # Automatic | OnDemand
    segments: list[RecordingSegment] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.segments) and self.segments[-1].end is None

    def pause(self, now: float) -> None:
        if self.active:
            self.segments[-1].end = now

    def resume(self, now: float) -> None:
        if not self.active:
            self.segments.append(RecordingSegment(now))

    def duration(self, now: float) -> float:
        return sum((s.end if s.end is not None else now) - s.start for s in self.segments)


@dataclass(eq=False)
class Party:
    id: str
    number: int  # N in p-<hex>-N
    session: "CallSession"
    direction: str  # Inbound | Outbound
    extension: "Extension | None"
    from_: Endpoint
    to: Endpoint
    role: str  # caller | callee | ivr | target | pickup | flip | ringout-caller | ringout-callee
    created_at: float
    code: str = "Setup"
    reason: str | None = None
    peer: dict[str, str] | None = None
    park_id: str | None = None
    missed_call: bool = False
    muted: bool = False
    stand_alone: bool = False
    mobile_pickup: dict[str, Any] | None = None
    ring_out_role: str | None = None
    recordings: list[CallRecording] = field(default_factory=list)
    presence_id: str = ""
    presence_shown: str | None = None  # the telephonyStatus presence last showed for this leg
    answered_at: float | None = None
    ended_at: float | None = None
    voicemail_at: float | None = None
    replied: bool = False
    busy: bool = False
    timed_out: bool = False
    timer: "Timer | None" = None

    @property
    def extension_id(self) -> str | None:
        return self.extension.id_str if self.extension is not None else None

    @property
    def live(self) -> bool:
        return self.code not in TERMINAL

    @property
    def ringing(self) -> bool:
        return self.code in RINGING

    @property
    def is_user(self) -> bool:
        return self.extension is not None and self.extension.is_user

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


@dataclass(eq=False)
class CallSession:
    id: str  # s-<hex>
    hex: str
    session_id: str  # the legacy numeric id
    origin: str  # Call | RingOut | CallOut
    server_id: str
    created_at: float
    parties: list[Party] = field(default_factory=list)
    sequence: int = 1  # the first event carries 2, as in the recorded streams
    connected_at: float | None = None
    ended_at: float | None = None
    auto_record: bool = False
    ring_timeout: float | None = None  # per-call override of the configured ring time
    voicemail_duration: float | None = None
    voicemail_transcription: str | None = None  # what the caller says, if they leave a message
    bridged: "CallSession | None" = None
    ringout: "RingOut | None" = None
    call_log_ids: dict[str, str] = field(default_factory=dict)  # extension id -> record id
    ivr_timer: "Timer | None" = None

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def live_parties(self) -> list[Party]:
        return [p for p in self.parties if p.live]

    def parties_of(self, extension_id: str) -> list[Party]:
        return [p for p in self.parties if p.extension_id == extension_id]

    def involves(self, extension_id: str) -> bool:
        return any(p.extension_id == extension_id for p in self.parties)
