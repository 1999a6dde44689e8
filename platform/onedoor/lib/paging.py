"""Pages of a long list read without counting it: newer / older links, no "page N of M".

Django's Paginator counts the whole filtered list for its "of M" (at 1M cases the audit log's
COUNT is most of the page's time); this reads one row more than a page to know whether
there is a next one. It offers what templates/_pager_countless.html uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Window:
    object_list: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# Beyond this page the link is no use to a reader, and the OFFSET grows dear: narrow the filters.
MAX_PAGE = 200


def window(rows: QuerySet[Any], size: int, page: Any) -> Window:
    """Page `page` (1 when not a number, at most MAX_PAGE) of an ordered queryset."""
    try:
        number = min(max(int(str(page)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * size
    read = list(rows[start : start + size + 1])
    return Window(object_list=read[:size], number=number, has_next=len(read) > size)
