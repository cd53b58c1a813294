"""The sandbox's own control API (`/sandbox/v1/`)."""

from sandbox.control.routes import router

__all__ = ["router"]
