"""The renewal-reminder filter `/restapi/v1.0/subscription/~?threshold=T&interval=I`
(CONTRACT §5.2). Its notifications come from the subscription's own timer, not from the bus;
their `event` is the filter exactly as subscribed."""

from sandbox.core.events import (
    Event,
    EventFilter,
    EventType,
    FilterScope,
    Rendered,
    parse_positive_int,
)
from sandbox.subscriptions.models import REMINDER_KIND

REMINDER_PATH = "/restapi/v1.0/subscription/~"


class ReminderEvents(EventType):
    def __init__(self) -> None:
        super().__init__(
            REMINDER_KIND,
            suffix=None,
            options={"threshold": parse_positive_int, "interval": parse_positive_int},
            required_options=("threshold", "interval"),
        )

    def parse(self, raw: str, path: str, query: dict[str, list[str]], scope: FilterScope):
        if path != REMINDER_PATH:
            return None
        return EventFilter(raw, self.name, "", None, self.parse_options(raw, query))

    def render(self, flt: EventFilter, event: Event) -> Rendered | None:
        return None

    def event_path(self, flt: EventFilter, event: Event) -> str:
        return flt.raw
