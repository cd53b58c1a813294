"""One-shot OAuth faults: expire access tokens now, revoke sessions now."""

from typing import Any

from sandbox.core.faults import FaultError

SELECTORS = ("session_id", "extension_id", "client_id", "access_token")


def _sessions(world, spec: dict[str, Any]):
    chosen = {k: spec[k] for k in SELECTORS if spec.get(k) is not None}
    unknown = set(spec) - {*SELECTORS, "kind", "refresh_token_too"}
    if unknown:
        raise FaultError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if not chosen:
        raise FaultError(f"name the sessions: one of {', '.join(SELECTORS)}")
    if any(not isinstance(v, str) for v in chosen.values()):
        raise FaultError("selectors are strings")
    return [s for s in world.oauth.select_sessions(**chosen) if s.active]


def expire_tokens(world, spec: dict[str, Any]) -> dict[str, Any]:
    """Access tokens of the chosen sessions answer 401 OAU-128 from now on (refresh still works
    unless `refresh_token_too`)."""
    sessions = _sessions(world, spec)
    for session in sessions:
        world.oauth.expire_access(session, refresh_too=bool(spec.get("refresh_token_too")))
    return {"sessions": [s.id for s in sessions]}


def revoke_session(world, spec: dict[str, Any]) -> dict[str, Any]:
    """End the chosen sessions as if the user logged out elsewhere (401 OAU-211 afterwards)."""
    sessions = _sessions(world, spec)
    for session in sessions:
        world.oauth.end_session(session, "revoked by fault")
    return {"sessions": [s.id for s in sessions]}
