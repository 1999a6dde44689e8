from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Agency


class Item(models.Model):
    """An assistance item and the agency kind responsible for it."""

    class Serves(models.TextChoices):
        """Whom an item is for: the intake pre-fills the members it names."""

        HOUSEHOLD = "", _("The household as a whole")
        STUDENT = "student", _("Students")
        DISABLED = "disabled", _("Members with a disability")
        SICK = "sick", _("Members with a serious illness")

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(_("Item name"), max_length=100)
    category = models.CharField(_("Category"), max_length=50)
    agency_kind = models.CharField(
        _("Responsible agency"), max_length=20, choices=Agency.Kind.choices
    )
    materials = models.JSONField(_("Materials needed"), default=list, blank=True)
    # Whether granting it pays money (a subsidy, an allowance): then "granted" feedback needs
    # the amount; an item that gives a service or goods needs a note of what was given.
    pays_money = models.BooleanField(
        _("Pays money"),
        default=False,
        help_text=_("Granting this item pays an amount of money, which the agency must report"),
    )
    serves = models.CharField(
        _("Serves"), max_length=20, choices=Serves.choices, default="", blank=True
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name

    def members_served(self, members: Iterable[Any]) -> list[Any]:
        """The members this item is for, by the catalogue's `serves` (none: the household)."""
        wanted: dict[str, Callable[[Any], bool]] = {
            self.Serves.STUDENT: lambda m: bool(m.in_school),
            self.Serves.DISABLED: lambda m: m.disability not in ("", "none"),
            self.Serves.SICK: lambda m: bool(m.serious_illness),
        }
        test = wanted.get(self.serves)
        return [m for m in members if test(m)] if test else []

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

    @property
    def limit_basis(self) -> str:
        """The handling limit's source where it cites a document that binds here, for what
        is printed to others (a referral slip); "" for county practice or another place's
        example, which are no basis to cite."""
        rule = self.time_limit("handle")
        return rule.source if rule and rule.cites_document else ""
