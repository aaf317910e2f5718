"""Page pagination shared by the API and the pages: one COUNT plus one page query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from pmloop.core.errors import InvalidInput

MAX_PAGE_SIZE = 200


@dataclass
class Page:
    items: list[Any]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(queryset: Any, *, page: int = 1, page_size: int = 50) -> Page:
    if page < 1:
        raise InvalidInput(_("page must be 1 or more"), field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            _("page_size must be between 1 and %(n)s") % {"n": MAX_PAGE_SIZE}, field="page_size"
        )
    paginator = Paginator(queryset, page_size)
    count = paginator.count
    offset = (page - 1) * page_size
    items = list(queryset[offset : offset + page_size]) if offset < count else []
    return Page(items=items, count=count, page=page, page_size=page_size)
