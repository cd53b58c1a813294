"""Client-side awareness of RingCentral's rate-limit groups (CONTRACT §1, §3.4).

RingCentral counts requests per user and app in groups (Light 50, Medium 40, Heavy 10, Auth 5 a
minute by default) and, once a group is over, answers 429 and *restarts the penalty on every
further request*. So we hold back instead of walking into it: every response's
`X-Rate-Limit-Remaining`/`-Window` is recorded per (user, group) in Redis, shared by every web and
worker process; a call that would spend the last of a budget, or that falls inside a penalty a
429 announced, is refused before it is sent.
"""

from __future__ import annotations

import logging
import re
import time
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

LIGHT, MEDIUM, HEAVY, AUTH = "light", "medium", "heavy", "auth"

_ACCOUNT = "/restapi/v1.0/account/{accountId}"
_EXTENSION = _ACCOUNT + "/extension/{extensionId}"
_SESSION = _ACCOUNT + "/telephony/sessions/{telephonySessionId}"
_PARTY = _SESSION + "/parties/{partyId}"

# (method, path template, group): the operations we use, from the spec's x-throttling-group.
OPERATION_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("GET", "/restapi/oauth/authorize", AUTH),
    ("POST", "/restapi/oauth/token", AUTH),
    ("POST", "/restapi/oauth/revoke", AUTH),
    ("GET", _ACCOUNT, LIGHT),
    ("GET", _ACCOUNT + "/extension", MEDIUM),
    ("GET", _EXTENSION, LIGHT),
    ("GET", _EXTENSION + "/presence", LIGHT),
    ("GET", _ACCOUNT + "/presence", HEAVY),
    ("POST", "/restapi/v1.0/subscription", MEDIUM),
    ("GET", "/restapi/v1.0/subscription", LIGHT),
    ("GET", "/restapi/v1.0/subscription/{subscriptionId}", LIGHT),
    ("PUT", "/restapi/v1.0/subscription/{subscriptionId}", MEDIUM),
    ("DELETE", "/restapi/v1.0/subscription/{subscriptionId}", MEDIUM),
    ("POST", "/restapi/v1.0/subscription/{subscriptionId}/renew", LIGHT),
    ("GET", _EXTENSION + "/call-log", HEAVY),
    ("GET", _EXTENSION + "/call-log-sync", HEAVY),
    ("GET", _EXTENSION + "/call-log/{callRecordId}", HEAVY),
    ("GET", _ACCOUNT + "/call-log", HEAVY),
    ("GET", _ACCOUNT + "/call-log-sync", HEAVY),
    ("GET", _EXTENSION + "/active-calls", HEAVY),
    ("GET", _ACCOUNT + "/active-calls", HEAVY),
    ("GET", _EXTENSION + "/message-store", LIGHT),
    ("GET", _EXTENSION + "/message-store/{messageId}", LIGHT),
    ("GET", _EXTENSION + "/message-sync", LIGHT),
    ("GET", _EXTENSION + "/message-store/{messageId}/content/{attachmentId}", MEDIUM),
    ("POST", _EXTENSION + "/ring-out", HEAVY),
    ("GET", _EXTENSION + "/ring-out/{ringoutId}", LIGHT),
    ("DELETE", _EXTENSION + "/ring-out/{ringoutId}", HEAVY),
    ("POST", _EXTENSION + "/sms", MEDIUM),
    ("POST", _EXTENSION + "/mms", MEDIUM),
    ("POST", _EXTENSION + "/fax", HEAVY),
    ("GET", _EXTENSION + "/phone-number", LIGHT),
    ("GET", _ACCOUNT + "/recording/{recordingId}", HEAVY),
    ("GET", _ACCOUNT + "/recording/{recordingId}/content", HEAVY),
    ("POST", _ACCOUNT + "/telephony/call-out", HEAVY),
    ("GET", _SESSION, LIGHT),
    ("DELETE", _SESSION, LIGHT),
    *(
        ("POST", _PARTY + "/" + action, LIGHT)
        for action in (
            "hold",
            "unhold",
            "reject",
            "ignore",
            "transfer",
            "bridge",
            "answer",
            "pickup",
            "forward",
            "reply",
            "flip",
            "park",
            "recordings",
        )
    ),
    ("GET", _PARTY, LIGHT),
    ("PATCH", _PARTY, LIGHT),
    ("DELETE", _PARTY, LIGHT),
    ("PATCH", _PARTY + "/recordings/{recordingId}", LIGHT),
)


def _compile(template: str) -> re.Pattern[str]:
    return re.compile(
        "^" + re.sub(r"\{[^}]+\}", "[^/]+", template).replace("ring-out", "ring-?out") + "/?$"
    )


_MATCHERS = tuple(
    (method, _compile(template), group) for method, template, group in OPERATION_GROUPS
)


def user_key(extension_id: str) -> str:
    """The budget owner for calls made as one extension (RingCentral limits per user)."""
    return f"ext{extension_id}"


@cache
def group_for(method: str, path: str) -> str | None:
    """The rate-limit group of an operation, or None for one we do not know."""
    method = method.upper()
    for op_method, pattern, group in _MATCHERS:
        if op_method == method and pattern.match(path):
            return group
    return None


# Atomically: refuse while a penalty runs or the recorded budget is spent; else take one request
# from the budget (so concurrent callers cannot all spend the same last request).
_RESERVE = """
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked_until') or '0')
if blocked > now then return tostring(blocked - now) end
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset_at') or '0')
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '-1')
if reset > now and remaining >= 0 then
  if remaining <= 0 then return tostring(reset - now) end
  redis.call('HINCRBY', KEYS[1], 'remaining', -1)
end
return '0'
"""


# Atomically record what RingCentral said is left. Within the window we recorded first, keep
# the lower count: an answer counts only the requests before it, not those other callers reserved
# and sent since, and a late answer may carry an older, higher count. A new window starts over
# from RingCentral's count. Never shortens the key's life (a running penalty lives in it too).
_OBSERVE = """
local now, remaining, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local reset = tonumber(redis.call('HGET', KEYS[1], 'reset_at') or '0')
local current = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '-1')
if reset > now and current >= 0 then
  if remaining < current then redis.call('HSET', KEYS[1], 'remaining', remaining) end
else
  redis.call('HSET', KEYS[1], 'remaining', remaining, 'reset_at', now + window)
end
local ttl = math.floor(window * 2 + 60)
if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
return 0
"""

# Atomically start or lengthen a penalty (never shorten one a concurrent 429 set).
_PENALIZE = """
local now, wait = tonumber(ARGV[1]), tonumber(ARGV[2])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked_until') or '0')
if now + wait > blocked then redis.call('HSET', KEYS[1], 'blocked_until', now + wait) end
local ttl = math.floor(wait + 120)
if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
return 0
"""


class RateLimitBudget:
    """Per-(user, group) budgets in Redis. Fails open: if Redis cannot be reached the call goes
    ahead (RingCentral still enforces its limits; we only lose the early warning)."""

    def __init__(self, url: str | None = None, prefix: str = "callboard:rc-rate:") -> None:
        self._client = _redis(url or settings.REDIS_URL)
        self._prefix = prefix
        self._reserve = self._client.register_script(_RESERVE)
        self._observe = self._client.register_script(_OBSERVE)
        self._penalize = self._client.register_script(_PENALIZE)

    def _key(self, owner: str, group: str) -> str:
        return f"{self._prefix}{owner}:{group}"

    def reserve(self, owner: str, group: str) -> float:
        """Take one request from the budget. Returns 0 when it may be sent now, else the seconds
        to wait before it may (nothing is taken then)."""
        try:
            wait = float(self._reserve(keys=[self._key(owner, group)], args=[time.time()]))
        except redis.RedisError:
            logger.warning("rate-limit budget unavailable (Redis); sending unchecked")
            return 0.0
        return max(0.0, wait)

    def observe(self, owner: str, group: str, *, remaining: int, window: int) -> None:
        """Record what RingCentral said is left in the group's window."""
        try:
            self._observe(
                keys=[self._key(owner, group)], args=[time.time(), max(0, remaining), window]
            )
        except redis.RedisError:
            logger.warning("rate-limit budget unavailable (Redis); not recorded")

    def penalize(self, owner: str, group: str, *, wait: float) -> None:
        """RingCentral answered 429: send nothing more in this group until the wait is over."""
        try:
            self._penalize(keys=[self._key(owner, group)], args=[time.time(), wait])
        except redis.RedisError:
            logger.warning("rate-limit budget unavailable (Redis); penalty not recorded")


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
