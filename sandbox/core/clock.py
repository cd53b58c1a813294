"""Wall-clock time for the emulated platform, with an offset tests can advance."""

import time
from datetime import UTC, datetime


class Clock:
    """`now()` is epoch seconds. `advance()` moves the platform forward without waiting, so
    tests can expire codes, tokens and subscriptions instantly; timers due by then fire on the
    scheduler's next pass (which `advance()` wakes)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._frozen_at: float | None = None
        self._listeners: list = []

    def now(self) -> float:
        base = self._frozen_at if self._frozen_at is not None else time.time()
        return base + self.offset

    def freeze(self) -> None:
        """Stop following wall time: from now on only `advance()` moves the clock. For
        in-process runs that must be repeatable to the microsecond (timers created at the
        same moment then keep their order whatever the machine's speed)."""
        self._frozen_at = self.now() - self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        for listener in self._listeners:
            listener()
        return self.now()

    def on_advance(self, listener) -> None:
        self._listeners.append(listener)


def iso(ts: float) -> str:
    """RingCentral's timestamp format: `2016-03-10T18:07:52.534Z` (UTC, milliseconds)."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float:
    """Parse `2016-03-10T18:07:52.534Z` / `+0000` / `+00:00` forms to epoch seconds."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
