"""/admin/ is for the platform's administrators (superusers) alone.

Its pages list every county's time-limit rules, calendars, process instances and accounts, and
nothing there scopes a row to a county: a county's administrator (a staff account without
superuser rights) gets a page saying what they cannot do here and whom to ask, instead of
every county's data. Pages of their own, scoped to their county, are a later issue.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.shortcuts import render


class OneDoorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.is_authenticated and not request.user.is_superuser:
            return render(request, "errors/admin_only.html", status=403)
        return super().login(request, extra_context)


class OneDoorAdminConfig(AdminConfig):
    default_site = "onedoor.admin_site.OneDoorAdminSite"
