"""The data behind time limits: calendar overrides and the time-limit rules with their sources.

National rules rarely fix numbers of days and provinces differ (POLICY-NOTES.md), so every
number here is data an administrator edits, with the document it comes from.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Division


class CalendarDay(models.Model):
    """A day that differs from the official calendar: a local closure, or a year entered by hand."""

    day = models.DateField(_("日期"))
    # None: everywhere on the platform; a county: that county only (a local closure).
    county = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
        verbose_name=_("适用县（市、区）"),
    )
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
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
        kind = "工作日" if self.is_workday else "休息日"
        return f"{self.day} {kind}（{self.note}）"


class CalendarYear(models.Model):
    """A year whose holidays and 调休 days an administrator has entered by hand (CalendarDay).

    Counting working days in a year the `chinesecalendar` package does not know is only
    trustworthy once its holidays are entered; this row says they are.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("手工录入的年度日历")
        verbose_name_plural = _("手工录入的年度日历")

    def __str__(self) -> str:
        return f"{self.year}（{self.source}）"


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


class TimeLimitRule(models.Model):
    class Step(models.TextChoices):
        ACCEPT = "accept", _("受理审查")
        SIGN = "sign", _("签收")
        HANDLE = "handle", _("办理并反馈")
        NOTIFY = "notify", _("告知申请人")

    class SourceLevel(models.TextChoices):
        NATIONAL = "national", _("国家规定")
        LOCAL = "local", _("地方规定")
        PRACTICE = "practice", _("本县惯例")

    # None: the general rule for the step, used when an item has none of its own.
    item = models.ForeignKey(
        Item,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_limits",
        verbose_name=_("事项"),
    )
    step = models.CharField(_("环节"), max_length=10, choices=Step.choices)
    working_days = models.PositiveSmallIntegerField(_("时限（工作日）"))
    remind_days_before = models.PositiveSmallIntegerField(_("提前催办（工作日）"), default=1)
    escalate_after_days = models.PositiveSmallIntegerField(_("逾期后升级督办（工作日）"), default=3)
    max_extension_days = models.PositiveSmallIntegerField(_("最多可延长（工作日）"), default=0)
    source = models.CharField(_("依据"), max_length=200)
    source_level = models.CharField(
        _("依据层级"), max_length=10, choices=SourceLevel.choices, default=SourceLevel.PRACTICE
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    objects = TimeLimitRuleQuerySet.as_manager()

    class Meta:
        ordering = ["item__code", "step", "-effective_from"]
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        indexes = [models.Index(fields=["step", "item", "effective_from"], name="rule_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="rule_effective_range",
            )
        ]

    def __str__(self) -> str:
        what = self.item.name if self.item else "通用"
        return f"{what} · {self.get_step_display()} · {self.working_days} 个工作日"
