"""In-process sandbox worlds for tests of the Python APIs other modules call (no server)."""

from sandbox.config import Config
from sandbox.core.events import Event
from sandbox.platform import Platform, World


def new_world() -> World:
    """A freshly seeded world of a platform that never serves HTTP, on a frozen clock: only
    `world.clock.advance()` moves time, so runs repeat exactly."""
    world = Platform(Config(port=1)).world
    world.clock.freeze()
    return world


def published(world: World) -> list[Event]:
    """Every event the world's bus publishes from now on (still delivered as usual)."""
    events: list[Event] = []
    original = world.bus.publish

    def capture(event: Event) -> int:
        events.append(event)
        return original(event)

    world.bus.publish = capture
    return events
