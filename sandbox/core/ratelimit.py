"""Per (extension, app, group) rate limiting, as RingCentral documents it (CONTRACT §3.4).

A sliding window of `rate_window` seconds counts accepted requests. Reaching the group's limit
starts a penalty of `rate_penalty` seconds during which every request gets 429, and every request
made during the penalty restarts it (the "429 trap").
"""

import math
from collections import deque
from dataclasses import dataclass

from sandbox.config import Config
from sandbox.core.clock import Clock

GROUPS = ("Light", "Medium", "Heavy", "Auth")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    group: str
    limit: int
    remaining: int
    window: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Group": self.group.lower(),
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": str(self.window),
        }


class RateLimiter:
    def __init__(self, config: Config, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._hits: dict[tuple[str, str, str], deque[float]] = {}
        self._penalty_until: dict[tuple[str, str, str], float] = {}

    def check(self, extension_id: str, client_id: str, group: str) -> Verdict:
        """Count one request; say whether it may proceed. Never awaits (safe under concurrency)."""
        cfg = self._config
        now = self._clock.now()
        limit = cfg.limit_for(group)
        window = max(1, math.ceil(cfg.rate_window))
        key = (extension_id, client_id, group)
        until = self._penalty_until.get(key)
        if until is not None and now < until:
            self._penalty_until[key] = now + cfg.rate_penalty
            return Verdict(False, group, limit, 0, window, math.ceil(cfg.rate_penalty))
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        horizon = now - cfg.rate_window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= limit:
            self._penalty_until[key] = now + cfg.rate_penalty
            return Verdict(False, group, limit, 0, window, math.ceil(cfg.rate_penalty))
        hits.append(now)
        return Verdict(True, group, limit, limit - len(hits), window)

    def clear(self) -> None:
        self._hits.clear()
        self._penalty_until.clear()
