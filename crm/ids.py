"""Database ids read from URLs and query strings.

Every primary key is a BigAutoField (DEFAULT_AUTO_FIELD), so an id is 1..2**63-1. Anything else
is turned away here, as a 404 or an ignored filter, before it can reach a query: SQLite raises
OverflowError for an integer past 64 bits, and some lookups pass it through unchecked.
"""

MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(text: str | None) -> int | None:
    """The id `text` names, or None when it is not one (blank, not ASCII digits, out of range)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    """`<id:pk>` in a URL: only ids a row can have match, so any other number is a 404."""

    regex = f"[0-9]{{1,{_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value!r} is not an id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)
