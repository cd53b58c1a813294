"""Webhook subscriptions and notification delivery."""

from sandbox.subscriptions.events import ReminderEvents
from sandbox.subscriptions.routes import router

__all__ = ["router", "setup"]


def setup(platform) -> None:
    platform.event_types.add(ReminderEvents())
