"""Phone numbers as the messaging API takes them: E.164 with or without `+`, or a bare US
number (`18005554567`, `6505550101`, as the official fax samples send), parsed with
`phonenumbers`. Short strings are extension numbers or short codes, which SMS refuses with their
own error codes."""

import functools
from dataclasses import dataclass

import phonenumbers
from phonenumbers import geocoder

DEFAULT_REGION = "US"
SHORT_NUMBER_MAX_DIGITS = 6  # extension numbers (3-5 digits) and short codes (5-6 digits)


@dataclass(frozen=True)
class ParsedNumber:
    raw: str
    e164: str | None  # None when the input is not a possible phone number
    short: bool = False  # an extension number or a short code, not a phone number

    @property
    def digits(self) -> str:
        """The number as RingCentral quotes it in error messages (no `+`)."""
        return (self.e164 or self.raw).lstrip("+")


@functools.lru_cache(maxsize=4096)
def parse_number(raw: str) -> ParsedNumber:
    """Normalise one number to E.164; `short` for extension numbers and short codes."""
    text = raw.strip()
    digits = "".join(c for c in text if c.isdigit())
    if text and digits and len(digits) <= SHORT_NUMBER_MAX_DIGITS and not text.startswith("+"):
        return ParsedNumber(raw, None, short=True)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ParsedNumber(raw, None)
    if not phonenumbers.is_possible_number(number):
        return ParsedNumber(raw, None)
    return ParsedNumber(
        raw, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


@functools.lru_cache(maxsize=4096)
def location_of(e164: str) -> str | None:
    """City/state (or region) of a number, as RingCentral fills `location`; None when unknown
    (toll-free numbers have none)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    return geocoder.description_for_number(number, "en") or None
