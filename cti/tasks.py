import time

from celery import shared_task
from django.core.cache import cache

from cti.health import BEAT_HEARTBEAT_KEY


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=600)


@shared_task
def ping(payload: str) -> str:
    """Echo, for checking the worker path end to end."""
    return f"pong:{payload}"
