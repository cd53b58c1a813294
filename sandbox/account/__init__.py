"""The account: extensions, phone numbers, apps; the directory routes; the seed."""

from sandbox.account.routes import router

__all__ = ["router"]
