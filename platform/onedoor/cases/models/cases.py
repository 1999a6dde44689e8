"""The case at the window: the household's application, the items it asks for, and its reference.

The path a case takes lives in bpmn/one_door.bpmn; `Case.stage` and `stage_name` are projections
written in the engine's transaction (cases/projection.py), never set by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division, Staff
from onedoor.households.models import Household
from workflows.models import HumanTask, ProcessInstance

from .referrals import Referral

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SUBJECT_CASE = "case"


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> CaseQuerySet:
        """The one place that decides which cases a user may see."""
        staff: Staff | None = getattr(user, "staff", None) if user.is_authenticated else None
        if staff is None:
            return self.none()
        role = staff.role
        if role == Staff.Role.WINDOW:
            return self.filter(township=staff.division)
        if role == Staff.Role.VILLAGE_ASSISTANT:
            return self.filter(household__village=staff.division)
        if role == Staff.Role.AGENCY_OFFICER:
            assert staff.agency is not None
            # Referred to this agency now or at any point (a transfer keeps the sender's view).
            touched = HumanTask.objects.filter(
                subject_type=SUBJECT_CASE,
                subject_id=Cast(OuterRef("pk"), models.CharField()),
                candidate_group=staff.agency.code,
            )
            return self.filter(Exists(touched))
        # Coordinators, supervisors and administrators: their county.
        return self.filter(township__parent=staff.county)

    def matching(
        self,
        user: AbstractBaseUser | AnonymousUser,
        *,
        stage: str = "",
        item: str = "",
        agency: str = "",
        overdue: bool = False,
    ) -> CaseQuerySet:
        """The case list's filters (codes of an item and an agency) over the user's cases."""
        cases = self.visible_to(user)
        if stage:
            cases = cases.filter(stage=stage)
        # Filters on items and referrals are EXISTS, not joins: a join repeats a case once per
        # match and needs DISTINCT, which sorts every visible case before the first page shows;
        # without it the page is read in order from the (township, created_at) index.
        # Codes are looked up first (two small tables), so the EXISTS probes are index-only.
        if item:
            item_id = Item.objects.filter(code=item).values_list("pk", flat=True).first()
            cases = cases.filter(Exists(CaseItem.objects.filter(case=OuterRef("pk"), item=item_id)))
        if agency:
            agency_id = Agency.objects.filter(code=agency).values_list("pk", flat=True).first()
            cases = cases.filter(
                Exists(Referral.objects.filter(case=OuterRef("pk"), agency=agency_id))
            )
        if overdue:
            # Cases with an overdue referral the user can see: the few overdue referrals of the
            # scope come from their partial index (by township), instead of a probe per case.
            late = Referral.objects.visible_to(user).overdue(timezone.now())
            cases = cases.filter(pk__in=late.values("case_id"))
        return cases


class ConsentMethod(models.TextChoices):
    AT_INTAKE = "intake", _("Agreed at registration")
    SIGNED_FORM = "signed_form", _("Signed consent form")
    ON_BEHALF = "on_behalf", _("Given on the applicant's behalf")


class Case(models.Model):
    ConsentMethod = ConsentMethod

    class Channel(models.TextChoices):
        WALK_IN = "walk_in", _("At the window")
        ON_BEHALF = "on_behalf", _("Through the village (community) assistant")
        OUTREACH = "outreach", _("Found by outreach")

    reference = models.CharField(_("Reference"), max_length=30, unique=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases")
    applicant = models.ForeignKey("households.Member", on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(_("Application channel"), max_length=20, choices=Channel.choices)
    statement = models.TextField(_("Difficulties"), blank=True)
    first_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("First contact"),
    )
    consent_to_share = models.BooleanField(
        _("Consents to sharing information with the agencies"), default=False
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    # How consent was given (at intake, or recorded later: a signed form, or on the
    # applicant's behalf), by whom, and who recorded it when it came after registration.
    consent_method = models.CharField(
        _("How consent was given"), max_length=20, choices=ConsentMethod.choices, blank=True
    )
    consent_given_by = models.CharField(_("Consent given by"), max_length=50, blank=True)
    consent_note = models.TextField(_("Consent note"), blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    process = models.OneToOneField(
        ProcessInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Projection of the process: the BPMN id and name of the case-level step it stands at,
    # or of the end event it finished on.
    stage = models.CharField(max_length=100, blank=True)
    stage_name = models.CharField(max_length=100, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The id included: counting a township's cases that match a filter (the case
            # list's pager) reads the index alone, not a heap page per case (README "Scale").
            models.Index(
                fields=["township", "-created_at"],
                name="case_township_created_idx",
                include=["id"],
            ),
            # The case list's stage filter and its drop-down (the stages a township's cases
            # stand at) read this index alone.
            models.Index(
                fields=["township", "stage"],
                name="case_township_stage_idx",
                include=["stage_name"],
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CaseItem(models.Model):
    """An item the household asked for."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    # The members the item is for (none: the household as a whole).
    members = models.ManyToManyField(
        "households.Member",
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("item for members", "For"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "item"], name="case_item_unique")]

    def __str__(self) -> str:
        return str(self.item)

    @classmethod
    def names_for(cls, case_id: int) -> dict[int, str]:
        """Whom each requested item of a case is for, by item id (names, joined): one query
        for the items and one for their members."""
        rows = cls.objects.filter(case_id=case_id).prefetch_related("members")
        return {row.item_id: row.member_names for row in rows}

    @property
    def member_names(self) -> str:
        """Whom the item is for, for pages and slips (members prefetched by the caller)."""
        return pgettext("list separator", ", ").join(m.name for m in self.members.all())


class ReferenceCounter(models.Model):
    """Next sequence number of case references, per township and year."""

    township = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["township", "year"], name="reference_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.township.code}-{self.year}: {self.last}"


def next_reference(township: Division, year: int) -> str:
    """`<township code>-<year>-<seq>`, allocated under a row lock (no gaps from races)."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
        township=township, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{township.code}-{year}-{counter.last:05d}"
