"""Fault injection: rules that make API requests or webhook deliveries misbehave, and one-shot
actions (expire tokens, revoke a session, ...). Served at `/sandbox/v1/faults`.

A rule matches by `path` (a prefix, or an fnmatch glob when it contains `*`/`?`/`[`) and
`method` for request faults, by `subscription_id` and `event` (a substring of the resolved event
path) for delivery faults. `count` bounds how many times it fires (None: until deleted) and
`ratio` makes it fire with that probability (seeded, so runs repeat).

Modules add one-shot actions with `Platform.fault_actions.register(name, fn)` (see README).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from random import Random
from typing import Any

REQUEST_KINDS = ("http_error", "rate_limit", "latency")
DELIVERY_KINDS = (
    "webhook_duplicate",
    "webhook_reorder",
    "webhook_drop",
    "webhook_delay",
    "webhook_fail",
)
QUEUE_KINDS = DELIVERY_KINDS[:-1]

# kind -> {param: (type, default)}; a default of ... means required.
PARAMS: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "http_error": {
        "status": (int, 503),
        "body": ((dict, str, type(None)), None),
        "content_type": ((str, type(None)), None),
        "headers": (dict, {}),
    },
    "rate_limit": {
        "retry_after": ((int, type(None)), 60),
        "rate_headers": (bool, True),
        "body": ((dict, str, type(None)), None),
        "content_type": ((str, type(None)), None),
    },
    "latency": {"seconds": ((int, float), ...)},
    "webhook_duplicate": {"copies": (int, 1)},
    "webhook_reorder": {"hold": (int, 1)},
    "webhook_drop": {},
    "webhook_delay": {"seconds": ((int, float), ...)},
    "webhook_fail": {"reason": (str, "I/O operation is failed. Details: [Connection refused]")},
}
SELECTORS = ("path", "method", "subscription_id", "event")
# (kind, param) -> inclusive bounds of a numeric parameter: a latency longer than any client
# waits, or a million copies of a notification, only wedges the sandbox.
BOUNDS: dict[tuple[str, str], tuple[float, float]] = {
    ("http_error", "status"): (400, 599),
    ("rate_limit", "retry_after"): (0, 86400),
    ("latency", "seconds"): (0, 300),
    ("webhook_duplicate", "copies"): (1, 100),
    ("webhook_reorder", "hold"): (1, 1000),
    ("webhook_delay", "seconds"): (0, 86400),
}
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    id: str
    kind: str
    path: str | None = None
    method: str | None = None
    subscription_id: str | None = None
    event: str | None = None
    count: int | None = None
    ratio: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "method": self.method,
            "subscription_id": self.subscription_id,
            "event": self.event,
            "count": self.count,
            "ratio": self.ratio,
            "hits": self.hits,
            **self.params,
        }

    def _path_matches(self, path: str) -> bool:
        if self.path is None:
            return True
        if any(c in self.path for c in "*?["):
            return fnmatchcase(path, self.path)
        return path.startswith(self.path)

    def matches_request(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self._path_matches(path)

    def matches_delivery(self, subscription_id: str, event: str) -> bool:
        return (self.subscription_id is None or self.subscription_id == subscription_id) and (
            self.event is None or self.event in event
        )


def _check_headers(params: dict[str, Any]) -> None:
    headers = params.get("headers") or {}
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name) or not isinstance(value, str):
            raise FaultError("headers must map header names to string values")
        if not HEADER_VALUE.fullmatch(value):
            raise FaultError(f"header {name} has characters a header cannot carry")
    content_type = params.get("content_type")
    if content_type is not None and not (content_type and HEADER_VALUE.fullmatch(content_type)):
        raise FaultError("content_type must be a media type")


def parse_fault(spec: dict[str, Any], fault_id: str) -> Fault:
    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in PARAMS:
        raise FaultError(f"unknown fault kind {kind!r}")
    allowed = set(PARAMS[kind]) | set(SELECTORS) | {"kind", "count", "ratio"}
    unknown = set(spec) - allowed
    if unknown:
        raise FaultError(f"unknown field(s) for {kind}: {', '.join(sorted(unknown))}")
    params: dict[str, Any] = {}
    for name, (types, default) in PARAMS[kind].items():
        if name not in spec:
            if default is ...:
                raise FaultError(f"{kind} needs {name}")
            params[name] = default
            continue
        value = spec[name]
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise FaultError(f"{name} has the wrong type")
        if not isinstance(value, types):
            raise FaultError(f"{name} has the wrong type")
        params[name] = value
    for name, value in params.items():
        low, high = BOUNDS.get((kind, name), (None, None))
        if low is not None and value is not None and not low <= value <= high:
            raise FaultError(f"{name} must be from {low:g} to {high:g}")
    _check_headers(params)
    count = spec.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultError("count must be a positive integer")
    ratio = spec.get("ratio")
    if ratio is not None and (
        isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1
    ):
        raise FaultError("ratio must be a number in (0, 1]")
    selectors = {name: spec.get(name) for name in SELECTORS}
    for name, value in selectors.items():
        if value is not None and not isinstance(value, str):
            raise FaultError(f"{name} must be a string")
    if kind in REQUEST_KINDS and (selectors["subscription_id"] or selectors["event"]):
        raise FaultError("request faults select by path and method")
    if kind in DELIVERY_KINDS and (selectors["path"] or selectors["method"]):
        raise FaultError("delivery faults select by subscription_id and event")
    if selectors["method"]:
        selectors["method"] = selectors["method"].upper()
    return Fault(id=fault_id, kind=kind, count=count, ratio=ratio, params=params, **selectors)


class Faults:
    """The active fault rules of one world. Matching never awaits."""

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._rules: dict[str, Fault] = {}
        self._next = 1

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = parse_fault(spec, f"f{self._next}")
        self._next += 1
        self._rules[fault.id] = fault
        return fault

    def all(self) -> list[Fault]:
        return list(self._rules.values())

    def remove(self, fault_id: str) -> bool:
        return self._rules.pop(fault_id, None) is not None

    def clear(self) -> None:
        self._rules.clear()

    def _fire(self, fault: Fault) -> bool:
        if fault.ratio is not None and self._rng.random() >= fault.ratio:
            return False
        fault.hits += 1
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._rules.pop(fault.id, None)
        return True

    def take(self, match: Callable[[Fault], bool], kinds: tuple[str, ...]) -> list[Fault]:
        if not self._rules:
            return []
        return [
            f for f in list(self._rules.values()) if f.kind in kinds and match(f) and self._fire(f)
        ]

    def for_request(self, method: str, path: str) -> list[Fault]:
        return self.take(lambda f: f.matches_request(method, path), REQUEST_KINDS)

    def for_delivery(self, subscription_id: str, event: str) -> list[Fault]:
        """Faults applied when a notification is queued (`webhook_fail` applies per attempt)."""
        return self.take(lambda f: f.matches_delivery(subscription_id, event), QUEUE_KINDS)


FaultAction = Callable[[Any, dict[str, Any]], dict[str, Any]]


class FaultActions:
    """One-shot faults: `POST /sandbox/v1/faults {"kind": name, ...}` calls `fn(world, spec)`
    at once and returns its result. Stage 1 registers `expire_tokens` and `revoke_session`."""

    def __init__(self) -> None:
        self._actions: dict[str, FaultAction] = {}

    def register(self, name: str, fn: FaultAction) -> None:
        if name in self._actions or name in PARAMS:
            raise ValueError(f"fault kind {name!r} already exists")
        self._actions[name] = fn

    def get(self, name: str) -> FaultAction | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)
