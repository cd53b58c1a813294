"""Query parameters as RingCentral reads them: repeatable lists (`type=A&type=B` or `A,B`),
booleans (`true`/`false`) and enums, each refused with 400 `CMN-101` naming the parameter."""

from sandbox.core.errors import invalid_parameter


def multi(query, name: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """A repeatable parameter (`type=User&type=Department`, or comma-separated)."""
    values = [v for raw in query.getlist(name) for v in raw.split(",") if v]
    if allowed is not None:
        for value in values:
            if value not in allowed:
                raise invalid_parameter(name, value)
    return values


def boolean(query, name: str, default: bool = False) -> bool:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid_parameter(name, raw)
    return raw.lower() == "true"


def one_of(query, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if raw not in allowed:
        raise invalid_parameter(name, raw)
    return raw


def kept_query(query, dropped: tuple[str, ...] = ("page", "perPage")) -> list[tuple[str, str]]:
    """The request's parameters to keep in navigation URIs (all but paging)."""
    return [(k, v) for k, v in query.multi_items() if k not in dropped]
