"""Administrator pages for time-limit rules and calendar overrides; every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import IntegrityError, models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action

from .models import DUPLICATE_RULE, CalendarDay, CalendarYear, TimeLimitRule


def _snapshot(obj: models.Model) -> dict[str, Any]:
    return {k: str(v) if v is not None else None for k, v in model_to_dict(obj).items()}


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for each save and delete, in the same transaction."""

    audit_name = ""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The form's own checks name a duplicate; two submits at the same moment both pass
        them, and the database's constraint refuses the later one: that one is answered
        with the same words, and nothing of it is saved (its transaction rolled back)."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            self.message_user(request, self.duplicate_message(), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            )

    def duplicate_message(self) -> str:
        return _("This was already saved (the form was perhaps sent twice); nothing was changed")

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

    def duplicate_message(self) -> str:
        return str(DUPLICATE_RULE)

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
