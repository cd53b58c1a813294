"""The traffic generator's settings, as `POST /sandbox/v1/traffic` takes them (all optional):

    {"rate": 2, "seed": "demo", "limit": null, "users": ["101", "102"],
     "mix": {"inbound_call": 30, "main_number_call": 10, "outbound_call": 24,
             "internal_call": 8, "sms_inbound": 13, "sms_outbound": 8, "mms_inbound": 3,
             "fax_inbound": 4},
     "outcomes": {"answered": 70, "voicemail": 15, "missed": 15},
     "outbound_outcomes": {"answered": 65, "no_answer": 22, "busy": 13},
     "hold_ratio": 0.2, "record_ratio": 0.3, "transfer_ratio": 0.05, "reply_ratio": 0.5,
     "talk_median_s": 75, "parties": [{"name": "Jane Roe", "number": "+14155550123"}]}

Weights are relative (a mix entry left out keeps its default; 0 switches a kind off).
"""

from dataclasses import dataclass, field
from typing import Any

from sandbox.traffic.parties import OutsideParty, PartiesError, parse_parties

DEFAULT_MIX = {
    "inbound_call": 30.0,  # an outside party rings a user's direct number
    "main_number_call": 10.0,  # ... or the main number, and the IVR routes it to a user
    "outbound_call": 24.0,  # a user calls an outside party
    "internal_call": 8.0,  # a user calls a colleague
    "sms_inbound": 13.0,  # an outside party texts a user (who may reply)
    "sms_outbound": 8.0,  # a user texts an outside party (who may reply)
    "mms_inbound": 3.0,  # a photo from an outside party
    "fax_inbound": 4.0,  # a fax to the fax number or a user's number
}
# Calls to a user: answered, left to ring into voicemail, or the caller gives up (missed).
DEFAULT_OUTCOMES = {"answered": 70.0, "voicemail": 15.0, "missed": 15.0}
# Calls to an outside party: answered, nobody answers (the user gives up), busy.
DEFAULT_OUTBOUND_OUTCOMES = {"answered": 65.0, "no_answer": 22.0, "busy": 13.0}
MAX_RATE = 600.0  # activities per minute
RATIOS = ("hold_ratio", "record_ratio", "transfer_ratio", "reply_ratio")


class TrafficError(ValueError):
    """Settings the generator cannot run with (the control API answers 400)."""


@dataclass
class TrafficSettings:
    rate: float = 2.0  # activities (calls and message threads) per minute of sandbox clock
    seed: str = "traffic"
    limit: int | None = None  # stop starting new activities after this many
    users: list[str] | None = None  # extension numbers to involve (default: every user)
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    outcomes: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    outbound_outcomes: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_OUTBOUND_OUTCOMES)
    )
    hold_ratio: float = 0.2  # answered calls put on hold once
    record_ratio: float = 0.3  # answered calls recorded (half automatic, half on demand)
    transfer_ratio: float = 0.05  # answered inbound calls blind-transferred to a colleague
    reply_ratio: float = 0.5  # SMS that get an answer
    talk_median_s: float = 75.0  # talk times are log-normal around this
    parties: list[OutsideParty] | None = None  # default: the sandbox's outside parties

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "seed": self.seed,
            "limit": self.limit,
            "users": self.users,
            "mix": dict(self.mix),
            "outcomes": dict(self.outcomes),
            "outbound_outcomes": dict(self.outbound_outcomes),
            **{name: getattr(self, name) for name in RATIOS},
            "talk_median_s": self.talk_median_s,
        }


def _number(body: dict[str, Any], name: str, *, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise TrafficError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _weights(body: dict[str, Any], name: str, defaults: dict[str, float]) -> dict[str, float]:
    value = body.get(name)
    if value is None:
        return dict(defaults)
    if not isinstance(value, dict) or set(value) - set(defaults):
        raise TrafficError(f"{name} takes weights for {', '.join(defaults)}")
    merged = dict(defaults)
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise TrafficError(f"{name}.{key} must be a non-negative weight")
        merged[key] = float(weight)
    if not any(merged.values()):
        raise TrafficError(f"{name}: at least one weight must be positive")
    return merged


def parse_settings(body: dict[str, Any]) -> TrafficSettings:
    """Settings from a control request body (`action` aside). Raises TrafficError."""
    known = {"action", "rate", "seed", "limit", "users", "mix", "outcomes", "outbound_outcomes"}
    known |= {*RATIOS, "talk_median_s", "parties"}
    unknown = set(body) - known
    if unknown:
        raise TrafficError(f"unknown field(s): {', '.join(sorted(unknown))}")
    settings = TrafficSettings(
        mix=_weights(body, "mix", DEFAULT_MIX),
        outcomes=_weights(body, "outcomes", DEFAULT_OUTCOMES),
        outbound_outcomes=_weights(body, "outbound_outcomes", DEFAULT_OUTBOUND_OUTCOMES),
    )
    rate = _number(body, "rate", low=0.001, high=MAX_RATE)
    if rate is not None:
        settings.rate = rate
    for name in RATIOS:
        ratio = _number(body, name, low=0, high=1)
        if ratio is not None:
            setattr(settings, name, ratio)
    talk = _number(body, "talk_median_s", low=5, high=3600)
    if talk is not None:
        settings.talk_median_s = talk
    seed = body.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, str | int):
            raise TrafficError("seed must be a string or an integer")
        settings.seed = str(seed)
    limit = body.get("limit")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise TrafficError("limit must be a positive integer")
        settings.limit = limit
    users = body.get("users")
    if users is not None:
        if not isinstance(users, list) or not users or not all(isinstance(u, str) for u in users):
            raise TrafficError("users must be a non-empty list of extension numbers")
        settings.users = list(users)
    parties = body.get("parties")
    if parties is not None:
        try:
            settings.parties = parse_parties(parties, source="parties")
        except PartiesError as error:
            raise TrafficError(str(error)) from None
    return settings
