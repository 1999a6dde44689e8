"""Divisions (county → township → village), agencies, and staff scope."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """An administrative division: county, township/street, or village/community."""

    class Level(models.TextChoices):
        COUNTY = "county", _("县（市、区）")
        TOWNSHIP = "township", _("乡镇（街道）")
        VILLAGE = "village", _("村（社区）")

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=100)
    level = models.CharField(max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def county(self) -> Division:
        node = self
        while node.level != self.Level.COUNTY and node.parent is not None:
            node = node.parent
        return node

    @property
    def township(self) -> Division | None:
        if self.level == self.Level.TOWNSHIP:
            return self
        if self.level == self.Level.VILLAGE:
            return self.parent
        return None


class Agency(models.Model):
    """A member agency of the county's joint conference, which receives referrals."""

    class Kind(models.TextChoices):
        CIVIL_AFFAIRS = "civil", _("民政")
        EDUCATION = "education", _("教育")
        HEALTH = "health", _("卫健")
        MEDICAL_SECURITY = "medical", _("医保")
        HOUSING = "housing", _("住建")
        HUMAN_RESOURCES = "hr", _("人社")
        TRADE_UNION = "union", _("工会")
        DISABLED = "disabled", _("残联")
        JUSTICE = "justice", _("司法")
        CHARITY = "charity", _("慈善会")

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="agencies")
    # The seed documents ask each member unit for these three.
    responsible_section = models.CharField(_("责任科室"), max_length=100, blank=True)
    leader_in_charge = models.CharField(_("分管领导"), max_length=50, blank=True)
    contact_person = models.CharField(_("联络员"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "kind"], name="agency_kind_per_county")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_charity(self) -> bool:
        """A referral to a charity is 转介 rather than 转办."""
        return self.kind == self.Kind.CHARITY


class Staff(models.Model):
    """A user's role and the scope it applies to (one row per user)."""

    class Role(models.TextChoices):
        WINDOW = "window", _("窗口工作人员")
        VILLAGE_ASSISTANT = "village", _("村（居）协理员")
        AGENCY_OFFICER = "agency", _("部门经办人")
        COORDINATOR = "coordinator", _("联席会议办公室")
        SUPERVISOR = "supervisor", _("监督人员")
        ADMINISTRATOR = "admin", _("系统管理员")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # The division the role works in: township for window staff, village for assistants,
    # county for agency officers, coordinators, supervisors and administrators.
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="staff")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    phone = models.CharField(max_length=30, blank=True)
    # An agency's leader in charge (分管领导) receives level-2 督办.
    is_agency_leader = models.BooleanField(_("分管领导"), default=False)

    class Meta:
        verbose_name_plural = "staff"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="agency") | models.Q(agency__isnull=False),
                name="agency_officer_has_agency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name}（{self.get_role_display()}）"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def county(self) -> Division:
        return self.division.county

    @property
    def sees_personal_data(self) -> bool:
        """Full ID numbers and incomes: the window and village staff who register households,
        and the agency officer while handling (decided per referral in the views' helpers)."""
        return self.role in {self.Role.WINDOW, self.Role.VILLAGE_ASSISTANT}
