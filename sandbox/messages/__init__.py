"""Messaging: the message store (SMS/MMS, fax, voicemail), sending, message sync, message
events and the control endpoints. Other modules create messages through `messages.api`."""

from sandbox.core.routing import Router
from sandbox.messages import control, faults, routes
from sandbox.messages.events import EVENT_TYPES
from sandbox.messages.store import MessageStore

__all__ = ["init_world", "router", "setup"]

router = Router()
router.routes = [*routes.router.routes, *control.router.routes]


def setup(platform) -> None:
    for event_type in EVENT_TYPES:
        platform.event_types.add(event_type())
    platform.fault_actions.register("message_sync_reset", faults.message_sync_reset)


def init_world(world) -> None:
    world.modules["messages"] = MessageStore(world)
