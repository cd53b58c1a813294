"""One-shot messaging faults."""

from typing import Any

from sandbox.core.faults import FaultError
from sandbox.messages.store import store_of
from sandbox.messages.sync import reset_sync


def message_sync_reset(world, spec: dict[str, Any]) -> dict[str, Any]:
    """Invalidate the message-sync tokens of one extension (`extension_id`) or of every
    extension: their next ISync answers 400 `MSG-333` (full sync required)."""
    unknown = set(spec) - {"kind", "extension_id"}
    if unknown:
        raise FaultError(f"unknown field(s): {', '.join(sorted(unknown))}")
    extension_id = spec.get("extension_id")
    if extension_id is None:
        targets = list(world.account.extensions)
    elif isinstance(extension_id, str) and extension_id in world.account.extensions:
        targets = [extension_id]
    else:
        raise FaultError("extension_id must name an extension")
    reset_sync(store_of(world), targets)
    return {"extensions": targets}
