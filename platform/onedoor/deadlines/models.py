"""The data behind time limits: calendar overrides and the time-limit rules with their sources.

National rules rarely fix numbers of days and provinces differ (POLICY-NOTES.md), so every
number here is data an administrator edits, with the document it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Division


class CalendarDay(models.Model):
    """A day that differs from the official calendar: a local closure, or a year entered by hand."""

    day = models.DateField(_("Date"))
    # None: everywhere on the platform; a county: that county only (a local closure).
    county = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
        verbose_name=_("Applies to county (city, district)"),
    )
    is_workday = models.BooleanField(_("Working day"))
    note = models.CharField(_("Note"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("Calendar adjustment")
        verbose_name_plural = _("Calendar adjustments")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "county"],
                name="calendar_day_unique_county",
                condition=Q(county__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["day"], name="calendar_day_unique_all", condition=Q(county__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        if self.is_workday:
            return gettext("%(day)s working day (%(note)s)") % {"day": self.day, "note": self.note}
        return gettext("%(day)s day off (%(note)s)") % {"day": self.day, "note": self.note}


class CalendarYear(models.Model):
    """A year whose holidays and 调休 days an administrator has entered by hand (CalendarDay).

    Counting working days in a year the `chinesecalendar` package does not know is only
    trustworthy once its holidays are entered; this row says they are.
    """

    year = models.PositiveSmallIntegerField(_("Year"), unique=True)
    source = models.CharField(_("Source"), max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("Year calendar entered by hand")
        verbose_name_plural = _("Year calendars entered by hand")

    def __str__(self) -> str:
        return gettext("%(year)s (%(source)s)") % {"year": self.year, "source": self.source}


class TimeLimitRuleQuerySet(models.QuerySet["TimeLimitRule"]):
    def in_force(self, on: date) -> TimeLimitRuleQuerySet:
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on), effective_from__lte=on
        )

    def applicable(self, step: str, item: Item | None, on: date) -> TimeLimitRule | None:
        """The rule for a step: the item's own if it has one in force, else the general one."""
        rules = self.in_force(on).filter(step=step)
        if item is not None:
            own = rules.filter(item=item).order_by("-effective_from", "-pk").first()
            if own is not None:
                return own
        return rules.filter(item__isnull=True).order_by("-effective_from", "-pk").first()

    def prime(self, items: Iterable[Item], step: str, on: date) -> list[Item]:
        """Look up the rule in force for each item in one query, and remember it on the item
        (`Item.time_limit`), so a page listing items asks the database once, not per row."""
        items = list(items)
        rules = list(
            self.in_force(on)
            .filter(step=step)
            .filter(Q(item__in=items) | Q(item__isnull=True))
            .order_by("-effective_from", "-pk")
        )
        general = next((r for r in rules if r.item_id is None), None)
        for item in items:
            own = next((r for r in rules if r.item_id == item.pk), None)
            item.__dict__.setdefault("_time_limits", {})[step] = own or general
        return items


DUPLICATE_RULE = _(
    "A time-limit rule for this item and step taking effect on this date already exists "
    "(the form was perhaps sent twice); change that rule instead. Nothing was saved"
)


class TimeLimitRule(models.Model):
    class Step(models.TextChoices):
        ACCEPT = "accept", _("Acceptance review")
        SIGN = "sign", _("Sign for")
        HANDLE = "handle", _("Handle and report back")
        NOTIFY = "notify", _("Notify the applicant")

    class SourceLevel(models.TextChoices):
        NATIONAL = "national", _("National rule")
        LOCAL = "local", _("Local rule")
        # Another place's published rule, borrowed as a starting number: not a basis here.
        EXAMPLE = "example", _("Example from another place")
        PRACTICE = "practice", _("County practice")

    # None: the general rule for the step, used when an item has none of its own.
    item = models.ForeignKey(
        Item,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_limits",
        verbose_name=_("Item"),
    )
    step = models.CharField(_("Step"), max_length=10, choices=Step.choices)
    working_days = models.PositiveSmallIntegerField(_("Time limit (working days)"))
    remind_days_before = models.PositiveSmallIntegerField(
        _("Remind before (working days)"), default=1
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("Escalate after overdue (working days)"), default=3
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("Longest extension (working days)"), default=0
    )
    source = models.CharField(_("Source"), max_length=200)
    source_level = models.CharField(
        _("Source level"), max_length=10, choices=SourceLevel.choices, default=SourceLevel.PRACTICE
    )
    effective_from = models.DateField(_("Effective from"))
    effective_to = models.DateField(_("Effective until"), null=True, blank=True)

    objects = TimeLimitRuleQuerySet.as_manager()

    class Meta:
        ordering = ["item__code", "step", "-effective_from"]
        verbose_name = _("Time-limit rule")
        verbose_name_plural = _("Time-limit rules")
        indexes = [models.Index(fields=["step", "item", "effective_from"], name="rule_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="rule_effective_range",
            ),
            # One rule per item, step and start date (the general rule: per step and date):
            # a second is the same rule submitted twice, or a change meant for the first.
            models.UniqueConstraint(
                fields=["item", "step", "effective_from"],
                condition=Q(item__isnull=False),
                name="rule_one_per_item_step_start",
                violation_error_message=DUPLICATE_RULE,
            ),
            models.UniqueConstraint(
                fields=["step", "effective_from"],
                condition=Q(item__isnull=True),
                name="rule_one_general_per_step_start",
                violation_error_message=DUPLICATE_RULE,
            ),
        ]

    def __str__(self) -> str:
        what = self.item.name if self.item else gettext("All items")
        return ngettext(
            "%(what)s · %(step)s · %(days)s working day",
            "%(what)s · %(step)s · %(days)s working days",
            self.working_days,
        ) % {"what": what, "step": self.get_step_display(), "days": self.working_days}

    @property
    def cites_document(self) -> bool:
        """Whether the source is a document that binds here (a national rule or one of this
        place's own), which a slip may print as the basis. County practice and other cities'
        examples are defaults an administrator set, not a basis to cite to anyone."""
        return self.source_level in {self.SourceLevel.NATIONAL, self.SourceLevel.LOCAL}
