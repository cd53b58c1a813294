"""Sandbox configuration: command-line flags, `SANDBOX_*` environment variables, and the subset
that `PATCH /sandbox/v1/config` may change at run time.

Precedence: flag > environment variable > default.
"""

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REDIRECT_URIS = [
    "http://127.0.0.1:8000/accounts/ringcentral/login/callback/",
    "http://localhost:8000/accounts/ringcentral/login/callback/",
]

# Documented defaults (CONTRACT §3.4): requests per user, app and group per minute.
DEFAULT_RATE_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


@dataclass
class Config:
    # --- fixed at start ---
    host: str = "127.0.0.1"
    port: int = 8090
    media_port: int | None = None
    public_url: str = ""
    media_url: str = ""
    seed: str = "basic"
    redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))
    log_level: str = "warning"
    request_log_size: int = 20000
    webhook_concurrency: int = 128
    outside_parties_file: str | None = None  # JSON list of {name, number}; default: built in
    # --- changeable at run time (RUNTIME_FIELDS) ---
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 604800
    code_ttl: int = 60
    strict_refresh: bool = False
    refresh_grace_used: float = 10.0
    refresh_grace_unused: float = 3600.0
    rate_limits_enabled: bool = True
    rate_limit_multiplier: float = 1.0
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_window: float = 60.0
    rate_penalty: float = 60.0
    require_https: bool = False
    blacklist_after: float = 600.0
    webhook_timeout: float = 10.0
    webhook_retry_max_backoff: float = 30.0
    webhook_concurrency_per_subscription: int = 1
    validation_timeout: float = 3.0
    subscription_limit: int = 30
    # messaging (sandbox/messages): status timers on the sandbox clock, sync overlap, SMS limits
    message_sent_delay: float = 1.0
    message_delivered_delay: float = 2.0
    fax_sent_delay: float = 5.0
    voicemail_transcription_delay: float = 3.0
    message_sync_overlap: float = 5.0
    sms_rate_limit: int = 40
    mms_rate_limit: int = 50
    # voice (sandbox/voice): how long phones ring, the IVR menu, voicemail, recordings
    ring_timeout: float = 20.0
    pstn_ring_timeout: float = 60.0
    ivr_delay: float = 4.0
    voicemail_duration: float = 20.0
    min_recording_duration: float = 30.0

    def __post_init__(self) -> None:
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        if not self.media_url:
            self.media_url = (
                f"http://{self.host}:{self.media_port}" if self.media_port else self.public_url
            )
        self.media_url = self.media_url.rstrip("/")

    def limit_for(self, group: str) -> int:
        return max(1, int(self.rate_limits[group] * self.rate_limit_multiplier))

    def runtime_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RUNTIME_FIELDS}

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply run-time changes; raises ValueError naming the first bad field. All or nothing."""
        staged: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in RUNTIME_FIELDS:
                raise ValueError(name)
            staged[name] = _coerce(name, value, getattr(self, name))
        for name, value in staged.items():
            setattr(self, name, value)
        return self.runtime_view()

    def copy(self) -> "Config":
        return dataclasses.replace(
            self, redirect_uris=list(self.redirect_uris), rate_limits=dict(self.rate_limits)
        )


RUNTIME_FIELDS = (
    "access_token_ttl",
    "refresh_token_ttl",
    "code_ttl",
    "strict_refresh",
    "refresh_grace_used",
    "refresh_grace_unused",
    "rate_limits_enabled",
    "rate_limit_multiplier",
    "rate_limits",
    "rate_window",
    "rate_penalty",
    "require_https",
    "blacklist_after",
    "webhook_timeout",
    "webhook_retry_max_backoff",
    "webhook_concurrency_per_subscription",
    "validation_timeout",
    "subscription_limit",
    "message_sent_delay",
    "message_delivered_delay",
    "fax_sent_delay",
    "voicemail_transcription_delay",
    "message_sync_overlap",
    "sms_rate_limit",
    "mms_rate_limit",
    "ring_timeout",
    "pstn_ring_timeout",
    "ivr_delay",
    "voicemail_duration",
    "min_recording_duration",
)


# Settings that may be 0 (no grace window, statuses change at once, no sync overlap, route
# out of the IVR at once, keep every recording).
ZERO_ALLOWED = (
    "refresh_grace_used",
    "refresh_grace_unused",
    "message_sent_delay",
    "message_delivered_delay",
    "fax_sent_delay",
    "voicemail_transcription_delay",
    "message_sync_overlap",
    "ivr_delay",
    "min_recording_duration",
)


# No run-time setting needs more (seconds, counts, limits); far larger ones overflow dates.
MAX_SETTING = 1_000_000_000
# Tighter bounds: a voicemail's WAV is built at once (messages.api.MAX_VOICEMAIL_S).
SETTING_MAX = {"voicemail_duration": 600}


def _coerce(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(name)
        return value
    if isinstance(current, dict):
        if not isinstance(value, dict) or not set(value) <= set(current):
            raise ValueError(name)
        merged = dict(current)
        for group, limit in value.items():
            if (
                isinstance(limit, bool)
                or not isinstance(limit, int)
                or not 1 <= limit <= MAX_SETTING
            ):
                raise ValueError(name)
            merged[group] = limit
        return merged
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(name)
    if not 0 <= value <= SETTING_MAX.get(name, MAX_SETTING) or (
        value == 0 and name not in ZERO_ALLOWED
    ):
        raise ValueError(name)
    return int(value) if isinstance(current, int) else float(value)


def _env_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ

    def env_default(name: str, cast=str, default=None):
        raw = env.get(f"SANDBOX_{name}")
        return default if raw in (None, "") else cast(raw)

    p = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Callboard's RingCentral emulator (see sandbox/README.md).",
    )
    p.add_argument("--host", default=env_default("HOST", default="127.0.0.1"))
    p.add_argument("--port", type=int, default=env_default("PORT", int, 8090))
    p.add_argument(
        "--media-port",
        type=int,
        default=env_default("MEDIA_PORT", int),
        help="also serve on this port and point contentUri values at it",
    )
    p.add_argument("--seed", default=env_default("SEED", default="basic"))
    p.add_argument(
        "--public-url", default=env_default("PUBLIC_URL", default=""), help="base of uri fields"
    )
    p.add_argument("--media-url", default=env_default("MEDIA_URL", default=""))
    p.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="allowed OAuth redirect URI (repeatable; replaces the defaults)",
    )
    p.add_argument(
        "--access-token-ttl", type=int, default=env_default("ACCESS_TOKEN_TTL", int, 3600)
    )
    p.add_argument(
        "--refresh-token-ttl", type=int, default=env_default("REFRESH_TOKEN_TTL", int, 604800)
    )
    p.add_argument(
        "--strict-refresh",
        action="store_true",
        default=env_default("STRICT_REFRESH", _env_bool, False),
        help="a rotated refresh token fails at once (no grace window)",
    )
    p.add_argument(
        "--rate-limit-multiplier",
        type=float,
        default=env_default("RATE_LIMIT_MULTIPLIER", float, 1.0),
    )
    p.add_argument(
        "--no-rate-limits",
        action="store_true",
        default=not env_default("RATE_LIMITS", _env_bool, True),
    )
    p.add_argument(
        "--require-https",
        action="store_true",
        default=env_default("REQUIRE_HTTPS", _env_bool, False),
        help="refuse http:// webhook addresses (SUB-523)",
    )
    p.add_argument(
        "--blacklist-after",
        type=float,
        default=env_default("BLACKLIST_AFTER", float, 600.0),
        help="seconds of failing deliveries before a subscription is blacklisted",
    )
    p.add_argument(
        "--outside-parties",
        metavar="FILE",
        default=env_default("OUTSIDE_PARTIES"),
        help="JSON list of {name, number}: who calls and texts the account (traffic, demo seed)",
    )
    p.add_argument("--log-level", default=env_default("LOG_LEVEL", default="warning"))
    a = p.parse_args(argv)
    env_uris = env_default("REDIRECT_URIS", default="")
    redirect_uris = a.redirect_uris or env_uris.replace(",", " ").split() or None
    return Config(
        host=a.host,
        port=a.port,
        media_port=a.media_port,
        public_url=a.public_url,
        media_url=a.media_url,
        seed=a.seed,
        redirect_uris=redirect_uris or list(DEFAULT_REDIRECT_URIS),
        access_token_ttl=a.access_token_ttl,
        refresh_token_ttl=a.refresh_token_ttl,
        strict_refresh=a.strict_refresh,
        rate_limit_multiplier=a.rate_limit_multiplier,
        rate_limits_enabled=not a.no_rate_limits,
        require_https=a.require_https,
        blacklist_after=a.blacklist_after,
        outside_parties_file=a.outside_parties,
        log_level=a.log_level,
    )
