from __future__ import annotations

from typing import Any

from django.db import models
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

    # Time limits are rules with sources and effective dates (deadlines.TimeLimitRule, an app
    # above this one). A page that shows items' limits looks them up first, for all its items
    # in one query, with `TimeLimitRule.objects.prime(items, step, day)`; these read them.
    def time_limit(self, step: str) -> Any:
        """The rule primed for a step (None: no rule applies)."""
        known = self.__dict__.get("_time_limits", {})
        if step not in known:
            raise LookupError(
                f"{self.code}: the {step!r} time limit was not looked up; "
                "call TimeLimitRule.objects.prime() on the items first"
            )
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
