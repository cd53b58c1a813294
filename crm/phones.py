"""Phone numbers: strictly normalise what people type, leniently read what RingCentral sends.

Stored numbers are validated with `phonenumbers` and kept in E.164. A number typed without a
country code gets `PHONE_DEFAULT_REGION`'s, and is flagged `country_assumed` so caller matching
can fall back on its last digits when the assumption was wrong.
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult
from phonenumbers.phonenumber import CountryCodeSource

# Digits compared by the last-digits fallback: enough to be selective, few enough to still
# match a number stored with a wrong or missing area or country code.
TAIL_DIGITS = 7
# Internal calls show the other party's extension number; RingCentral's are at most 6 digits
# in practice, and no public number is that short.
EXTENSION_MAX_DIGITS = 6
MAX_RAW_LENGTH = 64
# Fewer digits without a '+' are a local number or an extension, never a full international one
# (a 7-digit local caller ID must not be read as, say, a number in Niue).
MIN_INTERNATIONAL_DIGITS = 10

# What carriers put in place of a withheld caller ID, as digits: 'ANONYMOUS' on a keypad, and
# zeros (after a '1' country code, or not). Matching them on their last digits would name a
# stranger as the caller.
ANONYMOUS_DIGITS = frozenset({"266696687", "1266696687"})
_ALL_ZEROS = re.compile(r"^1?0{7,}$")

_PHONE_CHARS = re.compile(r"^[\d\s().+\-/]+$")
_NON_DIGITS = re.compile(r"\D")


class InvalidPhoneNumber(ValueError):
    """A number that cannot be stored; `str()` says why, in words a person can act on."""


@dataclass(frozen=True)
class NormalisedPhone:
    raw: str
    e164: str
    national_number: str
    country_assumed: bool
    region: str

    @property
    def tail(self) -> str:
        return self.national_number[-TAIL_DIGITS:]

    @property
    def international(self) -> str:
        return format_international(self.e164)


@dataclass(frozen=True)
class IncomingNumber:
    """A number as a peer sent it, read as well as it can be. `e164` is empty when it is not a
    valid public number (an extension, a short code, something garbled); `digits` too when it
    is an anonymous caller's marker, so nothing matches it."""

    raw: str
    digits: str
    e164: str
    national_number: str

    @property
    def is_extension(self) -> bool:
        return (
            not self.raw.lstrip().startswith("+")
            and 0 < len(self.digits) <= EXTENSION_MAX_DIGITS
            and not self.e164
        )

    @property
    def fallback_number(self) -> str:
        """The digits the last-digits fallback compares: the national number when valid, else
        the digits as sent."""
        return self.national_number or self.digits

    @property
    def tail(self) -> str:
        """The last digits to fall back on, or '' when there are too few to be selective."""
        number = self.fallback_number
        return number[-TAIL_DIGITS:] if len(number) >= TAIL_DIGITS else ""


def default_region() -> str:
    return settings.PHONE_DEFAULT_REGION.upper()


def digits_of(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def looks_like_phone(value: str, *, min_digits: int = 3) -> bool:
    """True for input made only of digits and phone punctuation, with enough digits to search."""
    value = value.strip()
    return bool(_PHONE_CHARS.match(value)) and len(digits_of(value)) >= min_digits


_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "has a country code that does not exist",
    ValidationResult.TOO_SHORT: "is too short to be a phone number",
    ValidationResult.TOO_LONG: "is too long to be a phone number",
    ValidationResult.INVALID_LENGTH: "has the wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is missing its area code",
}


def phone_normalise(raw: str, *, region: str | None = None) -> NormalisedPhone:
    """Validate a number as a person typed it and return its E.164 form.

    Raises InvalidPhoneNumber with the reason when it is not a valid, dialable number.
    """
    raw = (raw or "").strip()
    region = (region or default_region()).upper()
    if not raw:
        raise InvalidPhoneNumber("Enter a phone number.")
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidPhoneNumber(f"is longer than {MAX_RAW_LENGTH} characters")
    try:
        return _normalise(raw, raw, region)
    except InvalidPhoneNumber as refused:
        if international := _international_00(raw):
            try:
                return _normalise(international, raw, region)
            except InvalidPhoneNumber:
                pass
        raise refused


def _international_00(raw: str) -> str:
    """'0044 20 …' as '+44 20 …': '00' is the international prefix in most of the world, also
    when the default region's is another (the US's is 011). '' for anything else."""
    return "+" + raw[2:] if raw.startswith("00") else ""


def _normalise(text: str, raw: str, region: str) -> NormalisedPhone:
    try:
        parsed = phonenumbers.parse(text, region, keep_raw_input=True)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidPhoneNumber("has a country code that does not exist") from exc
        if exc.error_type in (
            NumberParseException.TOO_SHORT_NSN,
            NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            raise InvalidPhoneNumber("is too short to be a phone number") from exc
        if exc.error_type == NumberParseException.TOO_LONG:
            raise InvalidPhoneNumber("is too long to be a phone number") from exc
        raise InvalidPhoneNumber("is not a phone number") from exc
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    country_assumed = parsed.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
    if possible in (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise InvalidPhoneNumber(_POSSIBLE_REASONS[possible])
    if possible != ValidationResult.IS_POSSIBLE or not phonenumbers.is_valid_number(parsed):
        if country_assumed:
            raise InvalidPhoneNumber(
                f"is not a valid {region} number (add the country code, e.g. +44, "
                "if it is from another country)"
            )
        if possible != ValidationResult.IS_POSSIBLE:
            raise InvalidPhoneNumber(_POSSIBLE_REASONS.get(possible, "is not a valid number"))
        raise InvalidPhoneNumber(f"is not a valid number for country code +{parsed.country_code}")
    return NormalisedPhone(
        raw=raw,
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        national_number=phonenumbers.national_significant_number(parsed),
        country_assumed=country_assumed,
        region=phonenumbers.region_code_for_number(parsed) or region,
    )


def incoming_number(raw: str) -> IncomingNumber:
    """Read any number RingCentral may send: E.164 with or without '+', a national format in the
    default region, an extension. Never raises."""
    raw = (raw or "").strip()[:MAX_RAW_LENGTH]
    digits = digits_of(raw)
    if not digits or digits in ANONYMOUS_DIGITS or _ALL_ZEROS.fullmatch(digits):
        return IncomingNumber(raw=raw, digits="", e164="", national_number="")
    candidates = [raw]
    if not raw.startswith("+") and len(digits) >= MIN_INTERNATIONAL_DIGITS:
        candidates.append("+" + digits)  # E.164 without its '+', as RingCentral sends in places
    if international := _international_00(raw):
        candidates.append(international)
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, default_region())
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return IncomingNumber(
                raw=raw,
                digits=digits,
                e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
                national_number=phonenumbers.national_significant_number(parsed),
            )
    return IncomingNumber(raw=raw, digits=digits, e164="", national_number="")


def format_international(e164: str) -> str:
    """'+16505550100' -> '+1 650-555-0100'; anything unparseable is returned as it is."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
