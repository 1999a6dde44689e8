"""AuditEvent rows are written by log_action and never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from .labels import label_for


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")

    def for_case(self, case_id: int) -> AuditEventQuerySet:
        return self.filter(case_id=case_id).select_related("actor", "referral")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The actor's role and agency when they acted (they may change later).
    actor_role = models.CharField(max_length=20, blank=True)
    actor_agency = models.CharField(max_length=30, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    referral = models.ForeignKey(
        "cases.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    # A change to a household's registration (its members, income, circumstances), which
    # belongs to no one case: the household's page lists these.
    household = models.ForeignKey(
        "households.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="audit_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")

    @property
    def label(self) -> str:
        return label_for(self.action)

    @property
    def due_change(self) -> tuple[str, str] | None:
        """(before, after) due times of a clock change, for the timeline."""

        def day(value: object) -> str:
            if not isinstance(value, str) or not value:
                return ""
            return f"{timezone.localtime(datetime.fromisoformat(value)):%Y-%m-%d}"

        before, after = (self.before or {}).get("due_at"), (self.after or {}).get("due_at")
        return (day(before), day(after)) if before or after else None
