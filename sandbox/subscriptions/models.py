"""Webhook subscriptions: their lifecycle (expiry, renewal reminders, blacklisting) and the
per-subscription delivery queue state the delivery engine works on."""

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.core.clock import iso
from sandbox.core.events import EventFilter
from sandbox.core.scheduler import Timer

if TYPE_CHECKING:
    from sandbox.platform import World

MAX_EXPIRES_IN = 315_360_000  # WebHook maximum (10 years), CONTRACT §5.1
DEFAULT_EXPIRES_IN = 604_800
REMINDER_KIND = "subscription-reminder"


@dataclass(eq=False)
class Subscription:
    id: str
    owner_id: str
    client_id: str
    event_filters: list[str]
    filters: list[EventFilter]
    address: str
    verification_token: str | None
    expires_in: int
    created_at: float
    expires_at: float
    status: str = "Active"
    blacklisted_at: float | None = None
    blacklist_reason: str | None = None
    # delivery state (owned by the delivery engine)
    queue: deque = field(default_factory=deque)
    held: list = field(default_factory=list)
    workers: int = 0
    failing_since: float | None = None
    delivered: int = 0
    failed_attempts: int = 0
    closed: bool = False
    # timers (owned by the store)
    expiry_timer: Timer | None = None
    reminder_timer: Timer | None = None

    @property
    def kinds(self) -> set[str]:
        return {f.kind for f in self.filters}

    @property
    def reminder(self) -> EventFilter | None:
        return next((f for f in self.filters if f.kind == REMINDER_KIND), None)

    @property
    def deliverable(self) -> bool:
        return not self.closed and self.status == "Active"

    def info(self, *, now: float, base_url: str) -> dict[str, Any]:
        """The `SubscriptionInfo` body (verificationToken is write-only, never echoed)."""
        body: dict[str, Any] = {
            "uri": f"{base_url}/restapi/v1.0/subscription/{self.id}",
            "id": self.id,
            "creationTime": iso(self.created_at),
            "status": self.status,
            "eventFilters": list(self.event_filters),
            "expirationTime": iso(self.expires_at),
            "expiresIn": max(0, int(self.expires_at - now)),
            "deliveryMode": {
                "transportType": "WebHook",
                "encryption": False,
                "address": self.address,
            },
        }
        if self.status == "Blacklisted":
            body["blacklistedData"] = {
                "blacklistedAt": iso(self.blacklisted_at or now),
                "reason": self.blacklist_reason or "",
            }
        return body


class SubscriptionStore:
    """The world's subscriptions. Expired ones leave a tombstone so later calls on them answer
    404 `SUB-507` rather than "not found"."""

    def __init__(self, world: "World") -> None:
        self._world = world
        self._subs: dict[str, Subscription] = {}
        self._expired: dict[str, str] = {}  # id -> owner session description

    def add(self, sub: Subscription) -> None:
        self._subs[sub.id] = sub
        self.schedule(sub)

    def get(self, sub_id: str) -> Subscription | None:
        return self._subs.get(sub_id)

    def expired(self, sub_id: str) -> bool:
        return sub_id in self._expired

    def all(self) -> list[Subscription]:
        return list(self._subs.values())

    def owned_by(self, owner_id: str, client_id: str) -> list[Subscription]:
        return [
            s for s in self._subs.values() if s.owner_id == owner_id and s.client_id == client_id
        ]

    def deliverable(self, kind: str) -> list[Subscription]:
        return [s for s in self._subs.values() if s.deliverable and kind in s.kinds]

    def delete(self, sub: Subscription) -> None:
        self._close(sub)
        self._subs.pop(sub.id, None)

    def renew(self, sub: Subscription, expires_in: int | None = None) -> None:
        if expires_in is not None:
            sub.expires_in = expires_in
        sub.expires_at = self._world.clock.now() + sub.expires_in
        self.schedule(sub)

    def blacklist(self, sub: Subscription, reason: str) -> None:
        sub.status = "Blacklisted"
        sub.blacklisted_at = self._world.clock.now()
        sub.blacklist_reason = reason
        sub.queue.clear()
        sub.held.clear()
        self._cancel_timers(sub, expiry=False)

    def close_all(self) -> None:
        for sub in self._subs.values():
            self._close(sub)

    def _close(self, sub: Subscription) -> None:
        sub.closed = True
        sub.queue.clear()
        sub.held.clear()
        self._cancel_timers(sub)

    def _cancel_timers(self, sub: Subscription, *, expiry: bool = True) -> None:
        if expiry and sub.expiry_timer:
            sub.expiry_timer.cancel()
        if sub.reminder_timer:
            sub.reminder_timer.cancel()
            sub.reminder_timer = None

    # --- timers: expiry and renewal reminders ---

    def schedule(self, sub: Subscription) -> None:
        self._cancel_timers(sub)
        scheduler = self._world.scheduler
        sub.expiry_timer = scheduler.call_at(sub.expires_at, self._expire, sub)
        reminder = sub.reminder
        if reminder is not None and sub.status == "Active":
            start = sub.expires_at - reminder.options["threshold"]
            sub.reminder_timer = scheduler.call_at(start, self._remind, sub)

    def _expire(self, sub: Subscription) -> None:
        if sub.closed or self._world.clock.now() < sub.expires_at:
            return
        self.delete(sub)
        self._expired[sub.id] = sub.owner_id

    def _remind(self, sub: Subscription) -> None:
        reminder = sub.reminder
        now = self._world.clock.now()
        if reminder is None or not sub.deliverable or now >= sub.expires_at:
            return
        body = sub.info(now=now, base_url=self._world.platform.config.public_url)
        self._world.platform.delivery.enqueue_note(
            self._world,
            sub,
            event=reminder.raw,
            body=body,
        )
        sub.reminder_timer = self._world.scheduler.call_at(
            now + reminder.options["interval"], self._remind, sub
        )
