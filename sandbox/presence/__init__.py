"""Presence: the model every call drives, its API routes and its event filters."""

from sandbox.presence.events import PresenceEvents
from sandbox.presence.routes import router

__all__ = ["router", "setup"]


def setup(platform) -> None:
    platform.event_types.add(PresenceEvents())
