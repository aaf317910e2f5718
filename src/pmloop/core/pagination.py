"""Page pagination shared by the API and the pages: one COUNT plus one page query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from pmloop.core.errors import InvalidInput

MAX_PAGE_SIZE = 200


SEARCH_COUNT_LIMIT = 1000
"""Lists filtered by a text search count their matches up to this many. A common word can match
tens of thousands of rows, and counting them all cost 18 ms of a 25 ms search at 100k
requirements; nobody pages past the first thousand hits of a search (they refine it)."""


def count_limit_for(q: str | None) -> int | None:
    """The count limit of a list filtered by the text ``q`` (None: count every row)."""
    return SEARCH_COUNT_LIMIT if q and q.strip() else None


@dataclass
class Page:
    items: list[Any]
    count: int
    page: int
    page_size: int
    count_capped: bool = False
    """True when more rows match than ``count`` (then exactly the count limit)."""

    @property
    def count_label(self) -> str:
        """``1000+`` when the count was capped, else the count."""
        return f"{self.count}+" if self.count_capped else str(self.count)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def statuses_total(counts: dict[str, int], statuses: list[str]) -> int:
    """How many rows the status tabs ``counts`` hold for ``statuses`` (none given: all of them),
    the count of a list page filtered by those statuses under the tabs' other filters."""
    return sum(counts.get(s, 0) for s in statuses) if statuses else sum(counts.values())


Counter = Callable[[int], int]
"""``counter(n)`` → how many rows the list holds, counting at most ``n``."""


def paginate(
    queryset: Any,
    *,
    page: int = 1,
    page_size: int = 50,
    count_limit: int | None = None,
    counter: Counter | None = None,
    total: int | None = None,
) -> Page:
    """One page of ``queryset``. With ``count_limit``, rows are counted only up to that many
    (``count_capped`` says there are more) and pages end there; ``counter`` then counts them
    instead of the queryset (a cheaper way to the same number, e.g. from the search index).
    ``total``: the number of rows is already known (e.g. the sum of the status tabs the page
    shows, counted with the same filters), so nothing is counted."""
    if page < 1:
        raise InvalidInput(_("page must be 1 or more"), field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            _("page_size must be between 1 and %(n)s") % {"n": MAX_PAGE_SIZE}, field="page_size"
        )
    if count_limit is None:
        count = total if total is not None else Paginator(queryset, page_size).count
        capped = False
    else:
        if total is not None:
            count = min(total, count_limit + 1)
        elif counter is not None:
            count = counter(count_limit + 1)
        else:
            count = queryset[: count_limit + 1].count()
        capped = count > count_limit
        count = min(count, count_limit)
    offset = (page - 1) * page_size
    end = min(offset + page_size, count) if capped else offset + page_size
    items = list(queryset[offset:end]) if offset < count else []
    return Page(items=items, count=count, page=page, page_size=page_size, count_capped=capped)
