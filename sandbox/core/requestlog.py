"""The recent request log served at `GET /sandbox/v1/requests`."""

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.core.clock import iso


@dataclass
class RequestRecord:
    id: int
    time: str
    timestamp: float
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    group: str | None
    client_id: str | None
    extension_id: str | None
    duration_ms: float
    grant_type: str | None = None
    fault_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """A ring buffer of API requests (not control-API requests). Ids increase by one per request,
    so `since=<id>` gives an exact count of what happened after a mark."""

    def __init__(self, size: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._next_id = 1

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    def add(self, timestamp: float, **fields: Any) -> RequestRecord:
        record = RequestRecord(id=self._next_id, time=iso(timestamp), timestamp=timestamp, **fields)
        self._next_id += 1
        self._records.append(record)
        return record

    def query(
        self,
        *,
        since: int = 0,
        since_time: float | None = None,
        path_prefix: str | None = None,
        method: str | None = None,
        status: int | None = None,
        grant_type: str | None = None,
        extension_id: str | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        out = []
        for r in self._records:
            if r.id <= since or (since_time is not None and r.timestamp < since_time):
                continue
            if path_prefix and not r.path.startswith(path_prefix):
                continue
            if method and r.method != method.upper():
                continue
            if status is not None and r.status != status:
                continue
            if grant_type and r.grant_type != grant_type:
                continue
            if extension_id and r.extension_id != extension_id:
                continue
            out.append(r)
        return out[-limit:] if limit else out

    def clear(self) -> None:
        self._records.clear()
