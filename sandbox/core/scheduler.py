"""Timers on the platform clock: `call_at(when, fn)` runs `fn()` once `clock.now() >= when`.

Callbacks are plain functions run on the event loop (so they mutate state without awaiting; start
an asyncio task from one when I/O is needed). Advancing the clock fires whatever became due.
One `Scheduler` per world: a reset drops every pending timer.
"""

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any

from sandbox.core.clock import Clock

log = logging.getLogger("sandbox.scheduler")


class Timer:
    __slots__ = ("args", "cancelled", "fn", "when")

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None

    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(when, fn, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        self.wake()
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self._clock.now() + delay, fn, *args)

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def run_due(self) -> int:
        """Run every timer due now, in time order. Returns how many ran."""
        ran = 0
        while self._heap and self._heap[0][0] <= self._clock.now():
            _, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            ran += 1
            try:
                timer.fn(*timer.args)
            except Exception:
                log.exception("timer %r failed", timer.fn)
        return ran

    def pending(self) -> int:
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def close(self) -> None:
        for _, _, timer in self._heap:
            timer.cancel()
        self._heap.clear()
        self.wake()

    async def run(self) -> None:
        """Run timers until cancelled; sleeps until the next one is due (at most 0.5 s)."""
        self._wake = asyncio.Event()
        while True:
            self.run_due()
            self._wake.clear()
            delay = 0.5
            if self._heap:
                delay = min(delay, max(0.0, self._heap[0][0] - self._clock.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
