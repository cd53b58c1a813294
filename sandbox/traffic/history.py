"""`--seed demo`: the last 30 days of a sales team's phone life, for every user.

Each business day every user has a run of calls (inbound to their direct number or through the
main number's menu, outbound to outside parties, internal to colleagues) with realistic ring and
talk times and results: answered, missed, voicemail (with a transcription), no answer; some
answered calls are recorded. Users who can text have SMS conversations (an opener and replies,
now and then a photo); the fax line receives faxes and the admin sends a few. Weekends are
quiet. Everything older than today is read; some of today's messages are not.

It is built with the call engine's `past_call` and the messaging API with back-dated times
(`at=`), so it is in the call log, the message store, recordings and sync exactly as if it had
happened, without firing a single event. Deterministic: the same seed gives the same history
relative to today (times are laid out on the account's local business days).
"""

import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.messages import api as messages
from sandbox.traffic import texts
from sandbox.traffic.parties import OutsideParty, outside_only, photo_upload, text_from
from sandbox.voice import engine_of
from sandbox.voice.engine import CallError

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.platform import World

log = logging.getLogger("sandbox.traffic")

DAYS = 30


def _account_time_zone() -> tzinfo:
    """The seeded account is in San Mateo, CA (standard time where no tz database exists)."""
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-8), "PST")


TIME_ZONE = _account_time_zone()
DAY_START, DAY_END = 8.5, 17.75  # business hours, local
CALLS_PER_DAY = {"agent": (4, 9), "supervisor": (2, 5), "admin": (1, 4)}
SAFETY = 120.0  # history ends at least this long before the world starts


@dataclass(frozen=True)
class PlannedCall:
    start: float
    caller: str
    callee: str
    caller_name: str | None
    ring: float
    talk: float | None
    voicemail: float | None
    ivr_choice: str | None
    record: bool
    transcription: str | None
    callee_ext: "Extension | None"  # whose voicemail it is


def build_demo_history(world: "World") -> None:
    History(world).build()


class History:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.rng = random.Random(f"demo-history:{world.seed}")  # noqa: S311 - deterministic
        self.now = world.clock.now()
        self.account = world.account
        self.users = [u for u in self.account.users() if u.status == "Enabled"]
        self.parties = outside_only(world.platform.shared["outside_parties"], self.account)
        self.voice = engine_of(world)

    def build(self) -> None:
        if not self.parties or not self.users:
            return
        calls: list[PlannedCall] = []
        for day in self._business_days():
            for user in self.users:
                calls += self._calls_of(user, day)
        calls.sort(key=lambda c: c.start)
        placed = 0
        for call in calls:
            if self._place(call):
                placed += 1
        sent = self._messages()
        log.info("demo history: %d calls, %d messages over %d days", placed, sent, DAYS)

    # --- days and times ---

    def _business_days(self) -> list[tuple[datetime, bool]]:
        """(local midnight, is a weekday) for each of the last DAYS days, today included."""
        today = datetime.fromtimestamp(self.now, TIME_ZONE).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        days = []
        for back in range(DAYS - 1, -1, -1):
            midnight = today - timedelta(days=back)  # wall-clock arithmetic: still midnight
            days.append((midnight, midnight.weekday() < 5))
        return days

    def _at(self, midnight: datetime, hours: float) -> float:
        return (midnight + timedelta(hours=hours)).timestamp()

    def _talk(self, median: float) -> float:
        return min(max(math.exp(self.rng.gauss(math.log(median), 0.8)), 12.0), 2400.0)

    # --- calls ---

    def _calls_of(self, user: "Extension", day: tuple[datetime, bool]) -> list[PlannedCall]:
        midnight, weekday = day
        rng = self.rng
        low, high = CALLS_PER_DAY.get(user.role or "agent", (1, 3))
        count = rng.randint(low, high) if weekday else int(rng.random() < 0.15)
        clock = DAY_START + rng.uniform(0, 1.0)
        planned = []
        for _ in range(count):
            call = self._call(user, self._at(midnight, clock))
            planned.append(call)
            length = call.ring + (call.talk or call.voicemail or 0)
            clock += (length / 3600.0) + rng.uniform(0.2, 1.6)
            if clock > DAY_END:
                break
        return planned

    def _call(self, user: "Extension", start: float) -> PlannedCall:
        rng = self.rng
        kind = rng.choices(("inbound", "main", "outbound", "internal"), (40, 10, 40, 10))[0]
        party: OutsideParty = rng.choice(self.parties)
        outcome = rng.choices(("answered", "voicemail", "missed"), (72, 13, 15))[0]
        talk = self._talk(150.0 if kind != "internal" else 60.0)
        record = rng.random() < 0.3
        spoken = rng.choice(texts.VOICEMAILS).format(first=texts.first_name(user.name))
        ring_answered, ring_missed = rng.uniform(3, 14), rng.uniform(4, 15)
        voicemail = rng.uniform(8, 40)
        colleagues = [u for u in self.users if u is not user]
        colleague = rng.choice(colleagues) if colleagues else None
        direct = self.voice.direct_number(user) or self.account.main_number
        base = {"start": start, "ivr_choice": None, "callee_ext": user}
        if kind == "internal" and colleague is not None:
            caller, callee, name = colleague.extension_number, user.extension_number, None
        elif kind == "outbound":
            base["callee_ext"] = None
            outcome = "answered" if outcome == "answered" or rng.random() < 0.3 else "no_answer"
            caller, callee, name = user.extension_number, party.number, None
        else:
            caller, callee, name = party.number, direct, party.name
            if kind == "main":
                callee, base["ivr_choice"] = self.account.main_number, user.extension_number
        ring = {"answered": ring_answered, "missed": ring_missed, "no_answer": rng.uniform(20, 40)}
        return PlannedCall(
            caller=caller,
            callee=callee,
            caller_name=name,
            ring=ring.get(outcome, self.world.platform.config.ring_timeout),
            talk=talk if outcome == "answered" else None,
            voicemail=voicemail if outcome == "voicemail" else None,
            record=record and outcome == "answered",
            transcription=spoken if outcome == "voicemail" else None,
            **base,
        )

    def _place(self, call: PlannedCall) -> bool:
        end = call.start + call.ring + (call.talk or call.voicemail or 0)
        if end > self.now - SAFETY:
            return False
        try:
            session = self.voice.past_call(
                caller=call.caller,
                callee=call.callee,
                start=call.start,
                ring=call.ring,
                talk=call.talk,
                voicemail=call.voicemail,
                caller_name=call.caller_name,
                ivr_choice=call.ivr_choice,
                record=call.record,
                transcription=call.transcription,
            )
        except CallError as error:
            log.warning("demo history: call not placed: %s", error)
            return False
        if call.voicemail is not None and call.callee_ext is not None:
            self._read_voicemail(session.call_log_ids.get(call.callee_ext.id_str), end)
        return True

    def _read_voicemail(self, record_id: str | None, end: float) -> None:
        """Voicemails are listened to within the day, except today's."""
        entry = self.voice.calllog.by_id.get(record_id or "")
        if entry is None or entry.message is None or self.now - end < 8 * 3600:
            return
        msg = messages.find_message(self.world, entry.message["id"])
        if msg is not None:
            messages.mark_read(self.world, msg, at=end + self.rng.uniform(600, 4 * 3600))

    # --- messages ---

    def _messages(self) -> int:
        sent = 0
        days = self._business_days()
        for midnight, weekday in days:
            for user in self.users:
                number = self._number_with(user, "SmsSender")
                if number is None:
                    continue
                threads = self.rng.choice((0, 1, 1, 2, 3)) if weekday else 0
                for _ in range(threads):
                    sent += self._conversation(user, number, midnight)
            if weekday and self.rng.random() < 0.35:
                sent += self._fax(midnight)
        return sent

    def _number_with(self, user: "Extension", feature: str) -> str | None:
        return next(
            (n.phone_number for n in self.account.numbers_of(user.id_str) if feature in n.features),
            None,
        )

    def _conversation(self, user: "Extension", number: str, midnight: datetime) -> int:
        rng = self.rng
        party = rng.choice(self.parties)
        first = texts.first_name(user.name)
        inbound = rng.random() < 0.55
        photo = inbound and rng.random() < 0.12 and self._number_with(user, "MmsSender")
        start = self._at(midnight, rng.uniform(DAY_START, DAY_END))
        gaps = [rng.uniform(60, 1800) for _ in range(3)]
        turns = rng.choice((1, 2, 2, 3))
        if inbound:
            lines = [
                rng.choice(texts.MMS_CAPTIONS if photo else texts.INBOUND_OPENERS),
                rng.choice(texts.AGENT_REPLIES),
                rng.choice(texts.CUSTOMER_REPLIES),
            ]
        else:
            lines = [
                rng.choice(texts.OUTBOUND_OPENERS),
                rng.choice(texts.CUSTOMER_REPLIES),
                rng.choice(texts.AGENT_REPLIES),
            ]
        seed = rng.randrange(1 << 16)
        at, count = start, 0
        for turn in range(turns):
            if at > self.now - SAFETY:
                break
            from_party = inbound == (turn % 2 == 0)
            text = lines[turn].format(first=first)
            if from_party:
                text_from(
                    self.world,
                    party,
                    to_number=number,
                    text=text,
                    attachments=[photo_upload(seed)] if photo and turn == 0 else [],
                    at=at,
                    read=self.now - at > 8 * 3600 or turn + 1 < turns,
                )
            else:
                messages.send_sms(
                    self.world,
                    extension_id=user.id_str,
                    to_numbers=[party.number],
                    text=text,
                    from_number=number,
                    at=at,
                    outbox=False,
                )
            count += 1
            at += gaps[turn]
        return count

    def _fax(self, midnight: datetime) -> int:
        rng = self.rng
        party = rng.choice(self.parties)
        at = self._at(midnight, rng.uniform(DAY_START, DAY_END))
        pages = rng.choice((1, 2, 2, 3, 5))
        outbound = rng.random() < 0.25
        if at > self.now - SAFETY:
            return 0
        fax_line = next((n for n in self.account.phone_numbers if n.type == "FaxOnly"), None)
        owner = self.account.extensions.get(fax_line.extension_id or "") if fax_line else None
        if fax_line is None or owner is None:
            return 0
        if outbound:
            messages.send_fax(
                self.world,
                extension_id=owner.id_str,
                to_numbers=[party.number],
                documents=[
                    messages.Upload(
                        f"Order confirmation for {party.name or party.number}\n\n"
                        "Please sign and fax back page 2.".encode(),
                        "text/plain",
                        "order.txt",
                    )
                ],
                cover_index=rng.randrange(1, 14),
                cover_page_text="As discussed on the phone.",
                at=at,
                outbox=False,
            )
        else:
            messages.receive_fax(
                self.world,
                to_number=fax_line.phone_number,
                from_number=party.number,
                from_name=party.name,
                pages=pages,
                at=at,
                read=self.now - at > 8 * 3600,
            )
        return 1
