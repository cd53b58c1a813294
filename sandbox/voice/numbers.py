"""Phone numbers as the voice engine meets them: dialled strings, E.164 numbers, short extension
numbers, and the location RingCentral shows for a number in the call log."""

import re

_DIAL_NOISE = re.compile(r"[\s().\-]")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
SHORT = re.compile(r"^\d{2,6}$")

# A few North American area codes, enough for the seeded account and test numbers: the call log
# shows `location` only when the platform can tell it from the number (CONTRACT §7.1).
LOCATIONS = {
    "201": "Jersey City, NJ",
    "212": "New York, NY",
    "213": "Los Angeles, CA",
    "206": "Seattle, WA",
    "303": "Denver, CO",
    "305": "Miami, FL",
    "312": "Chicago, IL",
    "404": "Atlanta, GA",
    "408": "San Jose, CA",
    "415": "San Francisco, CA",
    "503": "Portland, OR",
    "512": "Austin, TX",
    "617": "Boston, MA",
    "646": "New York, NY",
    "650": "San Mateo, CA",
    "702": "Las Vegas, NV",
    "720": "Denver, CO",
    "917": "New York, NY",
}


def normalize(raw: str) -> str | None:
    """A dialled string as E.164 (`+14155550123`) or a short extension number (`101`); None
    when it is neither. US 10/11-digit numbers without `+` get the country code."""
    text = _DIAL_NOISE.sub("", raw or "")
    if text.startswith("+"):
        return text if E164.match(text) else None
    if not text.isdigit():
        return None
    if SHORT.match(text):
        return text
    if len(text) == 10:
        return "+1" + text
    if len(text) == 11 and text.startswith("1"):
        return "+" + text
    candidate = "+" + text
    return candidate if E164.match(candidate) else None


def digits(number: str | None) -> str:
    return "".join(c for c in number or "" if c.isdigit())


def same_number(a: str | None, b: str | None) -> bool:
    """Equal ignoring `+` and punctuation (the call log's `phoneNumber` filter has no `+`)."""
    da, db = digits(a), digits(b)
    return bool(da) and da == db


def location(number: str | None) -> str | None:
    if number and number.startswith("+1") and len(number) == 12:
        return LOCATIONS.get(number[2:5])
    return None
