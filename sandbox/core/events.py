"""The event bus: modules publish what happened; the bus finds every active subscription whose
event filters match, builds the notification envelope, and hands it to the delivery engine
(which never blocks the publisher).

An `EventType` knows one family of event filters (e.g. presence): how to parse and validate a
filter string, and how to render an event for a matching filter (the envelope's `event` string
and the body that filter asks for). Modules register types with `Platform.event_types.add()`.

Publishing, from any handler or timer (never awaits)::

    world.bus.publish(Event(kind="presence", account_id=acc, extension_id=ext, body={...}))
"""

import json
import re
import secrets
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sandbox.core.clock import iso

if TYPE_CHECKING:
    from sandbox.platform import World


class FilterError(ValueError):
    """An event filter the platform refuses: `code` is SUB-508 (invalid) or SUB-406 (other
    account) and `status` the HTTP status."""

    def __init__(self, raw: str, code: str = "SUB-508", status: int = 400) -> None:
        super().__init__(raw)
        self.raw = raw
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Event:
    kind: str
    account_id: str
    extension_id: str | None
    body: dict[str, Any]


@dataclass(frozen=True)
class EventFilter:
    raw: str  # exactly as subscribed
    kind: str
    account_id: str
    extension_id: str | None  # None: an account-level filter (all extensions)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    priority: int  # when several filters of one subscription match, the highest wins
    event: str
    body: dict[str, Any]


OptionParser = Callable[[str], Any]


def parse_bool(value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(value)


def parse_enum(*allowed: str) -> OptionParser:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(value)
        return value

    return parse


def parse_positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class EventType(ABC):
    """A family of `/restapi/v1.0/account/{a}/extension/{e}<suffix>` filters (and, when
    `account_suffix` is set, `/restapi/v1.0/account/{a}<account_suffix>` for the whole account).

    Subclass and override `event_path()` (and `render()` to filter or reshape the body);
    override `parse()` for filters of another shape (see the subscription reminder).
    `numeric_uuid` gives the envelopes RingCentral's numeric `uuid` strings (telephony
    sessions) instead of the RFC 4122 form.
    """

    numeric_uuid = False

    def __init__(
        self,
        name: str,
        *,
        suffix: str | None,
        account_suffix: str | None = None,
        options: dict[str, OptionParser] | None = None,
        required_options: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.options = options or {}
        self.required_options = required_options
        self._ext_re = (
            re.compile(
                r"^/restapi/v1\.0/account/(?P<a>[^/]+)/extension/(?P<e>[^/]+)"
                + re.escape(suffix)
                + "$"
            )
            if suffix is not None
            else None
        )
        self._acc_re = (
            re.compile(r"^/restapi/v1\.0/account/(?P<a>[^/]+)" + re.escape(account_suffix) + "$")
            if account_suffix is not None
            else None
        )

    def parse(self, raw: str, path: str, query: dict[str, list[str]], scope: "FilterScope"):
        m = self._ext_re.match(path) if self._ext_re is not None else None
        extension_id: str | None
        if m:
            account_id = scope.account(m["a"], raw)
            extension_id = scope.extension(m["e"], raw)
        elif self._acc_re is not None and (m := self._acc_re.match(path)):
            account_id = scope.account(m["a"], raw)
            extension_id = None
        else:
            return None
        return EventFilter(raw, self.name, account_id, extension_id, self.parse_options(raw, query))

    def parse_options(self, raw: str, query: dict[str, list[str]]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for key, values in query.items():
            parser = self.options.get(key)
            if parser is None or len(values) != 1:
                raise FilterError(raw)
            try:
                options[key] = parser(values[0])
            except ValueError:
                raise FilterError(raw) from None
        if any(name not in options for name in self.required_options):
            raise FilterError(raw)
        return options

    def applies(self, flt: EventFilter, event: Event) -> bool:
        return flt.account_id == event.account_id and (
            flt.extension_id is None or flt.extension_id == event.extension_id
        )

    def render(self, flt: EventFilter, event: Event) -> Rendered | None:
        if not self.applies(flt, event):
            return None
        return Rendered(0, self.event_path(flt, event), event.body)

    @abstractmethod
    def event_path(self, flt: EventFilter, event: Event) -> str:
        """The envelope's `event` string for this filter (the resolved path, CONTRACT §5.5)."""


class FilterScope:
    """Resolves `~` and ids in a filter for the subscription's owner; refuses other accounts."""

    def __init__(self, world: "World", owner_id: str) -> None:
        self._world = world
        self._owner_id = owner_id

    def account(self, raw_id: str, raw: str) -> str:
        ours = self._world.account.id_str
        if raw_id in ("~", ours):
            return ours
        if raw_id.isdigit():
            raise FilterError(raw, "SUB-406", 403)
        raise FilterError(raw)

    def extension(self, raw_id: str, raw: str) -> str:
        ext_id = self._owner_id if raw_id == "~" else raw_id
        if ext_id not in self._world.account.extensions:
            raise FilterError(raw)
        return ext_id


class EventTypes:
    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}

    def add(self, event_type: EventType) -> None:
        if event_type.name in self._types:
            raise ValueError(f"event type {event_type.name!r} already registered")
        self._types[event_type.name] = event_type

    def get(self, name: str) -> EventType:
        return self._types[name]

    def parse(self, raw: str, scope: FilterScope) -> EventFilter:
        """Parse one filter string; raises FilterError when no registered type accepts it."""
        if not isinstance(raw, str) or not raw.startswith("/"):
            raise FilterError(str(raw))
        parts = urlsplit(raw)
        path = parts.path.rstrip("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        for event_type in self._types.values():
            parsed = event_type.parse(raw, path, query, scope)
            if parsed is not None:
                return parsed
        raise FilterError(raw)


def notification_uuid(numeric: bool = False) -> str:
    """A notification's `uuid`: `"4654793329359724763"` (a positive 63-bit number, as in the
    recorded telephony streams) or `"045b81dc-9f73-4864-84de-08aa6324a7f5"` (presence and
    message samples)."""
    return str(secrets.randbits(63) or 1) if numeric else str(uuid.uuid4())


def envelope(
    *,
    event: str,
    subscription_id: str,
    owner_id: str,
    body: dict,
    now: float,
    numeric_uuid: bool = False,
) -> dict:
    return {
        "uuid": notification_uuid(numeric_uuid),
        "event": event,
        "timestamp": iso(now),
        "subscriptionId": subscription_id,
        "ownerId": owner_id,
        "body": body,
    }


class EventBus:
    def __init__(self, world: "World") -> None:
        self._world = world
        self.published = 0

    def publish(self, event: Event) -> int:
        """Match the event against every deliverable subscription and queue one notification
        per matching subscription. Returns how many were queued. Never awaits."""
        world = self._world
        types = world.platform.event_types
        event_type = types.get(event.kind)
        now = world.clock.now()
        queued = 0
        self.published += 1
        for sub in world.subscriptions.deliverable(event.kind):
            best: Rendered | None = None
            for flt in sub.filters:
                if flt.kind != event.kind:
                    continue
                rendered = event_type.render(flt, event)
                if rendered is not None and (best is None or rendered.priority > best.priority):
                    best = rendered
            if best is None:
                continue
            note = envelope(
                event=best.event,
                subscription_id=sub.id,
                owner_id=sub.owner_id,
                body=best.body,
                now=now,
                numeric_uuid=event_type.numeric_uuid,
            )
            world.platform.delivery.enqueue(world, sub, note)
            queued += 1
        return queued


def encode(note: dict) -> bytes:
    return json.dumps(note, ensure_ascii=False, separators=(",", ":")).encode()
