"""Message event filters (CONTRACT §6.3) and the helpers the store publishes through.

| filter (extension `~` or an id)                            | when                     |
|------------------------------------------------------------|--------------------------|
| `…/extension/{e}/message-store[?type=T][&direction=D]`     | any message new/changed  |
| `…/extension/{e}/message-store/instant?type=SMS`           | inbound SMS/MMS arrives  |
| `…/extension/{e}/fax?direction=Inbound`                    | inbound fax arrives      |
| `…/extension/{e}/voicemail`                                | voicemail arrives        |

As in the official samples the envelope's `event` keeps `~` for the account and names the
extension; the query the subscriber gave is kept.
"""

from typing import TYPE_CHECKING, Any

from sandbox.core.clock import iso
from sandbox.core.events import Event, EventFilter, EventType, Rendered, parse_enum
from sandbox.messages.models import (
    DIRECTIONS,
    MESSAGE_TYPES,
    Message,
    Urls,
    fax_event_json,
    instant_event_json,
    voicemail_event_json,
)

if TYPE_CHECKING:
    from sandbox.platform import World

STORE_KIND = "message-store"
INSTANT_KIND = "message-store-instant"
FAX_KIND = "fax"
VOICEMAIL_KIND = "voicemail"


def _event_path(event: Event, suffix: str, flt: EventFilter, keys: tuple[str, ...]) -> str:
    path = f"/restapi/v1.0/account/~/extension/{event.extension_id}{suffix}"
    query = "&".join(f"{k}={flt.options[k]}" for k in keys if k in flt.options)
    return f"{path}?{query}" if query else path


class MessageStoreEvents(EventType):
    """`MessageEventBody`: counts of new and updated messages per type, filtered by the
    subscription's `type`/`direction`."""

    def __init__(self) -> None:
        super().__init__(
            STORE_KIND,
            suffix="/message-store",
            options={"type": parse_enum(*MESSAGE_TYPES), "direction": parse_enum(*DIRECTIONS)},
        )

    def render(self, flt: EventFilter, event: Event) -> Rendered | None:
        if not self.applies(flt, event):
            return None
        wanted_type = flt.options.get("type")
        wanted_direction = flt.options.get("direction")
        changes: dict[str, dict[str, Any]] = {}
        for change in event.body["changes"]:
            if wanted_type and change["type"] != wanted_type:
                continue
            if wanted_direction and change["direction"] != wanted_direction:
                continue
            entry = changes.setdefault(
                change["type"], {"type": change["type"], "newCount": 0, "updatedCount": 0}
            )
            if change["new"]:
                entry["newCount"] += 1
                entry.setdefault("newMessageIds", []).append(change["id"])
            else:
                entry["updatedCount"] += 1
        if not changes:
            return None
        body = {
            "extensionId": event.extension_id,
            "lastUpdated": event.body["lastUpdated"],
            "changes": list(changes.values()),
        }
        return Rendered(len(flt.options), self.event_path(flt, event), body)

    def event_path(self, flt: EventFilter, event: Event) -> str:
        return _event_path(event, "/message-store", flt, ("type", "direction"))


class InstantMessageEvents(EventType):
    def __init__(self) -> None:
        super().__init__(
            INSTANT_KIND,
            suffix="/message-store/instant",
            options={"type": parse_enum("SMS")},
            required_options=("type",),
        )

    def event_path(self, flt: EventFilter, event: Event) -> str:
        return _event_path(event, "/message-store/instant", flt, ("type",))


class FaxEvents(EventType):
    def __init__(self) -> None:
        super().__init__(FAX_KIND, suffix="/fax", options={"direction": parse_enum("Inbound")})

    def event_path(self, flt: EventFilter, event: Event) -> str:
        return _event_path(event, "/fax", flt, ("direction",))


class VoicemailEvents(EventType):
    def __init__(self) -> None:
        super().__init__(VOICEMAIL_KIND, suffix="/voicemail")

    def event_path(self, flt: EventFilter, event: Event) -> str:
        return _event_path(event, "/voicemail", flt, ())


EVENT_TYPES = (MessageStoreEvents, InstantMessageEvents, FaxEvents, VoicemailEvents)


def publish_changes(world: "World", messages: list[Message], *, new: bool) -> None:
    """One message-store event per mailbox for these messages (new or updated)."""
    by_mailbox: dict[str, list[Message]] = {}
    for msg in messages:
        by_mailbox.setdefault(msg.extension_id, []).append(msg)
    for extension_id, batch in by_mailbox.items():
        body = {
            "lastUpdated": iso(max(m.last_modified_time for m in batch)),
            "changes": [
                {"id": m.id, "type": m.type, "direction": m.direction, "new": new} for m in batch
            ],
        }
        world.bus.publish(Event(STORE_KIND, world.account.id_str, extension_id, body))


def publish_arrival(world: "World", msg: Message, urls: Urls) -> None:
    """The instant/fax/voicemail notification of a message that just arrived in a mailbox."""
    if msg.direction != "Inbound":
        return
    if msg.type == "SMS":
        kind, body = INSTANT_KIND, instant_event_json(msg, urls)
    elif msg.type == "Fax":
        kind, body = FAX_KIND, fax_event_json(msg, urls)
    elif msg.type == "VoiceMail":
        kind, body = VOICEMAIL_KIND, voicemail_event_json(msg, urls)
    else:
        return
    world.bus.publish(Event(kind, world.account.id_str, msg.extension_id, body))
