"""The platform (lives as long as the process) and the world (replaced by every reset).

`Platform` holds the configuration, the registries modules extend at start-up (routes, event
types, fault actions, seeds) and the webhook delivery engine. `World` holds every piece of
emulated state: the account, OAuth sessions, presence, subscriptions, rate-limit counters, the
request log, the outbox, faults and timers. `POST /sandbox/v1/reset` builds a new world.

Feature modules are listed in MODULES. Each is a package exposing `router` (a core.routing.Router)
and optionally `setup(platform)` (called once: register event types and fault actions) and
`init_world(world)` (called for every new world: put the module's state in
`world.modules[name]`).
"""

import asyncio
import importlib
import logging
from types import ModuleType
from typing import Any

from sandbox.account.models import Account
from sandbox.account.seed import SEEDS, build_account
from sandbox.config import Config
from sandbox.core.clock import Clock
from sandbox.core.events import EventBus, EventTypes
from sandbox.core.faults import FaultActions, Faults
from sandbox.core.ids import Ids
from sandbox.core.outbox import Outbox
from sandbox.core.ratelimit import RateLimiter
from sandbox.core.requestlog import RequestLog
from sandbox.core.routing import Route
from sandbox.core.scheduler import Scheduler
from sandbox.oauth.store import OAuthStore
from sandbox.presence.models import PresenceBook
from sandbox.subscriptions.delivery import DeliveryEngine, DeliveryLog
from sandbox.subscriptions.models import SubscriptionStore

log = logging.getLogger("sandbox")

MODULES = (
    "sandbox.oauth",
    "sandbox.account",
    "sandbox.presence",
    "sandbox.subscriptions",
    "sandbox.voice",
    "sandbox.messages",
    "sandbox.traffic",
    "sandbox.control",
)
HOUSEKEEPING_EVERY = 600.0


class World:
    """All emulated state. Built from a seed; deterministic for the same seed."""

    def __init__(self, platform: "Platform", seed: str) -> None:
        config = platform.config
        self.platform = platform
        self.seed = seed
        self.clock = Clock()
        self.ids = Ids(seed)
        self.account: Account = build_account(config, self.ids)
        self.oauth = OAuthStore(config, self.clock, self.ids)
        self.oauth.scope_for = lambda client_id: self.account.apps[client_id].scope
        self.limiter = RateLimiter(config, self.clock)
        self.requests = RequestLog(config.request_log_size)
        self.outbox = Outbox(self.clock)
        self.faults = Faults(self.ids.random())
        self.scheduler = Scheduler(self.clock)
        self.clock.on_advance(self.scheduler.wake)
        self.bus = EventBus(self)
        self.presence = PresenceBook(self)
        self.subscriptions = SubscriptionStore(self)
        self.deliveries = DeliveryLog()
        self.modules: dict[str, Any] = {}
        self.scheduler.call_later(HOUSEKEEPING_EVERY, self._housekeeping)

    def _housekeeping(self) -> None:
        self.oauth.prune()
        self.scheduler.call_later(HOUSEKEEPING_EVERY, self._housekeeping)

    def close(self) -> None:
        self.scheduler.close()
        self.subscriptions.close_all()


class Platform:
    def __init__(self, config: Config, modules: tuple[str, ...] = MODULES) -> None:
        self.config = config
        self._start_config = config.copy()
        self.event_types = EventTypes()
        self.fault_actions = FaultActions()
        # Module state loaded once at start-up that every world reads (e.g. outside parties).
        self.shared: dict[str, Any] = {}
        self.delivery = DeliveryEngine(self)
        self.modules: list[ModuleType] = [importlib.import_module(name) for name in modules]
        for module in self.modules:
            if hasattr(module, "setup"):
                module.setup(self)
        if config.seed not in SEEDS:
            raise ValueError(f"unknown seed {config.seed!r}; known: {', '.join(sorted(SEEDS))}")
        self.world = self._new_world(config.seed)
        self._timers: asyncio.Task | None = None

    def routes(self) -> list[Route]:
        return [route for module in self.modules for route in module.router.routes]

    def _new_world(self, seed: str) -> World:
        world = World(self, seed)
        for module in self.modules:
            if hasattr(module, "init_world"):
                module.init_world(world)
        for extend in SEEDS[seed]:
            extend(world)
        return world

    def reset(self, *, seed: str | None = None, keep_config: bool = False) -> World:
        """Replace the world with a fresh one (and, unless `keep_config`, restore the start-up
        configuration, its seed included: without `seed` the start-up seed, or with
        `keep_config` the current one). Pending deliveries and timers of the old world are
        dropped."""
        seed = seed or (self.config.seed if keep_config else self._start_config.seed)
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}")
        self.world.close()
        if not keep_config:
            for name, value in vars(self._start_config.copy()).items():
                setattr(self.config, name, value)
        self.config.seed = seed
        self.world = self._new_world(seed)
        self._restart_timers()
        return self.world

    def _restart_timers(self) -> None:
        if self._timers is not None:
            self._timers.cancel()
        self._timers = asyncio.get_running_loop().create_task(self.world.scheduler.run())

    async def startup(self) -> None:
        await self.delivery.start()
        self._restart_timers()

    async def shutdown(self) -> None:
        if self._timers is not None:
            self._timers.cancel()
        self.world.close()
        await self.delivery.close()
