"""RingCentral list paging: `paging` + `navigation` blocks (CONTRACT §4.1)."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from sandbox.core.errors import invalid_parameter

MAX_PAGE = 1000  # the spec's Page parameter


def page_params(query, *, default_per_page: int = 100, max_per_page: int = 1000) -> tuple[int, int]:
    """Read `page` and `perPage` from the query (400 CMN-101 when not a number in range)."""
    page = page_param(query)
    per_page = _positive(query.get("perPage"), "perPage", default_per_page, max_per_page)
    return page, per_page


def page_param(query) -> int:
    """`page`: 1 to the spec's 1000 (400 CMN-101 otherwise); default 1."""
    return _positive(query.get("page"), "page", 1, MAX_PAGE)


def _positive(raw: str | None, name: str, default: int, maximum: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(name, raw) from None
    if value < 1 or (maximum is not None and value > maximum):
        raise invalid_parameter(name, raw)
    return value


def paginate(
    items: Sequence[Any],
    *,
    page: int,
    per_page: int,
    base_uri: str,
    query_items: list[tuple[str, str]],
    totals: bool = True,
) -> dict[str, Any]:
    """Slice `items` and build `uri`, `records`, `paging`, `navigation`. `query_items` are the
    request's query parameters other than page/perPage, kept in every navigation URI.

    `totals=False` leaves out `totalPages`, `totalElements` and `navigation.lastPage`, as the
    call log does ("May be omitted … due to performance reasons"; CONTRACT §7.1)."""
    total = len(items)
    total_pages = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    records = list(items[start : start + per_page])

    def uri(p: int) -> str:
        return f"{base_uri}?{urlencode([*query_items, ('page', p), ('perPage', per_page)])}"

    paging: dict[str, Any] = {"page": page, "perPage": per_page}
    if totals:
        paging["totalPages"] = total_pages
        paging["totalElements"] = total
    if records:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(records) - 1
    navigation: dict[str, Any] = {"firstPage": {"uri": uri(1)}}
    if page < total_pages:
        navigation["nextPage"] = {"uri": uri(page + 1)}
    if page > 1:
        navigation["previousPage"] = {"uri": uri(min(page - 1, total_pages))}
    if totals:
        navigation["lastPage"] = {"uri": uri(total_pages)}
    return {"uri": uri(page), "records": records, "paging": paging, "navigation": navigation}
