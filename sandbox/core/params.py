"""Query parameters as RingCentral reads them: repeatable enums (`type=A&type=B` or `A,B`),
booleans (`true`/`false`) and ISO date-times; a bad value is 400 `CMN-101` naming the
parameter."""

from sandbox.core.clock import parse_iso
from sandbox.core.errors import invalid_parameter


def multi_values(query, name: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """A repeatable query parameter (`type=User&type=Department`, or comma-separated)."""
    values = [v for raw in query.getlist(name) for v in raw.split(",") if v]
    if allowed is not None:
        for value in values:
            if value not in allowed:
                raise invalid_parameter(name, value)
    return values


def bool_param(query, name: str, default: bool = False) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid_parameter(name, raw)
    return raw.lower() == "true"


def one_of(query, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    """An enum parameter (`view=Simple|Detailed`): the value, or `default` when absent."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise invalid_parameter(name, raw)
    return raw


def time_param(query, name: str) -> float | None:
    """An ISO 8601 date-time (or date) parameter as epoch seconds; None when absent."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise invalid_parameter(name, raw) from None


def kept_query(query, *dropped: str) -> list[tuple[str, str]]:
    """The request's query items without paging (and `dropped`), for navigation URIs."""
    skip = {"page", "perPage", *dropped}
    return [(k, v) for k, v in query.multi_items() if k not in skip]
