"""Phone numbers as the voice engine meets them: dialled strings become E.164 numbers or short
extension numbers (parsed by the messaging module's `phonenumbers`-based parser, so both modules
read numbers the same way)."""

from sandbox.messages.numbers import location_of, parse_number

__all__ = ["digits", "location", "normalize", "same_number"]


def normalize(raw: str) -> str | None:
    """A dialled string as E.164 (`+14155550123`) or a short extension number (`101`); None
    when it is neither. US numbers without `+` get the country code."""
    parsed = parse_number(raw or "")
    if parsed.short:
        return digits(raw)
    return parsed.e164


def digits(number: str | None) -> str:
    return "".join(c for c in number or "" if c.isdigit())


def same_number(a: str | None, b: str | None) -> bool:
    """Equal ignoring `+` and punctuation (the call log's `phoneNumber` filter has no `+`)."""
    da, db = digits(a), digits(b)
    return bool(da) and da == db


def location(number: str | None) -> str | None:
    """The `location` the call log shows for an outside number (None when unknown)."""
    return location_of(number) if number and number.startswith("+") else None
