"""The traffic generator: realistic calls and messages across the account's users at a given
rate, driven through the call engine and the messaging API, so every telephony and presence
event, call-log record and message-store change happens as it would for a real account.

Activities arrive as a Poisson process on the sandbox clock (`rate` per minute). Each one is
planned up front from the generator's own random stream (deterministic per `seed`) and played
out with timers on the sandbox clock: an inbound call rings for a few seconds and is answered,
put on hold, recorded, transferred and hung up; or it rings into voicemail; or the caller gives
up. Steps are planned from each activity's scheduled time, so advancing the clock in steps
replays the same story.

The app may act on generated calls (answer, hold, transfer, hang up through call control): a
step that no longer applies is skipped. A caller who finds every user on the phone reaches a
voicemail; a user who would place a call while everyone is busy does not (`skipped_busy`).
`stop()` cancels every planned step and hangs up the generated calls still going; a reset drops
the whole world, generator included.
"""

import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.core.clock import iso
from sandbox.core.scheduler import Timer
from sandbox.messages import api as messages
from sandbox.traffic import texts
from sandbox.traffic.parties import OutsideParty, outside_only, photo_upload, text_from
from sandbox.traffic.settings import TrafficError, TrafficSettings
from sandbox.voice import engine_of
from sandbox.voice.engine import CallEngine, CallError
from sandbox.voice.models import CONNECTED, CallSession, InvalidState, Party

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.platform import World

log = logging.getLogger("sandbox.traffic")

RECENT_KEPT = 100
SKIPPABLE = (CallError, InvalidState, messages.MessagingError)


@dataclass(frozen=True)
class TalkPlan:
    """What happens once a call is answered (seconds from the answer)."""

    talk: float
    hold_at: float | None
    hold_for: float
    record_at: float | None  # on-demand recording start
    transfer_at: float | None
    transfer_ring: float
    user_hangs_up: bool


class TrafficGenerator:
    def __init__(self, world: "World", default_parties: list[OutsideParty]) -> None:
        self.world = world
        self.default_parties = default_parties
        self.settings: TrafficSettings | None = None
        self.running = False
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.activities = 0
        self.skipped = 0
        self.counts: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_KEPT)
        self._rng = random.Random()  # noqa: S311 - replaced by a seeded stream on start
        self._users: list[Extension] = []
        self._parties: list[OutsideParty] = []
        self._next_at: float | None = None
        self._arrival: Timer | None = None
        self._steps: set[Timer] = set()
        self._calls: dict[str, CallSession] = {}

    @property
    def voice(self) -> CallEngine:
        return engine_of(self.world)

    # --- control ---

    def start(self, settings: TrafficSettings) -> None:
        """Start generating. Raises TrafficError when already running or nothing can happen."""
        if self.running:
            raise TrafficError("traffic is already running; stop it first")
        users = [u for u in self.world.account.users() if u.status == "Enabled"]
        if settings.users is not None:
            unknown = set(settings.users) - {u.extension_number for u in users}
            if unknown:
                raise TrafficError(f"no enabled user with extension {', '.join(sorted(unknown))}")
            users = [u for u in users if u.extension_number in settings.users]
        parties = outside_only(settings.parties or self.default_parties, self.world.account)
        if not parties:
            raise TrafficError("no outside parties left (they are all numbers of the account)")
        self.settings = settings
        self._users, self._parties = users, parties
        self._rng = random.Random(f"traffic:{settings.seed}")  # noqa: S311 - deterministic
        self.activities = self.skipped = 0
        self.counts.clear()
        self.outcomes.clear()
        self.recent.clear()
        self.running = True
        self.started_at, self.stopped_at = self.world.clock.now(), None
        self._schedule_next(self.started_at)

    def stop(self) -> int:
        """Stop: no new activity, every planned step cancelled, the generated calls still going
        hung up (with their events). Returns how many calls were hung up."""
        self._halt()
        for timer in self._steps:
            timer.cancel()
        self._steps.clear()
        dropped = 0
        for session in list(self._calls.values()):
            if session.live:
                self.voice.drop(session)
                dropped += 1
        self._calls.clear()
        return dropped

    def _halt(self) -> None:
        if self._arrival is not None:
            self._arrival.cancel()
            self._arrival = None
        self._next_at = None
        if self.running:
            self.running = False
            self.stopped_at = self.world.clock.now()

    def status(self) -> dict[str, Any]:
        live = [s for s in self._calls.values() if s.live]
        return {
            "running": self.running,
            "settings": self.settings.as_dict() if self.settings else None,
            "parties": len(self._parties),
            "users": [u.extension_number for u in self._users],
            "started_at": iso(self.started_at) if self.started_at is not None else None,
            "stopped_at": iso(self.stopped_at) if self.stopped_at is not None else None,
            "next_at": iso(self._next_at) if self._next_at is not None else None,
            "activities": self.activities,
            "skipped_busy": self.skipped,
            "counts": dict(self.counts),
            "outcomes": dict(self.outcomes),
            "live_calls": len(live),
            "recent": list(self.recent)[-20:],
        }

    # --- arrivals ---

    def _schedule_next(self, after: float) -> None:
        assert self.settings is not None
        self._next_at = after + self._rng.expovariate(self.settings.rate / 60.0)
        self._arrival = self.world.scheduler.call_at(self._next_at, self._arrive)

    def _arrive(self) -> None:
        settings, at = self.settings, self._next_at
        if not self.running or settings is None or at is None:
            return
        kind = self._weighted(settings.mix)
        self.activities += 1
        self.counts[kind] += 1
        try:
            self.HANDLERS[kind](self, at)
        except SKIPPABLE as error:
            log.warning("traffic: %s not started: %s", kind, error)
        if settings.limit is not None and self.activities >= settings.limit:
            self._halt()
            return
        self._schedule_next(at)

    # --- helpers ---

    def _weighted(self, weights: dict[str, float]) -> str:
        keys = [k for k, w in weights.items() if w > 0]
        return self._rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def _talk_time(self, scale: float = 1.0) -> float:
        assert self.settings is not None
        median = self.settings.talk_median_s * scale
        return min(max(math.exp(self._rng.gauss(math.log(median), 0.75)), 8.0), 1800.0)

    def _busy(self) -> set[str]:
        return {
            p.extension_id
            for s in self.voice.sessions.values()
            for p in s.live_parties()
            if p.extension_id is not None
        }

    def _free_user(self, *, exclude: tuple["Extension", ...] = ()) -> "Extension | None":
        """A user not on a call now (any call: generated, the app's, the control API's)."""
        busy = self._busy()
        free = [u for u in self._users if u.id_str not in busy and u not in exclude]
        return self._rng.choice(free) if free else None

    def _texting_user(self, feature: str) -> "Extension | None":
        able = [u for u in self._users if self._number_with(u, feature)]
        return self._rng.choice(able) if able else None

    def _number_with(self, user: "Extension", feature: str) -> str | None:
        return next(
            (
                n.phone_number
                for n in self.world.account.numbers_of(user.id_str)
                if feature in n.features
            ),
            None,
        )

    def _later(self, when: float, fn: Callable[..., None], *args: Any) -> None:
        timer: Timer | None = None

        def step() -> None:
            self._steps.discard(timer)
            try:
                fn(*args)
            except SKIPPABLE as error:
                log.debug("traffic step %s skipped: %s", fn.__name__, error)

        timer = self.world.scheduler.call_at(when, step)
        self._steps.add(timer)

    def _note(
        self, at: float, kind: str, outcome: str, source: str, target: str, **details: Any
    ) -> None:
        self.outcomes[outcome] += 1
        self.recent.append(
            {
                "time": iso(at),
                "kind": kind,
                "outcome": outcome,
                "from": source,
                "to": target,
                **details,
            }
        )

    def _script(
        self,
        session: CallSession,
        *,
        rings_at: float,
        outcome: str,
        ring: float,
        give_up: float,
        plan: TalkPlan,
        record: bool,
    ) -> None:
        """Plan the call's course from when its far end starts ringing: answered after `ring`
        seconds, declined (busy) after `ring`, or the caller gives up after `give_up` (missed,
        no answer). A voicemail needs no step: the engine sends an unanswered user's call to
        voicemail when the ring time is up."""
        if outcome == "answered":
            self._later(rings_at + ring, self._answer, session, plan, record, rings_at + ring)
        elif outcome == "busy":
            self._later(rings_at + ring, self._decline, session)
        elif outcome in ("missed", "no_answer"):
            self._later(rings_at + give_up, self._hang_up, session, False)

    def _track(self, session: CallSession) -> None:
        self._calls = {k: s for k, s in self._calls.items() if s.live}
        self._calls[session.id] = session

    def _talk_plan(self, *, transfers: bool, scale: float = 1.0) -> TalkPlan:
        assert self.settings is not None
        s, rng = self.settings, self._rng
        talk = self._talk_time(scale)
        hold = rng.random() < s.hold_ratio
        on_demand = rng.random() < 0.5
        transfer = transfers and rng.random() < s.transfer_ratio
        return TalkPlan(
            talk=talk,
            hold_at=talk * rng.uniform(0.2, 0.6) if hold else None,
            hold_for=rng.uniform(10, 45) if hold else 0.0,
            record_at=rng.uniform(3, 10) if on_demand else None,
            transfer_at=talk * rng.uniform(0.3, 0.5) if transfer else None,
            transfer_ring=rng.uniform(4, 10),
            user_hangs_up=rng.random() < 0.5,
        )

    # --- calls ---

    def _call_to_user(self, at: float, kind: str) -> None:
        assert self.settings is not None
        rng, config = self._rng, self.world.platform.config
        party = rng.choice(self._parties)
        outcome = self._weighted(self.settings.outcomes)
        record = rng.random() < self.settings.record_ratio
        plan = self._talk_plan(transfers=True)
        ring = rng.uniform(3, max(3.5, min(14.0, config.ring_timeout - 2)))
        give_up = rng.uniform(4, max(4.5, min(15.0, config.ring_timeout - 1)))
        voicemail_s = rng.uniform(8, 35)
        busy_user = rng.choice(self._users)
        user = self._free_user()
        if user is None:  # everyone is on the phone: the caller gets a busy user's voicemail
            user, outcome = busy_user, "voicemail"
        spoken = rng.choice(texts.VOICEMAILS).format(first=texts.first_name(user.name))
        direct = self.voice.direct_number(user)
        main = kind == "main_number_call" or direct is None
        session = self.voice.start_call(
            caller=party.number,
            callee=self.world.account.main_number if main else direct,
            caller_name=party.name,
            ivr_choice=user.extension_number if main else None,
            record=record and plan.record_at is None,
            voicemail_duration=voicemail_s,
            voicemail_transcription=spoken,
        )
        self._track(session)
        rings_at = at + (config.ivr_delay if main else 0.0)
        self._script(
            session,
            rings_at=rings_at,
            outcome=outcome,
            ring=ring,
            give_up=give_up,
            plan=plan,
            record=record,
        )
        self._note(
            at, kind, outcome, party.number, user.extension_number, telephonySessionId=session.id
        )

    def _inbound_call(self, at: float) -> None:
        self._call_to_user(at, "inbound_call")

    def _main_number_call(self, at: float) -> None:
        self._call_to_user(at, "main_number_call")

    def _internal_call(self, at: float) -> None:
        assert self.settings is not None
        rng = self._rng
        outcome = self._weighted(self.settings.outcomes)
        plan = self._talk_plan(transfers=False, scale=0.5)
        ring = rng.uniform(3, 12)
        give_up = rng.uniform(4, 12)
        caller = self._free_user()
        callee = self._free_user(exclude=(caller,)) if caller else None
        if caller is None or callee is None:
            self.skipped += 1
            return
        session = self.voice.start_call(
            caller=caller.id_str,
            callee=callee.id_str,
            voicemail_duration=rng.uniform(6, 20),
            voicemail_transcription=f"Hi {texts.first_name(callee.name)}, "
            f"it's {texts.first_name(caller.name)}. Call me back when you're free.",
        )
        self._track(session)
        self._script(
            session,
            rings_at=at,
            outcome=outcome,
            ring=ring,
            give_up=give_up,
            plan=plan,
            record=False,
        )
        self._note(
            at,
            "internal_call",
            outcome,
            caller.extension_number,
            callee.extension_number,
            telephonySessionId=session.id,
        )

    def _outbound_call(self, at: float) -> None:
        assert self.settings is not None
        rng = self._rng
        party = rng.choice(self._parties)
        outcome = self._weighted(self.settings.outbound_outcomes)
        record = rng.random() < self.settings.record_ratio
        plan = self._talk_plan(transfers=False)
        ring = rng.uniform(5, 18)
        give_up = rng.uniform(20, 35)
        busy_after = rng.uniform(1, 4)
        user = self._free_user()
        if user is None:
            self.skipped += 1
            return
        session = self.voice.start_call(
            caller=user.id_str,
            callee=party.number,
            record=record and plan.record_at is None,
        )
        self._track(session)
        self._script(
            session,
            rings_at=at,
            outcome=outcome,
            ring=busy_after if outcome == "busy" else ring,
            give_up=give_up,
            plan=plan,
            record=record,
        )
        self._note(
            at,
            "outbound_call",
            outcome,
            user.extension_number,
            party.number,
            telephonySessionId=session.id,
        )

    # --- call steps (each checks the call is still in a state where it applies) ---

    @staticmethod
    def _ringing(session: CallSession) -> Party | None:
        return next(
            (p for p in session.live_parties() if p.ringing and p.direction == "Inbound"), None
        )

    @staticmethod
    def _user_leg(session: CallSession) -> Party | None:
        """The user's connected leg (the newest, after a transfer)."""
        legs = [p for p in session.live_parties() if p.is_user and p.code in CONNECTED]
        return legs[-1] if legs else None

    def _answer(
        self, session: CallSession, plan: TalkPlan, record: bool, answered_at: float
    ) -> None:
        leg = self._ringing(session)
        if not session.live or leg is None:
            return
        self.voice.answer(leg)
        end = answered_at + plan.talk + plan.hold_for
        if record and plan.record_at is not None:
            self._later(answered_at + plan.record_at, self._record, session)
        if plan.hold_at is not None:
            self._later(answered_at + plan.hold_at, self._hold, session, True)
            self._later(answered_at + plan.hold_at + plan.hold_for, self._hold, session, False)
        if plan.transfer_at is not None:
            when = answered_at + plan.hold_for + plan.transfer_at
            self._later(when, self._transfer, session, when + plan.transfer_ring)
            end += plan.transfer_ring
        self._later(end, self._hang_up, session, plan.user_hangs_up)

    def _record(self, session: CallSession) -> None:
        leg = self._user_leg(session)
        if session.live and leg is not None and not any(r.active for r in leg.recordings):
            self.voice.start_recording(leg)

    def _hold(self, session: CallSession, on: bool) -> None:
        leg = self._user_leg(session)
        if not session.live or leg is None:
            return
        if on and leg.code == "Answered":
            self.voice.hold(leg)
        elif not on and leg.code == "Hold":
            self.voice.unhold(leg)

    def _transfer(self, session: CallSession, answer_at: float) -> None:
        leg = self._user_leg(session)
        if not session.live or leg is None or leg.direction != "Inbound":
            return
        colleague = self._free_user(exclude=(leg.extension,) if leg.extension else ())
        if colleague is None:
            return
        self.voice.transfer(leg, self.voice.resolve(colleague.id_str))
        self._later(answer_at, self._answer_transfer, session)

    def _answer_transfer(self, session: CallSession) -> None:
        leg = self._ringing(session)
        if session.live and leg is not None:
            self.voice.answer(leg)

    def _hang_up(self, session: CallSession, by_user: bool) -> None:
        """The user (their connected leg) or else the caller hangs up; the rest follows."""
        if not session.live:
            return
        leg = self._user_leg(session) if by_user else None
        if leg is None:
            live = session.live_parties()
            leg = session.parties[0] if session.parties[0].live else (live[0] if live else None)
        if leg is not None:
            self.voice.hangup(leg)

    def _decline(self, session: CallSession) -> None:
        leg = self._ringing(session)
        if session.live and leg is not None:
            self.voice.decline(leg)

    # --- messages ---

    def _sms_inbound(self, at: float, *, photo: bool = False) -> None:
        assert self.settings is not None
        rng = self._rng
        party = rng.choice(self._parties)
        feature = "MmsSender" if photo else "SmsSender"
        user = self._texting_user(feature)
        reply = rng.random() < self.settings.reply_ratio
        reply_after = rng.uniform(30, 240)
        opener = rng.choice(texts.MMS_CAPTIONS if photo else texts.INBOUND_OPENERS)
        answer = rng.choice(texts.AGENT_REPLIES)
        seed = rng.randrange(1 << 16)
        if user is None:
            self.skipped += 1
            return
        number = self._number_with(user, feature)
        assert number is not None
        msg = text_from(
            self.world,
            party,
            to_number=number,
            text=opener.format(first=texts.first_name(user.name)),
            attachments=[photo_upload(seed)] if photo else [],
        )
        if reply and not photo and self._number_with(user, "SmsSender"):
            self._later(at + reply_after, self._send, user, party, answer)
        kind = "mms_inbound" if photo else "sms_inbound"
        self._note(at, kind, "received", party.number, user.extension_number, messageId=str(msg.id))

    def _mms_inbound(self, at: float) -> None:
        self._sms_inbound(at, photo=True)

    def _sms_outbound(self, at: float) -> None:
        assert self.settings is not None
        rng = self._rng
        party = rng.choice(self._parties)
        user = self._texting_user("SmsSender")
        reply = rng.random() < self.settings.reply_ratio
        reply_after = rng.uniform(60, 600)
        opener = rng.choice(texts.OUTBOUND_OPENERS)
        answer = rng.choice(texts.CUSTOMER_REPLIES)
        if user is None:
            self.skipped += 1
            return
        msg = self._send(user, party, opener.format(first=texts.first_name(user.name)))
        if reply:
            self._later(at + reply_after, self._receive, user, party, answer)
        self._note(
            at, "sms_outbound", "sent", user.extension_number, party.number, messageId=str(msg.id)
        )

    def _send(self, user: "Extension", party: OutsideParty, text: str) -> messages.Message:
        return messages.send_sms(
            self.world,
            extension_id=user.id_str,
            to_numbers=[party.number],
            text=text,
            outbox=False,  # typed on the user's phone, not sent by the app
        )

    def _receive(self, user: "Extension", party: OutsideParty, text: str) -> None:
        number = self._number_with(user, "SmsSender")
        if number is not None:
            text_from(self.world, party, to_number=number, text=text)

    def _fax_inbound(self, at: float) -> None:
        rng = self._rng
        party = rng.choice(self._parties)
        pages = rng.choice((1, 1, 2, 2, 3, 4, 6))
        fax_numbers = [n for n in self.world.account.phone_numbers if n.type == "FaxOnly"]
        voice_fax = [
            n
            for u in self._users
            for n in self.world.account.numbers_of(u.id_str)
            if n.type == "VoiceFax"
        ]
        to_fax_line = rng.random() < 0.7
        targets = fax_numbers if to_fax_line and fax_numbers else voice_fax
        if not targets:
            self.skipped += 1
            return
        target = rng.choice(targets)
        msg = messages.receive_fax(
            self.world,
            to_number=target.phone_number,
            from_number=party.number,
            from_name=party.name,
            pages=pages,
        )
        self._note(
            at,
            "fax_inbound",
            "received",
            party.number,
            target.phone_number,
            messageId=str(msg.id),
            pages=pages,
        )

    HANDLERS: dict[str, Callable[["TrafficGenerator", float], None]] = {
        "inbound_call": _inbound_call,
        "main_number_call": _main_number_call,
        "outbound_call": _outbound_call,
        "internal_call": _internal_call,
        "sms_inbound": _sms_inbound,
        "sms_outbound": _sms_outbound,
        "mms_inbound": _mms_inbound,
        "fax_inbound": _fax_inbound,
    }
