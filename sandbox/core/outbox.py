"""The outbox: what the app made the platform do to the outside world (SMS, faxes, RingOuts,
call-control actions, presence changes). Served at `GET /sandbox/v1/outbox`.

Feature modules call `world.outbox.record(kind, extension_id=..., payload=...)` at the moment
the action is accepted, with the JSON the app would see (e.g. the created message).
"""

from dataclasses import asdict, dataclass
from typing import Any

from sandbox.core.clock import Clock, iso


@dataclass
class OutboxEntry:
    id: int
    kind: str
    time: str
    extension_id: str | None
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Outbox:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: list[OutboxEntry] = []

    def record(
        self, kind: str, *, extension_id: str | None, payload: dict[str, Any]
    ) -> OutboxEntry:
        entry = OutboxEntry(
            id=len(self._entries) + 1,
            kind=kind,
            time=iso(self._clock.now()),
            extension_id=extension_id,
            payload=payload,
        )
        self._entries.append(entry)
        return entry

    def query(
        self, *, kind: str | None = None, extension_id: str | None = None, since: int = 0
    ) -> list[OutboxEntry]:
        return [
            e
            for e in self._entries[since:]
            if (kind is None or e.kind == kind)
            and (extension_id is None or e.extension_id == extension_id)
        ]
