"""Celery tasks: thin. Each loads what it needs, calls one service and owns its retry policy."""

import logging
import math
import random
from dataclasses import asdict
from typing import Any

from celery import Task, shared_task

from telephony import sync
from telephony.ringcentral.client import TASK
from telephony.ringcentral.errors import ProviderError, RateLimited
from telephony.tokens import ConnectionNeedsSignIn, NoAccountConnection

logger = logging.getLogger(__name__)


def rate_limit_countdown(exc: RateLimited) -> int:
    """Seconds until a retry may go: RingCentral's wait, rounded up, plus up to a second of
    jitter so retries queued together do not arrive together."""
    return math.ceil(exc.retry_after) + random.randint(0, 1)  # noqa: S311 - jitter


def provider_error_countdown(retries: int) -> int:
    """Jittered exponential backoff for RingCentral failures: ~10 s, 20 s, 40 s … ≤ 10 min."""
    ceiling: int = min(600, 10 * 2**retries)
    return ceiling // 2 + random.randint(0, ceiling // 2)  # noqa: S311 - jitter


class RingCentralTask(Task):
    """Base for tasks that call RingCentral. RateLimited → retry after the wait RingCentral
    asked for; ProviderError (5xx, no answer) → retry with jittered backoff; both at most
    `max_retries` times, then the error is raised. Other RingCentral errors are not retried."""

    max_retries = 5

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except RateLimited as exc:
            raise self.retry(exc=exc, countdown=rate_limit_countdown(exc)) from exc
        except ProviderError as exc:
            countdown = provider_error_countdown(self.request.retries)
            raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(base=RingCentralTask, bind=True, acks_late=True, ignore_result=False)
def directory_sync(self: RingCentralTask) -> dict[str, Any]:
    """Mirror the account's user extensions (idempotent, so acknowledged late)."""
    try:
        result = sync.directory_sync_account(policy=TASK)
    except (NoAccountConnection, ConnectionNeedsSignIn) as exc:
        logger.warning("directory sync skipped: %s", exc)
        return {"skipped": str(exc)}
    logger.info("directory sync: %s", result)
    return asdict(result)
