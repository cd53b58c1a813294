"""Typed readers for environment variables, used by settings.py only."""

import math
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    """True/false from the environment; unset or empty means the default (as in .env.example,
    where an empty value leaves the documented default in force)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc


def env_seconds(name: str, default: float) -> float:
    """A positive duration in seconds; fractions allowed."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def require(names: list[str], *, context: str) -> None:
    """Fail start-up with one message naming every missing variable."""
    missing = [name for name in names if not os.environ.get(name, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"Missing required environment variable(s) {context}: "
            + ", ".join(missing)
            + ". See .env.example; `make demo` and `make test` make their own."
        )


def redis_url(name: str, default: str) -> str:
    """A Redis URL as redis-py, Celery and channels-redis all read it."""
    value = env_str(name) or default
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            f"{name} must be a redis://, rediss:// or unix:// URL, got {value!r}"
        )
    return value


def env_count(name: str, default: int) -> int:
    """A whole number of at least 1."""
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value}")
    return value


def env_url_path(name: str, default: str) -> str:
    """A path inside the site as Django's path() takes it: no leading slash, one at the end."""
    value = env_str(name) or default
    if not re.fullmatch(r"(?:[A-Za-z0-9._~-]+/)+", value):
        raise ImproperlyConfigured(
            f"{name} takes a path like admin/ (no leading slash, one at the end), got {value!r}"
        )
    return value
