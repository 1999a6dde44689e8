"""The case list's filters, shared by its page and its Excel export (the same rows)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Case

FILTERS = ("stage", "item", "agency", "overdue")


def filters_of(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "") for name in FILTERS}


def matching(user: Any, filters: dict[str, str]) -> QuerySet[Case]:
    """The cases the user may see that match the filters (Case.objects.matching)."""
    return Case.objects.matching(
        user,
        stage=filters["stage"],
        item=filters["item"],
        agency=filters["agency"],
        overdue=bool(filters["overdue"]),
    )


def query_of(filters: dict[str, str]) -> str:
    """The filters as a query string, for the export link beside the rows they chose."""
    return urlencode({name: value for name, value in filters.items() if value})
