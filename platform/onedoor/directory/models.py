"""Divisions (county → township → village), agencies, and staff scope."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """An administrative division: county, township/street, or village/community."""

    class Level(models.TextChoices):
        COUNTY = "county", _("County (city, district)")
        TOWNSHIP = "township", _("Township (street)")
        VILLAGE = "village", _("Village (community)")

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
        CIVIL_AFFAIRS = "civil", _("Civil affairs")
        EDUCATION = "education", _("Education")
        HEALTH = "health", _("Health")
        MEDICAL_SECURITY = "medical", _("Medical security")
        HOUSING = "housing", _("Housing and construction")
        HUMAN_RESOURCES = "hr", _("Human resources and social security")
        TRADE_UNION = "union", _("Trade union")
        DISABLED = "disabled", _("Disabled persons' federation")
        JUSTICE = "justice", _("Justice")
        CHARITY = "charity", _("Charity federation")

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="agencies")
    # The seed documents ask each member unit for these three.
    responsible_section = models.CharField(_("Responsible section"), max_length=100, blank=True)
    leader_in_charge = models.CharField(_("Leader in charge"), max_length=50, blank=True)
    contact_person = models.CharField(_("Contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("Phone"), max_length=30, blank=True)

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
        WINDOW = "window", _("Window staff")
        VILLAGE_ASSISTANT = "village", _("Village assistant")
        AGENCY_OFFICER = "agency", _("Agency officer")
        COORDINATOR = "coordinator", _("Joint-conference office")
        SUPERVISOR = "supervisor", _("Supervisor")
        ADMINISTRATOR = "admin", _("System administrator")

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
    is_agency_leader = models.BooleanField(_("Leader in charge"), default=False)

    class Meta:
        verbose_name = _("Staff member")
        verbose_name_plural = _("Staff")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="agency") | models.Q(agency__isnull=False),
                name="agency_officer_has_agency",
            )
        ]

    def __str__(self) -> str:
        name, title = self.display_name, self.title
        if name == title:  # an account named after its role ("系统管理员"), said once
            return name
        return gettext("%(name)s (%(role)s)") % {"name": name, "role": title}

    @property
    def title(self) -> str:
        """What the person is to others: the role, or for an agency's leader in charge that."""
        if self.is_agency_leader:
            return pgettext("staff title", "Leader in charge")
        return str(self.get_role_display())

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
