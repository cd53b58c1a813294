"""The call log (CONTRACT §7): one record per user extension per finished telephony session, the
`In Progress` records of active calls, and call-log sync (FSync/ISync tokens, the 250-record
rule, resets).

Records are built from the session's parties (`build_entry`) and rendered per request, because
the `view` (Simple/Detailed) and the listing (extension or account) change the JSON.
"""

import math
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.core.clock import iso
from sandbox.core.parties import caller_info
from sandbox.voice.models import CallSession, Endpoint, Party
from sandbox.voice.numbers import location
from sandbox.voice.recordings import StoredRecording

if TYPE_CHECKING:
    from sandbox.account.models import Account

SYNC_MAX = 250
TOKENS_KEPT = 20000  # older sync tokens are forgotten (their ISync answers CLG-102)
MISSED_RESULTS = ("Missed", "Voicemail")
# result -> (reason, reasonDescription) as the 2021 spec describes the reasons.
REASONS = {
    "Accepted": ("Accepted", "The call was connected to and accepted by this number"),
    "Call connected": ("Connected", "The call was answered"),
    "Missed": ("Hang Up", "The caller hung up before the call was answered"),
    "Voicemail": ("No Answer", "You did not answer the call"),
    "No Answer": ("Not Answered", "The phone number you dialed was not answered"),
    "Busy": ("Line Busy", "The phone number you dialed was busy"),
    "Hang Up": ("Hang Up", "The caller hung up before the call was answered"),
}


@dataclass(frozen=True)
class LogParty:
    """`CallLogFromParty` / `CallLogToParty`."""

    phone_number: str | None = None
    extension_number: str | None = None
    extension_id: str | None = None
    name: str | None = None
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return caller_info(self)


@dataclass
class CallSummary:
    """What a call-log record and each of its legs both say about a call."""

    start_time: float
    duration_ms: int
    direction: str
    action: str
    result: str
    from_: LogParty
    to: LogParty
    transport: str


@dataclass
class Leg(CallSummary):
    leg_type: str
    master: bool
    extension_id: str | None


@dataclass
class CallLogEntry(CallSummary):
    id: str
    extension_id: str
    session_id: str
    telephony_session_id: str
    party_id: str
    legs: list[Leg]
    last_modified: float
    recording: StoredRecording | None = None
    short_recording: bool = False
    message: dict[str, str] | None = None
    change: int = 0  # position in the change stream (sync)

    @property
    def missed(self) -> bool:
        return self.result in MISSED_RESULTS


def log_party(endpoint: Endpoint, account: "Account") -> LogParty:
    ext = account.extensions.get(endpoint.extension_id or "")
    number = endpoint.phone_number
    if ext is not None:
        direct = number if number and number.startswith("+") else None
        return LogParty(
            phone_number=direct,
            extension_number=ext.extension_number,
            extension_id=ext.id_str,
            name=ext.name,
        )
    return LogParty(phone_number=number, name=endpoint.name, location=location(number))


def _party_result(parties: list[Party], session: CallSession, direction: str) -> str:
    if direction == "Inbound":
        if any(p.answered_at is not None for p in parties):
            return "Accepted"
        if any(p.voicemail_at is not None for p in parties):
            return "Voicemail"
        if any(p.replied for p in parties):
            return "Reply"
        return "Missed"
    if session.connected_at is not None and any(
        p.created_at <= session.connected_at for p in parties
    ):
        return "Call connected"
    others = [p for p in session.parties if p not in parties]
    if any(p.busy for p in others):
        return "Busy"
    if any(p.timed_out for p in others):
        return "No Answer"
    return "No Answer" if session.origin == "RingOut" else "Hang Up"


def _action(session: CallSession, direction: str) -> str:
    if session.origin == "RingOut":
        return "RingOut Web"
    if session.origin == "CallOut":
        return "CallOut-CallMe"
    return "VoIP Call" if direction == "Outbound" else "Phone Call"


def _leg_type(party: Party, pstn: bool) -> str:
    if party.role == "ringout-caller":
        return "RingOutWebToCaller"
    if party.role == "ringout-callee":
        return "RingOutWebToSubscriber"
    if party.role == "target":
        return "TransferCall"
    if party.role == "pickup":
        return "Pickup"
    if not pstn:
        return "ExtensionToExtension"
    return "Accept" if party.direction == "Inbound" else "SipToPstnMetered"


def build_entry(
    session: CallSession,
    extension_id: str,
    account: "Account",
    *,
    now: float,
    final: bool,
) -> CallLogEntry:
    """The call-log record of one extension's part in a session (`In Progress` while live)."""
    parties = session.parties_of(extension_id)
    primary = parties[0]
    direction = "Outbound" if session.origin == "RingOut" else primary.direction
    pstn = any(p.extension is None for p in session.parties)
    transport = "PSTN" if pstn else "VoIP"
    action = _action(session, direction)
    result = _party_result(parties, session, direction) if final else "In Progress"
    end = max((p.ended_at or now) for p in parties) if final else now
    legs = []
    leg_parties = list(parties)
    if session.origin == "RingOut":
        leg_parties += [p for p in session.parties if p.role == "ringout-callee"]
    for party in leg_parties:
        leg_end = party.ended_at if party.ended_at is not None else now
        legs.append(
            Leg(
                start_time=party.created_at,
                duration_ms=max(0, round((leg_end - party.created_at) * 1000)),
                direction=party.direction,
                action=action,
                result=(
                    _party_result([party], session, party.direction) if final else "In Progress"
                ),
                from_=log_party(party.from_, account),
                to=log_party(party.to, account),
                transport=transport,
                leg_type=_leg_type(party, pstn),
                master=party is primary,
                extension_id=party.extension_id,
            )
        )
    return CallLogEntry(
        id=session.call_log_ids[extension_id],
        extension_id=extension_id,
        session_id=session.session_id,
        telephony_session_id=session.id,
        party_id=primary.id,
        start_time=primary.created_at,
        duration_ms=max(0, round((end - primary.created_at) * 1000)),
        direction=direction,
        action=action,
        result=result,
        from_=log_party(primary.from_, account),
        to=log_party(primary.to, account),
        transport=transport,
        legs=legs,
        last_modified=now,
    )


class Urls:
    """Builds the URIs a record carries (platform and media hosts)."""

    def __init__(self, public_url: str, media_url: str, account_id: str) -> None:
        self.public_url = public_url
        self.media_url = media_url
        self.account_id = account_id

    def extension(self, extension_id: str) -> str:
        return f"{self.public_url}/restapi/v1.0/account/{self.account_id}/extension/{extension_id}"

    def recording(self, recording_id: str) -> str:
        return f"{self.public_url}/restapi/v1.0/account/{self.account_id}/recording/{recording_id}"

    def recording_content(self, recording_id: str) -> str:
        return (
            f"{self.media_url}/restapi/v1.0/account/{self.account_id}/recording/"
            f"{recording_id}/content"
        )


def _summary_fields(call: CallSummary) -> dict[str, Any]:
    out: dict[str, Any] = {
        # whole seconds, as in every official call-log sample ("…T23:07:20.000Z")
        "startTime": iso(math.floor(call.start_time)),
        "duration": round(call.duration_ms / 1000),
        "durationMs": call.duration_ms,
        "type": "Voice",
        "direction": call.direction,
        "action": call.action,
        "result": call.result,
    }
    reason = REASONS.get(call.result)
    if reason is not None:
        out["reason"], out["reasonDescription"] = reason
    out["to"] = call.to.as_dict()
    out["from"] = call.from_.as_dict()
    out["transport"] = call.transport
    return out


def record_json(entry: CallLogEntry, *, view: str, urls: Urls, base_path: str) -> dict[str, Any]:
    """`CallLogRecord`. `base_path` is the listing's `…/call-log` URI the record lives under."""
    out: dict[str, Any] = {
        "uri": f"{base_path}/{entry.id}?view={view}",
        "id": entry.id,
        "sessionId": entry.session_id,
        "telephonySessionId": entry.telephony_session_id,
        "partyId": entry.party_id,
        **_summary_fields(entry),
        "extension": {"id": int(entry.extension_id), "uri": urls.extension(entry.extension_id)},
    }
    if entry.recording is not None:
        out["recording"] = {
            "uri": urls.recording(entry.recording.id),
            "id": entry.recording.id,
            "type": entry.recording.mode,
            "contentUri": urls.recording_content(entry.recording.id),
        }
    if entry.short_recording:
        out["shortRecording"] = True
    if entry.message is not None:
        out["message"] = dict(entry.message)
    if view == "Detailed":
        out["lastModifiedTime"] = iso(entry.last_modified)
        out["billing"] = {"costIncluded": 0.0, "costPurchased": 0.0}
        out["legs"] = [_leg_json(leg, urls) for leg in entry.legs]
    return out


def _leg_json(leg: Leg, urls: Urls) -> dict[str, Any]:
    out = _summary_fields(leg)
    out["legType"] = leg.leg_type
    if leg.extension_id:
        out["extension"] = {"id": int(leg.extension_id), "uri": urls.extension(leg.extension_id)}
    out["master"] = leg.master
    return out


class SyncError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SyncState:
    scope: str  # an extension id, or "account"
    status_group: str  # All | Missed
    frame_start: float | None
    oldest: float | None  # start time of the oldest record the client holds
    change: int
    generation: tuple[int, int]


@dataclass
class CallLogStore:
    entries: list[CallLogEntry] = field(default_factory=list)
    by_id: dict[str, CallLogEntry] = field(default_factory=dict)
    changes: int = 0
    tokens: OrderedDict[str, SyncState] = field(default_factory=OrderedDict)
    generation: int = 0  # bumped by a call-log reset of the whole account
    extension_generations: dict[str, int] = field(default_factory=dict)

    def add(self, entry: CallLogEntry) -> None:
        self.changes += 1
        entry.change = self.changes
        self.entries.append(entry)
        self.by_id[entry.id] = entry

    def scoped(self, scope: str) -> Iterable[CallLogEntry]:
        if scope == "account":
            return self.entries
        return (e for e in self.entries if e.extension_id == scope)

    def reset_sync(self, extension_id: str | None = None) -> int:
        """Invalidate sync tokens (all, or one extension's): their next ISync answers CLG-101.
        Returns how many outstanding tokens that affects."""
        if extension_id is None:
            self.generation += 1
            affected = list(self.tokens)
        else:
            self.extension_generations[extension_id] = (
                self.extension_generations.get(extension_id, 0) + 1
            )
            affected = [t for t, s in self.tokens.items() if s.scope == extension_id]
        return len(affected)

    def _generation(self, scope: str) -> tuple[int, int]:
        return self.generation, self.extension_generations.get(scope, 0)

    def _matches(self, entry: CallLogEntry, state: SyncState) -> bool:
        if state.status_group == "Missed" and not entry.missed:
            return False
        return state.frame_start is None or entry.start_time >= state.frame_start

    def full_sync(
        self, *, scope: str, status_group: str, date_from: float | None, record_count: int
    ) -> tuple[list[CallLogEntry], str]:
        state = SyncState(scope, status_group, date_from, None, self.changes, (0, 0))
        state.generation = self._generation(scope)
        found = sorted(
            (e for e in self.scoped(scope) if self._matches(e, state)),
            key=lambda e: e.start_time,
            reverse=True,
        )[:record_count]
        if found:
            state.oldest = found[-1].start_time
        return found, self._issue(state)

    def incremental_sync(
        self, *, scope: str, token: str, record_count: int | None
    ) -> tuple[list[CallLogEntry], str]:
        state = self.tokens.get(token)
        if state is None:
            raise SyncError(
                "CLG-102",
                "Parameter [syncToken] is invalid [Sync token expired, call log was reset]",
            )
        if state.scope != scope:
            raise SyncError("CMN-101", "Parameter [syncToken] value is invalid.")
        if state.generation != self._generation(scope):
            raise SyncError(
                "CLG-101",
                "Parameter [syncToken] is invalid [Sync token expired, call log was reset]",
            )
        changed = sorted(
            (e for e in self.scoped(scope) if e.change > state.change and self._matches(e, state)),
            key=lambda e: e.start_time,
            reverse=True,
        )
        if len(changed) > SYNC_MAX:
            raise SyncError(
                "CLG-104",
                "Parameter [syncToken] is invalid [max sync record number limit is exceeded]",
            )
        older: list[CallLogEntry] = []
        if record_count and state.oldest is not None:
            room = min(record_count, SYNC_MAX - len(changed))
            older = sorted(
                (
                    e
                    for e in self.scoped(scope)
                    if e.change <= state.change
                    and e.start_time < state.oldest
                    and self._matches(e, state)
                ),
                key=lambda e: e.start_time,
                reverse=True,
            )[:room]
        found = changed + older
        starts = [e.start_time for e in found] + ([state.oldest] if state.oldest else [])
        new_state = SyncState(
            scope,
            state.status_group,
            state.frame_start,
            min(starts) if starts else None,
            self.changes,
            state.generation,
        )
        return found, self._issue(new_state)

    def _issue(self, state: SyncState) -> str:
        token = secrets.token_urlsafe(40)
        self.tokens[token] = state
        while len(self.tokens) > TOKENS_KEPT:
            self.tokens.popitem(last=False)
        return token
