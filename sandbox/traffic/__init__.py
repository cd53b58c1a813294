"""Traffic: the outside parties, the traffic generator (`/sandbox/v1/traffic`) and the `demo`
seed's 30 days of history, all made through the voice and messaging modules' Python APIs."""

from sandbox.account.seed import register_seed
from sandbox.core.routing import Router
from sandbox.traffic import routes
from sandbox.traffic.generator import TrafficGenerator
from sandbox.traffic.history import build_demo_history
from sandbox.traffic.parties import BUILT_IN, load_parties

__all__ = ["generator_of", "init_world", "router", "setup"]

router = Router()
router.routes = list(routes.router.routes)


def generator_of(world) -> TrafficGenerator:
    return world.modules["traffic"]


def setup(platform) -> None:
    """Load the outside parties once (`--outside-parties FILE`, else the built-in list; a bad
    file stops start-up with a ValueError naming it) and register the `demo` seed."""
    path = platform.config.outside_parties_file
    platform.shared["outside_parties"] = load_parties(path) if path else list(BUILT_IN)
    register_seed("demo", build_demo_history)


def init_world(world) -> None:
    world.modules["traffic"] = TrafficGenerator(world, world.platform.shared["outside_parties"])
