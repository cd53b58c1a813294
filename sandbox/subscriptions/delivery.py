"""Webhook delivery: the validation handshake on create, and the background engine that POSTs
notifications (CONTRACT §5.3-§5.6).

One aiohttp session with connection reuse serves every delivery. Each subscription has its own
queue drained by `webhook_concurrency_per_subscription` workers (1 keeps notifications in
order); a global limit bounds requests in flight. A failed delivery is retried with exponential
backoff (capped at `webhook_retry_max_backoff`); when a subscription has failed for
`blacklist_after` seconds without a success it becomes `Blacklisted` and its queue is dropped.
Publishing only appends to a queue: an API response never waits on a webhook.

Delivery faults (see core/faults.py) are applied here: drop, delay, duplicate and reorder when a
notification is queued, fail on each attempt.
"""

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from sandbox.core.clock import iso
from sandbox.core.errors import ApiError
from sandbox.core.events import encode, envelope
from sandbox.core.ids import secret_token
from sandbox.subscriptions.models import Subscription

if TYPE_CHECKING:
    from sandbox.platform import Platform, World

log = logging.getLogger("sandbox.webhooks")

USER_AGENT = "RingCentral-Webhook/8.3"
MAX_VALIDATION_RESPONSE = 1024
REORDER_RELEASE_AFTER = 5.0  # a held (reordered) notification goes out after this at the latest


@dataclass
class Note:
    """One notification to deliver (duplicates share the uuid and the encoded body)."""

    uuid: str
    event: str
    data: bytes
    hold: int = 0  # reorder: wait until this many later notifications went out


@dataclass
class DeliveryRecord:
    id: int
    time: str
    subscription_id: str
    uuid: str
    event: str
    outcome: str  # delivered | failed | dropped | delayed | held | blacklisted | discarded
    attempt: int = 0
    http_status: int | None = None
    reason: str | None = None


class DeliveryLog:
    """The world's delivery log, and how many delivery attempts are in flight (sent, outcome
    not yet logged): a receiver sees a delivery before the sandbox has read its answer, so a
    reader that wants every outcome of what was received first waits for `settle()`."""

    def __init__(self, size: int = 20000) -> None:
        self._records: deque[DeliveryRecord] = deque(maxlen=size)
        self._next = 1
        self.in_flight = 0
        self._changed: asyncio.Event | None = None

    def add(self, now: float, sub: Subscription, note: Note, outcome: str, **extra: Any) -> None:
        self._records.append(
            DeliveryRecord(self._next, iso(now), sub.id, note.uuid, note.event, outcome, **extra)
        )
        self._next += 1

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        """Count one delivery attempt as in flight until its outcome is logged."""
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            if self._changed is not None:
                self._changed.set()

    async def settle(self, busy: Callable[[], bool], timeout: float) -> bool:
        """Wait until no attempt is in flight and `busy()` (e.g. "a queue is not empty") is
        false, at most `timeout` seconds. Returns whether it settled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._changed is None:
            self._changed = asyncio.Event()
        while True:
            self._changed.clear()
            if self.in_flight == 0 and not busy():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def query(self, *, subscription_id: str | None = None, since: int = 0) -> list[dict]:
        return [
            asdict(r)
            for r in self._records
            if r.id > since and (subscription_id is None or r.subscription_id == subscription_id)
        ]


def validation_error(code: str, message: str) -> ApiError:
    return ApiError(400, code, message, parameter_name="deliveryMode.address")


class DeliveryEngine:
    def __init__(self, platform: "Platform") -> None:
        self._platform = platform
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        config = self._platform.config
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.webhook_concurrency, force_close=False),
            auto_decompress=False,
        )
        self._slots = asyncio.Semaphore(config.webhook_concurrency)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "DeliveryEngine.start() not called"
        return self._session

    # --- the validation handshake ---

    async def validate(self, address: str, verification_token: str | None) -> None:
        """POST an empty request with `Validation-Token`; the receiver must answer 200 echoing
        it, within `validation_timeout`, in under 1024 bytes. Raises ApiError SUB-520/521/525."""
        token = secret_token("")
        headers = {"Validation-Token": token, "User-Agent": USER_AGENT}
        if verification_token:
            headers["Verification-Token"] = verification_token
        timeout = aiohttp.ClientTimeout(total=self._platform.config.validation_timeout)
        try:
            async with self.session.post(
                address,
                data=b"",
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                skip_auto_headers=("Content-Type",),  # an empty POST, as documented (§5.3)
            ) as resp:
                body = await resp.content.read(MAX_VALIDATION_RESPONSE + 1)
                echoed = resp.headers.get("Validation-Token")
                size = (
                    len(body)
                    + len(f"HTTP/1.1 {resp.status} {resp.reason}\r\n")
                    + sum(len(k) + len(v) + 4 for k, v in resp.raw_headers)
                )
                status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
            raise validation_error("SUB-521", "WebHook is not reachable") from None
        if not 200 <= status < 300:
            raise validation_error("SUB-521", "WebHook is not reachable")
        if echoed != token:
            raise validation_error("SUB-520", "Validation Token is not returned")
        if size >= MAX_VALIDATION_RESPONSE:
            raise validation_error("SUB-525", "WebHook server response is invalid")

    # --- queueing ---

    def enqueue(self, world: "World", sub: Subscription, note: dict) -> None:
        """Queue an envelope built by the bus. Never awaits."""
        self._queue(world, sub, Note(note["uuid"], note["event"], encode(note)))

    def enqueue_note(self, world: "World", sub: Subscription, *, event: str, body: dict) -> None:
        """Build and queue an envelope addressed to one subscription (e.g. a reminder)."""
        note = envelope(
            event=event,
            subscription_id=sub.id,
            owner_id=sub.owner_id,
            body=body,
            now=world.clock.now(),
        )
        self.enqueue(world, sub, note)

    def _queue(self, world: "World", sub: Subscription, note: Note, *, faults: bool = True) -> None:
        if not sub.deliverable:
            return
        now = world.clock.now()
        copies = 1
        for fault in world.faults.for_delivery(sub.id, note.event) if faults else ():
            if fault.kind == "webhook_drop":
                world.deliveries.add(now, sub, note, "dropped")
                return
            if fault.kind == "webhook_delay":
                world.deliveries.add(now, sub, note, "delayed")
                world.scheduler.call_later(
                    fault.params["seconds"],
                    functools.partial(self._queue, world, sub, note, faults=False),
                )
                return
            if fault.kind == "webhook_duplicate":
                copies += fault.params["copies"]
            if fault.kind == "webhook_reorder":
                note.hold = fault.params["hold"]
        if note.hold:
            world.deliveries.add(now, sub, note, "held")
            sub.held.append(note)
            world.scheduler.call_later(REORDER_RELEASE_AFTER, self._release, world, sub, note)
            return
        for _ in range(copies):
            sub.queue.append(note)
        self._after_queued(world, sub)
        self._spawn(world, sub)

    def _after_queued(self, world: "World", sub: Subscription) -> None:
        """A notification was queued behind the held ones: count it against their hold."""
        for held in list(sub.held):
            held.hold -= 1
            if held.hold <= 0:
                sub.held.remove(held)
                sub.queue.append(held)

    def _release(self, world: "World", sub: Subscription, note: Note) -> None:
        if note in sub.held:
            sub.held.remove(note)
            note.hold = 0
            sub.queue.append(note)
            self._spawn(world, sub)

    def _spawn(self, world: "World", sub: Subscription) -> None:
        limit = self._platform.config.webhook_concurrency_per_subscription
        while sub.workers < limit and sub.workers < len(sub.queue):
            sub.workers += 1
            task = asyncio.get_running_loop().create_task(self._drain(world, sub))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # --- delivering ---

    async def _drain(self, world: "World", sub: Subscription) -> None:
        try:
            while sub.queue and sub.deliverable:
                note = sub.queue.popleft()
                await self._deliver(world, sub, note)
        finally:
            sub.workers -= 1

    async def _deliver(self, world: "World", sub: Subscription, note: Note) -> None:
        config = self._platform.config
        attempt = 0
        backoff = 1.0
        while sub.deliverable:
            attempt += 1
            with world.deliveries.attempt():
                if await self._attempt_logged(world, sub, note, attempt):
                    return
            await asyncio.sleep(min(backoff, config.webhook_retry_max_backoff))
            backoff *= 2
        world.deliveries.add(world.clock.now(), sub, note, "discarded", attempt=attempt)

    async def settle(self, world: "World", timeout: float) -> bool:
        """Wait (at most `timeout` s) until every queued notification has been tried and every
        attempt's outcome is in the delivery log. Retries waiting out their backoff, delayed
        and held notifications do not count."""
        return await world.deliveries.settle(
            lambda: any(sub.queue for sub in world.subscriptions.all() if sub.deliverable),
            timeout,
        )

    async def _attempt_logged(
        self, world: "World", sub: Subscription, note: Note, attempt: int
    ) -> bool:
        """One attempt and its outcome in the log; True when the note is done with (delivered,
        or the subscription was blacklisted)."""
        ok, http_status, reason = await self._attempt(world, sub, note)
        now = world.clock.now()
        if ok:
            sub.delivered += 1
            sub.failing_since = None
            world.deliveries.add(
                now, sub, note, "delivered", attempt=attempt, http_status=http_status
            )
            return True
        sub.failed_attempts += 1
        world.deliveries.add(
            now, sub, note, "failed", attempt=attempt, http_status=http_status, reason=reason
        )
        if sub.failing_since is None:
            sub.failing_since = now
        if now - sub.failing_since >= self._platform.config.blacklist_after:
            world.deliveries.add(now, sub, note, "blacklisted", reason=reason)
            world.subscriptions.blacklist(sub, reason or "")
            return True
        return False

    async def _attempt(
        self, world: "World", sub: Subscription, note: Note
    ) -> tuple[bool, int | None, str | None]:
        for fault in world.faults.take(
            lambda f: f.matches_delivery(sub.id, note.event), ("webhook_fail",)
        ):
            return False, None, fault.params["reason"]
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "Accept": "application/json",
            "Accept-Encoding": "UTF-8",  # sic: RingCentral's documented notification headers
            "User-Agent": USER_AGENT,
        }
        if sub.verification_token:
            headers["Verification-Token"] = sub.verification_token
        timeout = aiohttp.ClientTimeout(total=self._platform.config.webhook_timeout)
        assert self._slots is not None
        async with self._slots:
            try:
                async with self.session.post(
                    sub.address,
                    data=note.data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        return True, resp.status, None
                    return (
                        False,
                        resp.status,
                        f"Webhook responses with code: [{resp.status}], reason: [{resp.reason}]",
                    )
            except TimeoutError:
                return False, None, "I/O operation is failed. Details: [Read timed out]"
            except aiohttp.ClientConnectorError:
                return False, None, "I/O operation is failed. Details: [Connection refused]"
            except (aiohttp.ClientError, OSError) as error:
                return False, None, f"I/O operation is failed. Details: [{type(error).__name__}]"
