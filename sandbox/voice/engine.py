"""The call engine: starts calls, moves parties through their states, and makes everything a real
account would see happen: telephony events (one per party change, `sequence` per session),
detailed presence, ring timeouts on the sandbox clock, voicemail, recordings, the call log.

The flows follow the recorded streams (CONTRACT §6.1):
- outside → user (direct number): caller Setup, user Setup, caller Answered, user Proceeding;
- outside → main number: caller Setup, IVR Setup, caller Answered; after the menu the IVR leg
  Disconnects and the chosen user's leg rings (Setup, Proceeding);
- user → outside: user Setup, outside Proceeding, user Proceeding; on answer the outside party
  then the user's party are Answered;
- user → user: caller Setup, callee Setup, caller Answered, callee Proceeding.
Whoever hangs up is Disconnected first, then the rest of the call.

Everything is synchronous (never awaits), so a request or timer sees a call change all at once.
Python callers (control API, traffic generator, demo seed) use `CallEngine`'s public methods;
errors are `CallError` (a bad request) or `InvalidState` (not allowed in the party's state).
"""

import contextlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sandbox.account.models import Extension
from sandbox.core.events import Event
from sandbox.presence.models import ActiveCall
from sandbox.voice import render
from sandbox.voice.calllog import CallLogStore, build_entry
from sandbox.voice.events import KIND
from sandbox.voice.models import (
    CONNECTED,
    PRESENCE_STATUS,
    TRANSITIONS,
    CallRecording,
    CallSession,
    Endpoint,
    InvalidState,
    Party,
    RecordingSegment,
)
from sandbox.voice.numbers import normalize
from sandbox.voice.recordings import RecordingStore
from sandbox.voice.ringout import RingOut

if TYPE_CHECKING:
    from sandbox.platform import World

ENDED_KEPT = 2000  # finished sessions the control API can still show
PARK_ORBITS = tuple(f"*{n}" for n in range(801, 900))
FLIP_TARGETS = tuple(f"*{n}" for n in range(1, 10)) + tuple(str(n) for n in range(1, 10))


class CallError(ValueError):
    """A call request that cannot be placed (unknown number, unsupported destination, ...)."""


@dataclass(frozen=True)
class Target:
    """A resolved destination: an extension (`User` or `IvrMenu`) or an outside number."""

    kind: str  # extension | ivr | external
    dialled: str
    extension: Extension | None = None


class CallEngine:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.account = world.account
        self.sessions: dict[str, CallSession] = {}
        self.ended: OrderedDict[str, CallSession] = OrderedDict()
        self.calllog = CallLogStore()
        self.recordings = RecordingStore()
        self.ringouts: dict[str, RingOut] = {}
        self.parked: dict[str, Party] = {}
        self.devices: dict[str, str] = {
            ext.id_str: world.ids.numeric_str()
            for ext in self.account.extensions.values()
            if ext.is_user
        }
        # Called when a caller leaves a voicemail; returns the call log's `message` block
        # (`{"id", "type", "uri"}`) or None. sandbox.voice plugs the message store in here.
        self.voicemail_sink: Any = None
        self._deferred: set[str] = set()
        self._replay_at: float | None = None  # set while replaying a past call (no events)

    # --- reading ---

    @property
    def config(self):
        return self.world.platform.config

    def now(self) -> float:
        return self._replay_at if self._replay_at is not None else self.world.clock.now()

    def live(self, telephony_session_id: str) -> CallSession | None:
        return self.sessions.get(telephony_session_id)

    def find(self, telephony_session_id: str) -> CallSession | None:
        """A live or recently finished session."""
        return self.sessions.get(telephony_session_id) or self.ended.get(telephony_session_id)

    def direct_number(self, ext: Extension) -> str | None:
        return next(
            (n.phone_number for n in self.account.numbers_of(ext.id_str) if n.type != "FaxOnly"),
            None,
        )

    def endpoint_of(
        self, ext: Extension, *, number: str | None = None, device: bool = False
    ) -> Endpoint:
        """How `ext` shows as a party's from/to (its direct number unless `number` was dialled)."""
        return Endpoint(
            phone_number=number or self.direct_number(ext) or ext.extension_number,
            name=ext.name,
            extension_id=ext.id_str,
            extension_number=ext.extension_number,
            device_id=self.devices.get(ext.id_str) if device else None,
        )

    # --- resolving numbers ---

    def extension(self, raw: str) -> Extension | None:
        """An extension by id or short number."""
        ext = self.account.extensions.get(raw)
        if ext is not None:
            return ext
        return next(
            (e for e in self.account.extensions.values() if e.extension_number == raw), None
        )

    def resolve(self, raw: str) -> Target:
        """What dialling `raw` reaches. Raises CallError for numbers that reach nothing here."""
        if not isinstance(raw, str) or not raw.strip():
            raise CallError("a phone number or extension is required")
        ext = self.account.extensions.get(raw.strip())
        if ext is not None:
            return self._extension_target(ext, ext.extension_number)
        number = normalize(raw)
        if number is None:
            raise CallError(f"{raw!r} is not a phone number or extension number")
        if not number.startswith("+"):
            ext = self.extension(number)
            if ext is None:
                raise CallError(f"no extension {number}")
            return self._extension_target(ext, number)
        owned = self.account.number(number)
        if owned is None:
            return Target("external", number)
        ext = self.account.extensions.get(owned.extension_id or "")
        if ext is None or owned.type == "FaxOnly":
            raise CallError(f"{number} does not take voice calls")
        return self._extension_target(ext, number)

    def _extension_target(self, ext: Extension, dialled: str) -> Target:
        if ext.type == "IvrMenu":
            return Target("ivr", dialled, ext)
        if not ext.is_user:
            raise CallError(f"calls to {ext.type} extensions are not emulated")
        if ext.status != "Enabled":
            raise CallError(f"extension {ext.extension_number} is {ext.status}")
        return Target("extension", dialled, ext)

    def user(self, raw: str) -> Extension:
        """An enabled user extension by id or number (a calling extension)."""
        target = self.resolve(raw)
        if target.kind != "extension":
            raise CallError(f"{raw!r} is not a user extension")
        assert target.extension is not None
        return target.extension

    # --- the session and its events ---

    def _new_session(self, origin: str, **options: Any) -> CallSession:
        ids = self.world.ids
        hex_id = ids.hex()
        session = CallSession(
            id=f"s-{hex_id}",
            hex=hex_id,
            session_id=ids.numeric_str(),
            origin=origin,
            server_id=f"10.13.22.{ids.random().randrange(2, 250)}.TAM",
            created_at=self.now(),
            **options,
        )
        self.sessions[session.id] = session
        return session

    def _add(
        self,
        session: CallSession,
        *,
        direction: str,
        extension: Extension | None,
        from_: Endpoint,
        to: Endpoint,
        role: str,
        code: str,
        ring_out_role: str | None = None,
    ) -> Party:
        number = len(session.parties) + 1
        party = Party(
            id=f"p-{session.hex}-{number}",
            number=number,
            session=session,
            direction=direction,
            extension=extension,
            from_=from_,
            to=to,
            role=role,
            created_at=self.now(),
            code=code,
            ring_out_role=ring_out_role,
            presence_id=self.world.ids.hex(),
        )
        session.parties.append(party)
        if party.is_user and party.extension_id not in session.call_log_ids:
            session.call_log_ids[party.extension_id] = self.world.ids.word(15)
        self._emit(party)
        return party

    def _set(self, party: Party, code: str, *, reason: str | None = None) -> None:
        if code not in TRANSITIONS[party.code]:
            raise InvalidState(party, code)
        now = self.now()
        party.code = code
        party.reason = reason
        if code == "Answered" and party.answered_at is None:
            party.answered_at = now
        if code == "VoiceMail":
            party.voicemail_at = now
        if not party.ringing:
            party.cancel_timer()
        if not party.live:
            party.ended_at = now
            self._end_recordings(party, now)
            if party.park_id and self.parked.get(party.park_id) is party:
                del self.parked[party.park_id]
        self._emit(party)
        if code == "Answered":
            party.mobile_pickup = None  # shown on Proceeding and the first Answered only

    def _emit(self, party: Party) -> None:
        session = party.session
        session.sequence += 1
        if self._replay_at is not None:
            return  # history: nobody was listening then
        account_id = self.account.id_str
        self.world.bus.publish(
            Event(
                kind=KIND,
                account_id=account_id,
                extension_id=party.extension_id,
                body=render.event_body(session, party, account_id, self.now()),
            )
        )
        self._presence(party)

    def _presence(self, party: Party) -> None:
        ext = party.extension
        if ext is None or not ext.is_user or ext.status != "Enabled" or self._replay_at:
            return
        status = PRESENCE_STATUS.get(party.code)
        session = party.session
        if (
            status == "CallConnected"
            and party.direction == "Outbound"
            and session.connected_at is None
        ):
            status = "Ringing"  # the caller hears ringback until the other side answers
        if status == party.presence_shown:
            return
        book = self.world.presence
        party.presence_shown = status
        if status is None:
            book.end_call(ext.id_str, party.presence_id)
            return
        direction = "Outbound" if session.origin == "RingOut" else party.direction
        book.set_call(
            ext.id_str,
            ActiveCall(
                id=party.presence_id,
                direction=direction,
                from_number=party.from_.phone_number or "",
                to_number=party.to.phone_number or "",
                telephony_status=status,
                start_time=party.created_at,
                session_id=session.session_id,
                telephony_session_id=session.id,
                party_id=party.id,
                from_name=party.from_.name,
                to_name=party.to.name,
            ),
        )

    @contextlib.contextmanager
    def _batch(self, session: CallSession):
        """Several changes that belong together (a transfer, the IVR routing): the call is not
        considered over in between, only when the batch ends."""
        nested = session.id in self._deferred
        self._deferred.add(session.id)
        try:
            yield
        finally:
            if not nested:
                self._deferred.discard(session.id)
                self._check_end(session)

    def _check_end(self, session: CallSession) -> None:
        """A call with fewer than two parties left (counting a bridged call) is over."""
        if not session.live or session.id in self._deferred:
            return
        bridged = session.bridged if session.bridged is not None and session.bridged.live else None
        live = session.live_parties()
        if len(live) + (len(bridged.live_parties()) if bridged else 0) >= 2:
            return
        for party in live:
            self._leave(party)
        self._finalize(session)
        if bridged is not None:
            for party in bridged.live_parties():
                self._leave(party)
            self._finalize(bridged)

    def _leave(self, party: Party, reason: str | None = None) -> None:
        """The party leaves the call; a user's leg still ringing then is a missed call."""
        if reason is None and party.ringing and party.direction == "Inbound" and party.is_user:
            party.missed_call = True
        self._set(party, "Disconnected", reason=reason)

    def _finalize(self, session: CallSession) -> None:
        now = self.now()
        session.ended_at = now
        if session.ivr_timer is not None:
            session.ivr_timer.cancel()
        for party in session.parties:
            party.cancel_timer()
        self.sessions.pop(session.id, None)
        self.ended[session.id] = session
        while len(self.ended) > ENDED_KEPT:
            self.ended.popitem(last=False)
        entries = {
            ext_id: build_entry(session, ext_id, self.account, now=now, final=True)
            for ext_id in session.call_log_ids
        }
        self._store_recordings(session, entries, now)
        for ext_id, entry in entries.items():
            self._attach_voicemail(session, ext_id, entry)
            self.calllog.add(entry)

    def _store_recordings(self, session: CallSession, entries: dict, now: float) -> None:
        """Keep each extension's longest recording of the call if it is long enough; shorter
        ones leave `shortRecording` in the call log."""
        kept: dict[CallRecording, set[str]] = {}
        for ext_id, entry in entries.items():
            candidates = [
                r
                for p in session.parties
                if p.extension_id == ext_id or p.extension is None
                for r in p.recordings
            ]
            if not candidates:
                continue
            longest = max(candidates, key=lambda r: r.duration(now))
            if longest.duration(now) < self.config.min_recording_duration:
                entry.short_recording = True
                continue
            kept.setdefault(longest, set()).add(ext_id)
        for recording, ext_ids in kept.items():
            stored = self.recordings.add(
                recording_id=recording.id,
                mode=recording.mode,
                seconds=recording.duration(now),
                extension_ids=ext_ids,
                telephony_session_id=session.id,
                now=now,
            )
            for ext_id in ext_ids:
                entries[ext_id].recording = stored

    def _attach_voicemail(self, session: CallSession, ext_id: str, entry) -> None:
        """The caller left a voicemail: it becomes a message in the extension's mailbox (through
        `voicemail_sink`) and the call-log record links to it."""
        for party in session.parties_of(ext_id):
            if party.voicemail_at is None or self.voicemail_sink is None:
                continue
            caller = self._caller_identity(session, party)
            number = caller.phone_number or ""
            if not number.startswith("+") and caller.extension_id:
                ext = self.account.extensions.get(caller.extension_id)
                number = (self.direct_number(ext) if ext else None) or number
            ended = party.ended_at if party.ended_at is not None else self.now()
            message = self.voicemail_sink(
                self.world,
                extension_id=ext_id,
                from_number=number,
                from_name=caller.name,
                duration_s=max(1, round(ended - party.voicemail_at)),
                telephony_session_id=session.id,
                transcription=session.voicemail_transcription,
                at=ended if self._replay_at is not None else None,
            )
            if message is not None:
                entry.message = message

    def _caller_identity(self, session: CallSession, party: Party) -> Endpoint:
        """Who is on the other end of `party` (for a voicemail, a transfer target's caller id)."""
        others = [p for p in session.parties if p is not party and p.role != "ivr"]
        other = next((p for p in others if p.live), others[0] if others else party)
        return other.from_ if other.direction == "Outbound" else other.to

    # --- starting calls ---

    def start_call(
        self,
        *,
        caller: str,
        callee: str,
        caller_name: str | None = None,
        origin: str = "Call",
        device_id: str | None = None,
        ring_timeout: float | None = None,
        voicemail_duration: float | None = None,
        ivr_choice: str | None = None,
        ivr_delay: float | None = None,
        record: bool = False,
        voicemail_transcription: str | None = None,
    ) -> CallSession:
        """Place a call from `caller` (an extension number/id, or an outside number) to `callee`
        (an extension, a number of the account incl. the main number, or an outside number).

        Setup/Proceeding happen at once; the callee then rings until answered, declined, or
        `ring_timeout` (default: the configured ring time) runs out (voicemail for users, no
        answer for outside phones). `ivr_choice` is the extension the caller picks in the main
        number's menu after `ivr_delay` seconds (default: the operator, configured delay).
        A voicemail the caller leaves is transcribed as `voicemail_transcription` (if given).
        """
        source = self.resolve(caller)
        target = self.resolve(callee)
        if source.kind == "ivr":
            raise CallError("an IVR menu cannot place calls")
        if source.kind == "external" and target.kind == "external":
            raise CallError("a call between two outside numbers does not touch this account")
        route_to = None
        if target.kind == "ivr":
            if source.kind != "external":
                raise CallError("extensions dial colleagues directly; the IVR is for outside calls")
            route_to = self._ivr_choice(ivr_choice)
        if source.kind == "extension" and source.extension is target.extension:
            raise CallError("an extension cannot call itself")
        session = self._new_session(
            origin,
            auto_record=record,
            ring_timeout=ring_timeout,
            voicemail_duration=voicemail_duration,
            voicemail_transcription=voicemail_transcription,
        )
        if source.kind == "extension":
            assert source.extension is not None
            self._start_from_extension(session, source.extension, target, device_id)
        else:
            self._start_from_outside(
                session, source.dialled, caller_name, target, route_to, ivr_delay
            )
        return session

    def _ivr_choice(self, choice: str | None) -> Extension:
        if choice is None:
            ext = self.account.extensions.get(self.account.operator_id or "")
            if ext is None:
                raise CallError("the account has no operator to route IVR calls to")
            return ext
        target = self.resolve(choice)
        if target.kind != "extension":
            raise CallError(f"the IVR cannot route to {choice!r}")
        assert target.extension is not None
        return target.extension

    def _start_from_extension(
        self, session: CallSession, ext: Extension, target: Target, device_id: str | None
    ) -> None:
        own = self.endpoint_of(ext, device=True)
        if device_id:
            own.device_id = device_id
        caller = self._add(
            session,
            direction="Outbound",
            extension=ext,
            from_=Endpoint(own.phone_number, None, ext.id_str, ext.extension_number, own.device_id),
            to=Endpoint(target.dialled),
            role="caller",
            code="Setup",
        )
        if target.kind == "external":
            self._add(
                session,
                direction="Inbound",
                extension=None,
                from_=self.endpoint_of(ext),
                to=Endpoint(target.dialled),
                role="callee",
                code="Proceeding",
            )
            self._set(caller, "Proceeding")
            self._ring(session.parties[-1])
            return
        callee_ext = target.extension
        assert callee_ext is not None
        callee = self._add(
            session,
            direction="Inbound",
            extension=callee_ext,
            from_=Endpoint(
                ext.extension_number, ext.name, ext.id_str, ext.extension_number, own.device_id
            ),
            to=self.endpoint_of(callee_ext, number=target.dialled),
            role="callee",
            code="Setup",
        )
        caller.to = self.endpoint_of(callee_ext, number=target.dialled)
        caller.from_.name = ext.name
        self._set(caller, "Answered")
        self._proceed(callee)

    def _start_from_outside(
        self,
        session: CallSession,
        number: str,
        name: str | None,
        target: Target,
        route_to: Extension | None,
        ivr_delay: float | None,
    ) -> None:
        dest = target.extension
        assert dest is not None
        caller = self._add(
            session,
            direction="Outbound",
            extension=None,
            from_=Endpoint(number),
            to=Endpoint(target.dialled),
            role="caller",
            code="Setup",
        )
        first = self._add(
            session,
            direction="Inbound",
            extension=dest,
            from_=Endpoint(number, None if target.kind == "ivr" else name),
            to=self.endpoint_of(dest, number=target.dialled),
            role="ivr" if target.kind == "ivr" else "callee",
            code="Setup",
        )
        caller.to = self.endpoint_of(dest, number=target.dialled)
        self._set(caller, "Answered")
        if target.kind != "ivr":
            caller.from_.name = name
            self._proceed(first)
            return
        assert route_to is not None
        delay = self.config.ivr_delay if ivr_delay is None else ivr_delay
        if delay <= 0:
            self._route_ivr(first, route_to, name)
        else:
            session.ivr_timer = self.world.scheduler.call_later(
                delay, self._route_ivr, first, route_to, name
            )

    def _route_ivr(self, ivr: Party, ext: Extension, caller_name: str | None) -> None:
        """The caller picked `ext` in the menu: the IVR leg ends and the user's leg rings."""
        session = ivr.session
        session.ivr_timer = None
        if not session.live or not ivr.live:
            return
        caller = session.parties[0]
        with self._batch(session):
            self._set(ivr, "Disconnected")
            if caller_name:
                caller.from_.name = caller_name
            user = self._add(
                session,
                direction="Inbound",
                extension=ext,
                from_=Endpoint(caller.from_.phone_number, caller_name),
                to=self.endpoint_of(ext, number=caller.to.phone_number),
                role="callee",
                code="Setup",
            )
            self._proceed(user)

    def _proceed(self, party: Party) -> None:
        """A user's leg starts ringing on their devices (Proceeding, with mobile pickup data)."""
        ext = party.extension
        assert ext is not None
        ids = self.world.ids
        party.mobile_pickup = {
            "ccMailboxes": [ext.id_str],
            "to": f"#{ids.random().randrange(1000000, 9999999)}@sip.ringcentral.com:5060",
            "sid": str(ids.random().randrange(10**13, 10**14)),
            "srvLvl": "-149699523",
            "srvLvlExt": "406",
        }
        self._set(party, "Proceeding")
        self._ring(party)

    def _ring(self, party: Party) -> None:
        if self._replay_at is not None:
            return  # a replayed call is driven step by step, no timers
        session = party.session
        if party.extension is not None:
            timeout = session.ring_timeout or self.config.ring_timeout
        else:
            timeout = session.ring_timeout or self.config.pstn_ring_timeout
        party.timer = self.world.scheduler.call_later(timeout, self._ring_timeout, party)

    def _ring_timeout(self, party: Party) -> None:
        party.timer = None
        if not party.ringing or not party.session.live:
            return
        if party.is_user and party.direction == "Inbound" and party.role != "ringout-caller":
            self.to_voicemail(party)
            return
        party.timed_out = True
        with self._batch(party.session):
            self._set(party, "Disconnected", reason="NoAnswer")

    # --- RingOut and CallOut ---

    def start_ringout(
        self,
        ext: Extension,
        *,
        from_number: str,
        to: str,
        caller_id: str | None = None,
        play_prompt: bool = False,
    ) -> RingOut:
        """RingOut: ring the user's phone `from_number` first; `answer` on that leg rings `to`."""
        target = self.resolve(to)
        if target.kind == "ivr":
            raise CallError("RingOut to the IVR menu is not emulated")
        if target.extension is ext:
            raise CallError("an extension cannot call itself")
        session = self._new_session("RingOut")
        ringout = RingOut(
            id=self.world.ids.numeric_str(),
            extension=ext,
            from_number=from_number,
            to_number=target.dialled,
            caller_id=caller_id,
            play_prompt=play_prompt,
            session=session,
        )
        session.ringout = ringout
        self.ringouts[ringout.id] = ringout
        shown = (
            self.endpoint_of(target.extension)
            if target.extension is not None
            else Endpoint(target.dialled)
        )
        caller = self._add(
            session,
            direction="Inbound",
            extension=ext,
            from_=shown,
            to=Endpoint(from_number, ext.name, ext.id_str, ext.extension_number),
            role="ringout-caller",
            code="Proceeding",
            ring_out_role="Initiator",
        )
        self._ring(caller)
        return ringout

    def _ring_ringout_callee(self, session: CallSession) -> None:
        ringout = session.ringout
        assert ringout is not None
        ext = ringout.extension
        target = self.resolve(ringout.to_number)
        shown = self.endpoint_of(ext, number=ringout.caller_id)
        if target.kind == "external":
            callee = self._add(
                session,
                direction="Inbound",
                extension=None,
                from_=shown,
                to=Endpoint(target.dialled),
                role="ringout-callee",
                code="Proceeding",
                ring_out_role="Target",
            )
            self._ring(callee)
            return
        assert target.extension is not None
        callee = self._add(
            session,
            direction="Inbound",
            extension=target.extension,
            from_=shown,
            to=self.endpoint_of(target.extension, number=target.dialled),
            role="ringout-callee",
            code="Setup",
            ring_out_role="Target",
        )
        self._proceed(callee)

    def cancel_ringout(self, ringout: RingOut) -> bool:
        """DELETE on a RingOut: ends it while its first leg has not connected; afterwards it
        does nothing (RingOut guide). Returns whether the call was cancelled."""
        if not ringout.cancellable:
            return False
        ringout.cancelled = True
        with self._batch(ringout.session):
            self._set(ringout.caller, "Disconnected", reason="Cancelled")
        return True

    # --- actions on parties ---

    def answer(self, party: Party) -> None:
        """An inbound ringing leg picks up."""
        if not (party.ringing and party.direction == "Inbound"):
            raise InvalidState(party, "answer")
        session = party.session
        self._set(party, "Answered")
        if party.role == "ringout-caller":
            self._ring_ringout_callee(session)
            return
        self._connect(session)

    def _connect(self, session: CallSession) -> None:
        first = session.connected_at is None
        if first:
            session.connected_at = self.now()
        for other in session.parties:
            if other.role == "caller" and other.code == "Proceeding":
                self._set(other, "Answered")
        if session.auto_record:
            for party in session.parties:
                if party.is_user and party.code in CONNECTED and not party.recordings:
                    self.start_recording(party, mode="Automatic")
        if first:
            for other in session.parties:
                self._presence(other)

    def hold(self, party: Party) -> None:
        if party.code != "Answered":
            raise InvalidState(party, "hold")
        self._set(party, "Hold")

    def unhold(self, party: Party) -> None:
        if party.code != "Hold":
            raise InvalidState(party, "unhold")
        self._set(party, "Answered")

    def hangup(self, party: Party) -> None:
        """The party hangs up (a ringing callee declines: a user's call goes to voicemail, an
        outside phone is busy). The rest of the call follows."""
        if not party.live:
            raise InvalidState(party, "hang up")
        if party.ringing and party.direction == "Inbound" and party.role != "ringout-caller":
            self.decline(party)
            return
        self.leave(party)

    def leave(self, party: Party, reason: str | None = None) -> None:
        """The party leaves the call (DELETE party); the call ends if fewer than two remain."""
        if not party.live:
            raise InvalidState(party, "leave")
        with self._batch(party.session):
            self._leave(party, reason)

    def decline(self, party: Party) -> None:
        """A ringing inbound leg is declined: voicemail for a user, busy for an outside phone."""
        if not (party.ringing and party.direction == "Inbound"):
            raise InvalidState(party, "decline")
        if party.is_user:
            self.to_voicemail(party)
            return
        party.busy = True
        with self._batch(party.session):
            self._set(party, "Disconnected", reason="Rejected")

    def drop(self, session: CallSession, first: Party | None = None) -> None:
        """End the whole call (DELETE session): `first` leaves first, then everyone else."""
        with self._batch(session):
            if first is not None and first.live:
                self._leave(first)
            for party in session.live_parties():
                self._leave(party)

    def to_voicemail(self, party: Party, *, duration: float | None = None) -> None:
        """The user does not take the call: the caller reaches their voicemail, talks for
        `duration` seconds (default: the call's or the configured voicemail duration), hangs up."""
        if not (party.ringing and party.direction == "Inbound" and party.is_user):
            raise InvalidState(party, "send to voicemail")
        session = party.session
        party.missed_call = True
        self._set(party, "VoiceMail")
        if session.connected_at is None:
            session.connected_at = self.now()
            for other in session.parties:
                self._presence(other)
        seconds = duration if duration is not None else session.voicemail_duration
        if seconds is None:
            seconds = self.config.voicemail_duration
        if self._replay_at is None:
            party.timer = self.world.scheduler.call_later(seconds, self._voicemail_done, party)

    def _voicemail_done(self, party: Party) -> None:
        party.timer = None
        session = party.session
        if not session.live or party.code != "VoiceMail":
            return
        with self._batch(session):
            for other in session.live_parties():
                if other is not party:
                    self._leave(other)
            self._set(party, "Disconnected")

    def transfer(self, party: Party, target: Target | None = None, *, voicemail=None) -> None:
        """Blind transfer: the party leaves (`Disconnected`/`BlindTransfer`) and a new leg rings
        the target (or goes straight to the `voicemail` extension's mailbox)."""
        if party.code not in CONNECTED:
            raise InvalidState(party, "transfer")
        self._redirect(party, target, voicemail)

    def forward(self, party: Party, target: Target | None = None, *, voicemail=None) -> None:
        """Forward a ringing inbound leg elsewhere before answering it."""
        if not (party.ringing and party.direction == "Inbound"):
            raise InvalidState(party, "forward")
        self._redirect(party, target, voicemail)

    def _redirect(self, party: Party, target: Target | None, voicemail: Extension | None) -> None:
        session = party.session
        shown = self._caller_identity(session, party)
        with self._batch(session):
            self._set(party, "Disconnected", reason="BlindTransfer")
            if voicemail is not None:
                box = self._add(
                    session,
                    direction="Inbound",
                    extension=voicemail,
                    from_=Endpoint(shown.phone_number, shown.name, shown.extension_id),
                    to=self.endpoint_of(voicemail),
                    role="target",
                    code="Setup",
                )
                self.to_voicemail(box)
                return
            assert target is not None
            if target.kind == "external":
                leg = self._add(
                    session,
                    direction="Inbound",
                    extension=None,
                    from_=Endpoint(shown.phone_number, shown.name, shown.extension_id),
                    to=Endpoint(target.dialled),
                    role="target",
                    code="Proceeding",
                )
                self._ring(leg)
                return
            assert target.extension is not None
            leg = self._add(
                session,
                direction="Inbound",
                extension=target.extension,
                from_=Endpoint(shown.phone_number, shown.name, shown.extension_id),
                to=self.endpoint_of(target.extension, number=target.dialled),
                role="target",
                code="Setup",
            )
            self._proceed(leg)

    def park(self, party: Party, orbit: str | None = None) -> None:
        """Park the call at a park location (`*801`-`*899`, the first free one by default)."""
        if party.code not in CONNECTED:
            raise InvalidState(party, "park")
        if orbit is None:
            orbit = next((o for o in PARK_ORBITS if o not in self.parked), None)
            if orbit is None:
                raise CallError("every park location is taken")
        elif orbit not in PARK_ORBITS:
            raise CallError(f"{orbit!r} is not a park location (*801-*899)")
        elif orbit in self.parked:
            raise CallError(f"park location {orbit} is taken")
        party.park_id = orbit
        self.parked[orbit] = party
        self._set(party, "Parked")

    def pickup(self, parked: Party, ext: Extension, device_id: str | None = None) -> Party:
        """`ext` picks the parked call up: a new leg for them, the parked leg is `Gone`."""
        if parked.code != "Parked":
            raise InvalidState(parked, "pick up")
        session = parked.session
        shown = self._caller_identity(session, parked)
        own = self.endpoint_of(ext, device=True)
        if device_id:
            own.device_id = device_id
        with self._batch(session):
            leg = self._add(
                session,
                direction="Inbound",
                extension=ext,
                from_=Endpoint(shown.phone_number, shown.name, shown.extension_id),
                to=own,
                role="pickup",
                code="Setup",
            )
            parked.peer = {
                "sessionId": session.session_id,
                "telephonySessionId": session.id,
                "partyId": leg.id,
            }
            self._set(parked, "Gone", reason="Pickup")
            self._set(leg, "Answered")
        return leg

    def flip(self, party: Party, flip_id: str) -> None:
        """Call Flip: the call moves to another of the user's phones (a new leg, answered)."""
        if party.code not in CONNECTED or party.extension is None:
            raise InvalidState(party, "flip")
        if flip_id not in FLIP_TARGETS:
            raise CallError(f"{flip_id!r} is not a call flip number")
        session = party.session
        with self._batch(session):
            self._set(party, "Disconnected", reason="CallFlip")
            leg = self._add(
                session,
                direction=party.direction,
                extension=party.extension,
                from_=replace(party.from_),
                to=replace(party.to),
                role="flip",
                code="Setup",
            )
            self._set(leg, "Answered")

    def bridge(self, party: Party, other: Party) -> None:
        """Attended transfer: the user's legs in two calls leave (`Gone`/`AttendedTransfer`,
        `peerId` naming the far end of the other call) and the far ends talk to each other."""
        if party.session is other.session:
            raise CallError("both parties are in the same call")
        if party.extension is None or party.extension is not other.extension:
            raise CallError("a bridge joins two calls of the same user")
        for leg in (party, other):
            if leg.code not in CONNECTED:
                raise InvalidState(leg, "bridge")
        far_a = next((p for p in party.session.live_parties() if p is not party), None)
        far_b = next((p for p in other.session.live_parties() if p is not other), None)
        if far_a is None or far_b is None:
            raise InvalidState(party if far_a is None else other, "bridge")
        party.session.bridged, other.session.bridged = other.session, party.session
        with self._batch(party.session), self._batch(other.session):
            for leg, far in ((party, far_b), (other, far_a)):
                leg.peer = {
                    "sessionId": far.session.session_id,
                    "telephonySessionId": far.session.id,
                    "partyId": far.id,
                }
                self._set(leg, "Gone", reason="AttendedTransfer")

    def reply(self, party: Party, text: str) -> None:
        """Answer a ringing call with a text message instead; the call ends."""
        if not (party.ringing and party.direction == "Inbound" and party.is_user):
            raise InvalidState(party, "reply")
        party.replied = True
        self.leave(party, reason="CallReplied")

    def update(self, party: Party, *, muted: bool | None, stand_alone: bool | None) -> None:
        if party.code not in CONNECTED:
            raise InvalidState(party, "update")
        changed = False
        if muted is not None and muted != party.muted:
            party.muted, changed = muted, True
        if stand_alone is not None and stand_alone != party.stand_alone:
            party.stand_alone, changed = stand_alone, True
        if changed:
            self._emit(party)

    # --- history ---

    def past_call(
        self,
        *,
        caller: str,
        callee: str,
        start: float,
        ring: float = 6.0,
        talk: float | None = None,
        voicemail: float | None = None,
        caller_name: str | None = None,
        ivr_choice: str | None = None,
        record: bool = False,
        transcription: str | None = None,
    ) -> CallSession:
        """Replay a finished call that started at `start` (epoch seconds): it rings for `ring`
        seconds; then it is answered and lasts `talk` seconds, or (a user callee) the caller
        leaves a `voicemail` of that many seconds, or (neither) the caller gives up. No events
        are sent and no timers run; the call lands in the call log (with its recording when
        `record` and long enough, and its voicemail message, transcribed as `transcription`) as
        if it had happened then.
        Raises CallError for a call that would not have ended by now."""
        end = start + ring + (talk or 0) + (voicemail if talk is None and voicemail else 0)
        if end > self.world.clock.now():
            raise CallError("a past call must have ended by now")
        if self._replay_at is not None:
            raise CallError("already replaying a call")
        self._replay_at = start
        try:
            session = self.start_call(
                caller=caller,
                callee=callee,
                caller_name=caller_name,
                ivr_choice=ivr_choice,
                ivr_delay=0,
                record=record,
                voicemail_transcription=transcription,
            )
            ringing = next(p for p in session.parties if p.ringing and p.direction == "Inbound")
            self._replay_at += ring
            if talk is not None:
                self.answer(ringing)
                self._replay_at += talk
                self.leave(session.parties[0])
            elif voicemail is not None and ringing.is_user:
                self.to_voicemail(ringing, duration=voicemail)
                self._replay_at += voicemail
                self._voicemail_done(ringing)
            else:
                self.leave(session.parties[0])
        finally:
            self._replay_at = None
        return session

    # --- recordings ---

    def start_recording(self, party: Party, *, mode: str = "OnDemand") -> CallRecording:
        if party.code not in CONNECTED:
            raise InvalidState(party, "record")
        if any(r.active for r in party.recordings):
            raise InvalidState(party, "start another recording")
        recording = CallRecording(
            id=self.world.ids.numeric_str(),
            party=party,
            mode=mode,
            segments=[RecordingSegment(self.now())],
        )
        party.recordings.append(recording)
        self._emit(party)
        return recording

    def set_recording(self, recording: CallRecording, *, active: bool) -> None:
        """Pause (`active=False`) or resume a recording of a live call."""
        party = recording.party
        if party.code not in CONNECTED:
            raise InvalidState(party, "pause or resume recording")
        if recording.active == active:
            return
        if active:
            recording.resume(self.now())
        else:
            recording.pause(self.now())
        self._emit(party)

    def _end_recordings(self, party: Party, now: float) -> None:
        for recording in party.recordings:
            recording.pause(now)
