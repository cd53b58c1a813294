"""OAuth 2.0: authorize + login page, token (code, refresh, JWT), revoke."""

from sandbox.oauth.faults import expire_tokens, revoke_session
from sandbox.oauth.routes import router

__all__ = ["router", "setup"]


def setup(platform) -> None:
    platform.fault_actions.register("expire_tokens", expire_tokens)
    platform.fault_actions.register("revoke_session", revoke_session)
