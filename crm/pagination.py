"""Pages of long lists without counting every row.

An exact COUNT(*) over a million calls or contacts costs more than the page it labels. The
lists count up to COUNT_LIMIT rows; past that they say "more than 10,000" and page on: whether
a next page exists is read from the page itself (one row more than it shows).
"""

from collections.abc import Sequence
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet

COUNT_LIMIT = 10_000
# From this offset on, a page's ids are found first and only its own rows are joined.
DEFERRED_JOIN_OFFSET = 1_000


class CappedPage(Page):
    def __init__(
        self,
        object_list: Sequence[Any],
        number: int,
        paginator: Paginator,
        *,
        has_more: bool | None = None,
    ) -> None:
        super().__init__(object_list, number, paginator)
        self._has_more = has_more

    def has_next(self) -> bool:
        if self._has_more is None:
            return super().has_next()
        return self._has_more

    def end_index(self) -> int:
        if self._has_more is None:
            return super().end_index()
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class CappedPaginator(Paginator):
    """A Paginator of a queryset that counts at most `count_limit` rows.

    Below the limit it is Django's Paginator. Past it, `count_capped` is True, `count` is the
    limit and `num_pages` the pages it fills; any later page still opens (its rows are read with
    one more, to know whether another follows). A page number past the end is the one case that
    counts every row, to send the reader to the real last page.

    `count_in_order` counts the first rows in the list's order rather than any rows: for lists
    whose filters and order share an index (the logs, by time). Unordered, PostgreSQL may
    read a date range's rows with a sequential scan from the wrong end of the table, assuming
    they are spread evenly (130 ms for a week of a million calls, instead of 6).
    """

    object_list: QuerySet[Any]

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        *,
        count_limit: int | None = None,
        count_in_order: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.count_limit = count_limit or COUNT_LIMIT
        self.count_in_order = count_in_order
        self._count: int | None = None
        self.count_capped = False

    @property
    def count(self) -> int:
        if self._count is None:
            rows = self.object_list if self.count_in_order else self.object_list.order_by()
            counted = rows[: self.count_limit + 1].count()
            self.count_capped = counted > self.count_limit
            self._count = min(counted, self.count_limit)
        return self._count

    @property
    def count_label(self) -> str:
        """The count as the page shows it: exact, or "more than 10,000"."""
        count = self.count
        return f"more than {self.count_limit:,}" if self.count_capped else str(count)

    @property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, -(-self.count // self.per_page))

    def validate_number(self, number: int | float | str) -> int:
        self.count  # noqa: B018 - sets count_capped, which decides how the number is checked
        if not self.count_capped:
            return super().validate_number(number)
        try:
            return super().validate_number(number)
        except EmptyPage:
            if int(number) < 1:
                raise
            return int(number)  # past the counted pages: `page` finds out whether it exists

    def get_page(self, number: int | float | str | None) -> Page:
        try:
            return super().get_page(number)
        except EmptyPage:  # past the end of a capped list: now counted, its real last page
            return self.page(self.num_pages)

    def page(self, number: int | float | str) -> Page:
        number = self.validate_number(number)
        if not self.count_capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = self._slice(bottom, self.per_page + 1)
        if not rows:
            self._count, self.count_capped = self.object_list.count(), False
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)

    def _slice(self, bottom: int, size: int) -> list[Any]:
        """Rows bottom to bottom + size. Deep in a list, OFFSET walks the ids alone; with the
        select_related joins, PostgreSQL would join every skipped row (200 ms at row 50,000 of
        a million contacts)."""
        if bottom < DEFERRED_JOIN_OFFSET:
            return list(self.object_list[bottom : bottom + size])
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + size])
        return list(self.object_list.filter(pk__in=ids)) if ids else []
