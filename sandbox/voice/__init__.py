"""Voice: the call engine (telephony sessions, parties, presence), call control, the call log and
its sync, active calls, recordings, RingOut, and the control API that starts and drives calls.

Python callers reach the engine of a world with `sandbox.voice.engine_of(world)`.
"""

import logging
from typing import Any

from sandbox.core.faults import FaultError
from sandbox.core.routing import Router
from sandbox.messages import api as messages
from sandbox.voice.engine import CallEngine
from sandbox.voice.events import TelephonySessionEvents
from sandbox.voice.routes import callcontrol, control, history, ringout

__all__ = ["engine_of", "init_world", "router", "setup"]

log = logging.getLogger("sandbox.voice")
router = Router()
for _module in (control, callcontrol, history, ringout):
    router.routes.extend(_module.router.routes)


def engine_of(world) -> CallEngine:
    return world.modules["voice"]


def call_log_sync_reset(world, spec: dict[str, Any]) -> dict[str, Any]:
    """Fault action: the call log "was reset", so the next ISync with any earlier token (of
    `extension_id` only, when given) fails with 400 CLG-101 and the client must FSync."""
    unknown = set(spec) - {"kind", "extension_id"}
    if unknown:
        raise FaultError(f"unknown field(s) for call_log_sync_reset: {', '.join(sorted(unknown))}")
    extension_id = spec.get("extension_id")
    if extension_id is not None and (
        not isinstance(extension_id, str) or extension_id not in world.account.extensions
    ):
        raise FaultError("no such extension_id")
    tokens = engine_of(world).calllog.reset_sync(extension_id)
    return {"extension_id": extension_id, "tokens_invalidated": tokens}


def setup(platform) -> None:
    platform.event_types.add(TelephonySessionEvents())
    platform.fault_actions.register("call_log_sync_reset", call_log_sync_reset)


def leave_voicemail(world, **details: Any) -> dict[str, str] | None:
    """The voicemail a caller left, as a message in the callee's mailbox (the messaging store);
    returns the call log's `message` block."""
    try:
        message = messages.leave_voicemail(world, **details)
    except messages.MessagingError:
        log.warning("voicemail not stored: %s", details, exc_info=True)
        return None
    return {
        "id": str(message.id),
        "type": "VoiceMail",
        "uri": messages.message_uri(world, message),
    }


def init_world(world) -> None:
    engine = CallEngine(world)
    engine.voicemail_sink = leave_voicemail
    world.modules["voice"] = engine
