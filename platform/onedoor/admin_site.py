"""/admin/ is for the platform's administrators (superusers) alone.

Its pages list every county's time-limit rules, calendars, process instances and accounts, and
nothing there scopes a row to a county: a county's administrator (a staff account without
superuser rights) gets a page saying what they cannot do here and whom to ask, instead of
every county's data. Pages of their own, scoped to their county, are a later issue.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class OneDoorAdminSite(admin.AdminSite):
    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        """Every admin page, answering a number too large for Python's dates with a page.

        The change lists' date drill-down (`?day__year=99999999999999999999`) raised
        OverflowError, which Django's admin does not catch (it catches ValueError)."""
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return guarded(request, *args, **kwargs)
            except OverflowError:
                return render(request, "errors/out_of_range.html", status=400)

        return cast(_View, answer)

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.is_authenticated and not request.user.is_superuser:
            return render(request, "errors/admin_only.html", status=403)
        return super().login(request, extra_context)


class OneDoorAdminConfig(AdminConfig):
    default_site = "onedoor.admin_site.OneDoorAdminSite"
