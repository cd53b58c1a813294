"""Message sync (`GET …/message-sync`, CONTRACT §8.2): full sync defines a sync frame (filters
and a date range) and returns its messages with a sync token; incremental sync returns what
changed in the frame since the token's sync time, minus an overlap (`message_sync_overlap`,
5 s as documented), so clients dedupe on `id` + `lastModifiedTime`.

The token carries the frame, the sync time and the mailbox's sync generation, signed so a
tampered token is refused. `message_sync_reset` (a fault action) bumps the generation: every
older token then needs a full sync (400 `MSG-333`).
"""

import base64
import binascii
import hashlib
import hmac
import itertools
import json
from dataclasses import asdict, dataclass, replace

from sandbox.messages.models import Message
from sandbox.messages.store import MessageStore


@dataclass(frozen=True)
class SyncFrame:
    extension_id: str
    types: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    conversation_id: int | None = None
    date_from: float = 0.0
    date_to: float | None = None  # None: an open frame (new messages join it)
    record_count: int | None = None
    distinct: bool = False
    generation: int = 0
    sync_time: float = 0.0

    def contains(self, msg: Message) -> bool:
        return (
            (not self.types or msg.type in self.types)
            and (not self.directions or msg.direction in self.directions)
            and (self.conversation_id is None or msg.conversation_id == self.conversation_id)
            and msg.creation_time >= self.date_from
            and (self.date_to is None or msg.creation_time <= self.date_to)
        )


def encode_token(store: MessageStore, frame: SyncFrame) -> str:
    payload = json.dumps(asdict(frame), separators=(",", ":")).encode()
    signature = hmac.new(store.sync_secret, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(signature + payload).decode().rstrip("=")


def decode_token(store: MessageStore, token: str, extension_id: str) -> SyncFrame | None:
    """The frame a token stands for; None when it is not ours, not this mailbox's, or older
    than the mailbox's last sync reset."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    signature, payload = raw[:12], raw[12:]
    expected = hmac.new(store.sync_secret, payload, hashlib.sha256).digest()[:12]
    if not hmac.compare_digest(signature, expected):
        return None
    data = json.loads(payload)
    frame = SyncFrame(
        **{**data, "types": tuple(data["types"]), "directions": tuple(data["directions"])}
    )
    if frame.extension_id != extension_id:
        return None
    if frame.generation != store.sync_generation.get(extension_id, 0):
        return None
    return frame


def latest_per_conversation(messages: list[Message]) -> list[Message]:
    seen: set[int] = set()
    out = []
    for msg in messages:  # newest first
        if msg.conversation_id is not None:
            if msg.conversation_id in seen:
                continue
            seen.add(msg.conversation_id)
        out.append(msg)
    return out


def full_sync(store: MessageStore, frame: SyncFrame) -> tuple[list[Message], bool]:
    """The frame's live messages, newest first, cut to `record_count`; and whether older
    ones were left out."""
    found = (
        m
        for m in reversed(store.mailbox(frame.extension_id))
        if m.availability == "Alive" and frame.contains(m)
    )
    if frame.distinct:
        found = iter(latest_per_conversation(list(found)))
    if frame.record_count is None:
        return list(found), False
    records = list(itertools.islice(found, frame.record_count + 1))
    return records[: frame.record_count], len(records) > frame.record_count


def incremental_sync(
    store: MessageStore, frame: SyncFrame, *, since: float, expanded_from: float | None
) -> list[Message]:
    """Messages of the frame changed since `since` (any availability), plus, when the client
    widened the frame back to `expanded_from`, the live messages of the widened part."""
    changed = [
        m
        for m in store.mailbox(frame.extension_id)
        if m.last_modified_time >= since and frame.contains(m)
    ]
    if expanded_from is not None and expanded_from < frame.date_from:
        older = replace(frame, date_from=expanded_from, date_to=frame.date_from)
        ids = {m.id for m in changed}
        changed += [
            m
            for m in store.mailbox(frame.extension_id)
            if m.availability == "Alive" and older.contains(m) and m.id not in ids
        ]
    return sorted(changed, key=lambda m: m.last_modified_time, reverse=True)


def reset_sync(store: MessageStore, extension_ids: list[str]) -> None:
    for extension_id in extension_ids:
        store.sync_generation[extension_id] = store.sync_generation.get(extension_id, 0) + 1
