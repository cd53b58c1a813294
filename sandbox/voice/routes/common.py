"""What the voice routes share: the world's call engine, who may see or control what, and body
parsing with RingCentral's error bodies."""

from typing import Any

from sandbox.account.models import Extension
from sandbox.core.errors import ApiError, another_extension, invalid_parameter, mandatory_parameter
from sandbox.core.routing import Ctx
from sandbox.voice.engine import CallEngine

SUPERVISING_ROLES = ("admin", "supervisor")


def engine(ctx: Ctx) -> CallEngine:
    return ctx.world.modules["voice"]


def sees_everyone(ext: Extension) -> bool:
    """Admins and supervisors may read every extension's calls (company call log)."""
    return ext.role in SUPERVISING_ROLES


def readable_extension(ctx: Ctx) -> Extension:
    """The path's extension, if the caller may read its calls (403 CMN-404 otherwise)."""
    ext = ctx.extension()
    if ext.id_str != ctx.me.id_str and not sees_everyone(ctx.me):
        raise another_extension()
    return ext


def require_company_access(ctx: Ctx, permission: str = "ReadCallLog") -> str:
    account_id = ctx.account_id()
    if not sees_everyone(ctx.me):
        raise ApiError(
            403,
            "CMN-408",
            f"In order to call this API endpoint, user needs to have [{permission}] "
            "permission for requested resource.",
        )
    return account_id


async def json_object(ctx: Ctx) -> dict[str, Any]:
    body = await ctx.json()
    if not isinstance(body, dict):
        raise ApiError(400, "CMN-103", "JSON can't be parsed.")
    return body


def string_field(body: dict[str, Any], name: str, *, path: str | None = None) -> str:
    """A mandatory non-empty string (400 CMN-100 when absent, CMN-101 when not a string)."""
    label = path or name
    if name not in body or body[name] is None:
        raise mandatory_parameter(label)
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        raise invalid_parameter(label, value)
    return value.strip()


def bool_field(body: dict[str, Any], name: str, *, path: str | None = None) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid_parameter(path or name, value)
    return value
