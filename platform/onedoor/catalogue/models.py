from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Agency


class Item(models.Model):
    """An assistance item and the agency kind responsible for it."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(_("Item name"), max_length=100)
    category = models.CharField(_("Category"), max_length=50)
    agency_kind = models.CharField(
        _("Responsible agency"), max_length=20, choices=Agency.Kind.choices
    )
    materials = models.JSONField(_("Materials needed"), default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name

    # Time limits are rules with sources and effective dates (deadlines.TimeLimitRule);
    # these read the rule in force today, for pages that show an item's limits.
    def time_limit(self, step: str) -> Any:
        """The rule in force today for a step, looked up once per item object (pages that list
        many items fill these in one query with `TimeLimitRule.objects.prime`)."""
        from onedoor.deadlines.models import TimeLimitRule

        known = self.__dict__.setdefault("_time_limits", {})
        if step not in known:
            known[step] = TimeLimitRule.objects.applicable(step, self, timezone.localdate())
        return known[step]

    @property
    def sign_days(self) -> int | None:
        rule = self.time_limit("sign")
        return rule.working_days if rule else None

    @property
    def handle_days(self) -> int | None:
        rule = self.time_limit("handle")
        return rule.working_days if rule else None

    @property
    def limit_source(self) -> str:
        rule = self.time_limit("handle")
        return rule.source if rule else ""
