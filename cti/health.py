"""Dependency checks behind /healthz. Each check returns its own state and never raises."""

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from cti.celery import app as celery_app

BEAT_HEARTBEAT_KEY = "health:beat-heartbeat"


@dataclass(frozen=True)
class CheckResult:
    status: str  # "ok" or "down"
    required: bool
    latency_ms: float
    detail: str = ""


def _timed(fn: Callable[[], str | None], *, required: bool = True) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = fn() or ""
        status = "ok"
    except Exception as exc:
        status, detail = "down", f"{type(exc).__name__}: {exc}"[:300]
    latency = round((time.perf_counter() - started) * 1000, 1)
    return CheckResult(status=status, required=required, latency_ms=latency, detail=detail)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _redis() -> str:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        client.ping()
    finally:
        client.close()
    return ""


def _channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        import asyncio

        channel = await layer.new_channel("health.")
        token = uuid.uuid4().hex
        await asyncio.wait_for(
            layer.send(channel, {"type": "health.check", "token": token}),
            settings.HEALTH_CHECK_TIMEOUT,
        )
        message = await asyncio.wait_for(layer.receive(channel), settings.HEALTH_CHECK_TIMEOUT)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned another message")

    async_to_sync(round_trip)()
    return ""


def _celery_worker() -> str:
    replies = celery_app.control.ping(timeout=settings.HEALTH_CHECK_TIMEOUT, limit=1)
    if not replies:
        raise RuntimeError("no worker answered")
    return ", ".join(sorted(name for reply in replies for name in reply))


def _beat() -> str:
    stamp = cache.get(BEAT_HEARTBEAT_KEY)
    if stamp is None:
        raise RuntimeError("no heartbeat from celery beat yet")
    age = time.time() - float(stamp)
    if age > 120:
        raise RuntimeError(f"last heartbeat {age:.0f}s ago")
    return f"last heartbeat {age:.0f}s ago"


def health_report() -> tuple[bool, dict[str, Any]]:
    """Run every check. Healthy when every required check is ok.

    Beat is reported but not required: a stopped beat delays periodic work without breaking
    anything a user is doing, and it is only visible after its first tick.
    """
    checks = {"database": _timed(_database), "redis": _timed(_redis)}
    redis_up = checks["redis"].status == "ok"
    # Without Redis the layer and the worker are unreachable; say so instead of waiting on
    # their connection retries.
    if redis_up:
        checks["channel_layer"] = _timed(_channel_layer)
        checks["celery_worker"] = _timed(_celery_worker)
        checks["celery_beat"] = _timed(_beat, required=False)
    else:
        unreachable = CheckResult("down", True, 0.0, "redis is down")
        checks["channel_layer"] = unreachable
        checks["celery_worker"] = unreachable
        checks["celery_beat"] = CheckResult("down", False, 0.0, "redis is down")
    healthy = all(c.status == "ok" for c in checks.values() if c.required)
    return healthy, {
        "status": "ok" if healthy else "down",
        "checks": {name: asdict(result) for name, result in checks.items()},
    }
