"""Administrator pages for time-limit rules and calendar overrides; every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest

from onedoor.audit.actions import log_action

from .models import CalendarDay, CalendarYear, TimeLimitRule


def _snapshot(obj: models.Model) -> dict[str, Any]:
    return {k: str(v) if v is not None else None for k, v in model_to_dict(obj).items()}


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for each save and delete, in the same transaction."""

    audit_name = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            log_action(
                f"{self.audit_name}.{'changed' if change else 'added'}",
                actor=request.user,  # type: ignore[arg-type]
                before=before,
                after=_snapshot(obj),
                data={"id": obj.pk, "object": str(obj)},
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            log_action(
                f"{self.audit_name}.deleted",
                actor=request.user,  # type: ignore[arg-type]
                before=_snapshot(obj),
                data={"id": obj.pk, "object": str(obj)},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(AuditedAdmin):
    audit_name = "time_limit_rule"
    list_display = [
        "item",
        "step",
        "working_days",
        "remind_days_before",
        "escalate_after_days",
        "max_extension_days",
        "source_level",
        "source",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["step", "source_level", "item__category"]
    search_fields = ["item__name", "source"]
    list_select_related = ["item"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    audit_name = "calendar_day"
    list_display = ["day", "is_workday", "county", "note"]
    list_filter = ["is_workday", "county"]
    date_hierarchy = "day"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    audit_name = "calendar_year"
    list_display = ["year", "source", "entered_by", "entered_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)
