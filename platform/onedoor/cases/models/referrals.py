"""Referrals (转办/转介) of a case's items to agencies, and what happens to them: 督办 notices,
clock changes (extensions, suspensions) and handovers (returns, transfers).

`Referral.current_task`, `agency`, `step` and `due_at` are projections of the referral's BPMN
task, written in the engine's transaction (cases/projection.py), never set by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Case as Choose
from django.db.models import Count, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division, Staff
from workflows.models import HumanTask

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> ReferralQuerySet:
        staff: Staff | None = getattr(user, "staff", None) if user.is_authenticated else None
        if staff is not None and staff.role == Staff.Role.AGENCY_OFFICER:
            assert staff.agency is not None
            # A referral's tasks are its case's (subject "case": the one-door process and a
            # referral's own process alike), so they are looked up by the case's subject index
            # and then by the referral id in their properties, not by a scan of every task.
            touched = HumanTask.objects.annotate(rid=KT("properties__referralId")).filter(
                subject_type="case",
                subject_id=Cast(OuterRef("case_id"), models.CharField()),
                rid=Cast(OuterRef("pk"), models.CharField()),
                candidate_group=staff.agency.code,
            )
            return self.filter(Q(agency=staff.agency) | Exists(touched))
        if staff is not None and staff.role == Staff.Role.WINDOW:
            return self.filter(township=staff.division)
        if staff is not None and staff.role in {
            Staff.Role.COORDINATOR,
            Staff.Role.SUPERVISOR,
            Staff.Role.ADMINISTRATOR,
        }:
            # The referral carries its case's township, so a county's open referrals are read
            # from their own index, not by enumerating the county's cases (README "Scale").
            return self.filter(township__parent=staff.county)
        if staff is not None and staff.role == Staff.Role.VILLAGE_ASSISTANT:
            # As CaseQuerySet.visible_to: the cases of the households of the village.
            return self.filter(case__household__village=staff.division)
        return self.none()

    def open(self) -> ReferralQuerySet:
        return self.filter(current_task__isnull=False)

    def in_agency_hands(self) -> ReferralQuerySet:
        """Open referrals still the agency's: not the ones it returned, which wait at the
        window to be referred again (`BACK_AT_WINDOW_STEPS`) and are no work of the agency's.
        A referral waiting for an extension decision or for missing materials stays: it comes
        back to the same agency with its clock."""
        return self.open().exclude(current_task__bpmn_id__in=BACK_AT_WINDOW_STEPS)

    def overdue(self, now: Any = None) -> ReferralQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def inbox_counts(self, now: datetime, soon: datetime) -> dict[str, int]:
        """How many open referrals each inbox view holds (its tabs), in one statement read
        from the open-referral index."""
        return self.in_agency_hands().aggregate(
            **{
                name: Count("id", filter=condition)
                for name, condition in _inbox_views(now, soon).items()
            }
        )

    def inbox(self, show: str, now: datetime, soon: datetime) -> ReferralQuerySet:
        """One inbox view of open referrals (`INBOX_VIEWS`), due first, each row with its
        `urgency` ("overdue", "soon" or "") so the page need not compare dates."""
        return (
            self.in_agency_hands()
            .filter(_inbox_views(now, soon)[show])
            .select_related("case__township", "case__applicant", "item", "current_task")
            # Long texts and the task's JSON no row shows: ~a third of reading 50 rows.
            .defer(*UNLISTED_CASE_FIELDS, "current_task__properties")
            .with_notice_counts()
            .annotate(
                urgency=Choose(
                    When(due_at__lt=now, then=Value("overdue")),
                    When(due_at__lt=soon, then=Value("soon")),
                    default=Value(""),
                    output_field=models.CharField(),
                )
            )
            .order_by("due_at", "referred_at", "pk")
        )

    def by_agency(self, now: datetime) -> models.QuerySet[Any, Any]:
        """Open and overdue referrals per agency, the most overdue first (the board)."""
        return (
            self.open()
            .values("agency__name", "agency__code")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
            .order_by("-overdue", "agency__code")
        )

    def by_township(self, now: datetime) -> models.QuerySet[Any, Any]:
        """Open and overdue referrals per township, read by township from their partial
        index (Referral.township), never through the cases."""
        return (
            self.open()
            .values("township__name", "township__code")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
            .order_by("-overdue", "township__name")
        )

    def awaiting_extension_decision(self) -> ReferralQuerySet:
        return self.open().filter(current_task__bpmn_id="approve_extension")

    def with_notice_counts(self) -> ReferralQuerySet:
        """`notices` (督办 raised) and `unanswered` per referral, as subqueries: unlike a join
        with GROUP BY they let a LIMIT stop the scan at the first page."""
        notices = SupervisionNotice.objects.filter(referral=OuterRef("pk")).order_by()
        count = Func(F("id"), function="COUNT")
        return self.annotate(
            notices=Subquery(notices.values(n=count)),
            unanswered=Subquery(notices.filter(answered_at__isnull=True).values(n=count)),
        )

    def promise_broken(self) -> ReferralQuerySet:
        """Still open after the date the agency promised in answer to a 督办."""
        promised = SupervisionNotice.objects.filter(
            referral=OuterRef("pk"), promised_date__lt=timezone.localdate()
        )
        return self.open().filter(Exists(promised))


# Steps of a referral's process that stand at the window after the agency handed it back
# (the BPMN ids of bpmn/one_door.bpmn): the referral keeps naming the agency it left until it
# is referred again, but it is no longer in that agency's inbox.
BACK_AT_WINDOW_STEPS = ("reroute_referral",)

# The inbox's views of an agency's open referrals (its `show` parameter), in tab order.
INBOX_VIEWS = ("all", "overdue", "soon", "unanswered")


def _inbox_views(now: datetime, soon: datetime) -> dict[str, Q]:
    unanswered = Exists(
        SupervisionNotice.objects.filter(referral=OuterRef("pk"), answered_at__isnull=True)
    )
    return {
        "all": Q(),
        "overdue": Q(due_at__lt=now),
        "soon": Q(due_at__gte=now, due_at__lt=soon),
        "unanswered": Q(unanswered),
    }


# What lists of referrals never show of the cases they join (the inbox, the board's list):
# deferred, so a page of 50 rows does not read and decode them.
UNLISTED_CASE_FIELDS = ("case__statement", "case__consent_note", "case__consent_given_by")


class Referral(models.Model):
    """One requested item sent to one agency (转办; 转介 when the agency is a charity)."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Assistance granted")
        REFUSED = "refused", _("Assistance refused")
        SERVICE_GIVEN = "service", _("Service provided")
        REFERRED_ON = "referred_on", _("Referred to another channel")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    # The case's township, copied when the referral is made (a case never changes township):
    # the board and figures scope and group open referrals by it without joining the cases.
    township = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", editable=False
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    # Indexed with the case (referral_agency_case_idx), which serves lookups by agency alone.
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals", db_index=False
    )
    referred_at = models.DateTimeField(default=timezone.now)
    # Projection of the referral's open BPMN task (None once it is back or withdrawn).
    current_task = models.OneToOneField(
        HumanTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    step = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # Projections of the clocks (the latest sign-for and handling due times, after any
    # extension or suspension), kept after the step ends so figures can tell on-time work.
    sign_due_at = models.DateTimeField(null=True, blank=True)
    handle_due_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The officer handling it (承办人): who signed for it, or whom the agency's leader in charge
    # gave it to since (assignment.reassign_referral); none while it waits to be signed for.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Officer in charge"),
    )
    # 0: not escalated; 1: level-1 督办 raised at the due date; 2: level 2 to the leader in charge.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    returns = models.PositiveSmallIntegerField(default=0)
    transfers = models.PositiveSmallIntegerField(default=0)
    # Feedback (反馈).
    outcome = models.CharField(_("Outcome"), max_length=20, choices=Outcome.choices, blank=True)
    amount_fen = models.PositiveIntegerField(_("Assistance amount (fen)"), null=True, blank=True)
    note = models.TextField(_("Note"), blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    # Working days from referral to feedback, on the official calendar (figures read it).
    working_days_taken = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["case", "id"]
        indexes = [
            models.Index(fields=["agency", "due_at"], name="referral_agency_due_idx"),
            # Open referrals are a few percent of all (README "Scale"): partial indexes keep
            # the inbox (an agency's, by due date) and the board and overdue filter (a
            # county's or township's cases, by due date) off the closed history.
            models.Index(
                fields=["agency", "due_at", "referred_at"],
                name="referral_open_agency_due_idx",
                condition=Q(current_task__isnull=False),
            ),
            models.Index(
                fields=["case", "due_at"],
                name="referral_open_case_due_idx",
                condition=Q(current_task__isnull=False),
            ),
            models.Index(
                fields=["township", "due_at"],
                name="referral_open_township_due_idx",
                condition=Q(current_task__isnull=False),
            ),
            # The case list's agency filter: which cases an agency has, read from the index.
            models.Index(fields=["agency", "case"], name="referral_agency_case_idx"),
            # The supervision figures' cohort: a county's referrals received in a period.
            models.Index(fields=["township", "referred_at"], name="referral_township_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} · {self.item} → {self.agency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.township_id is None:
            self.township_id = self.case.township_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.current_task_id is not None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def kind_label(self) -> str:
        """转介 to a charity, 转办 to a government agency (a noun inside sentences)."""
        if self.agency.is_charity:
            return pgettext("referral kind", "onward referral")
        return pgettext("referral kind", "referral")


class SupervisionNotice(models.Model):
    """督办: a late referral chased, by the process itself (issued_by None) or a coordinator.

    The agency must answer with a reason and a promised date, which is tracked in turn.
    """

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="supervision_notices"
    )
    level = models.PositiveSmallIntegerField(default=1)
    # The step that was late (sign / handle), and its due time when the notice was raised.
    step = models.CharField(max_length=10, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(_("Supervision remarks"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    # The agency's answer (督办回复).
    answer = models.TextField(_("Reason for the delay"), blank=True)
    promised_date = models.DateField(_("Promised completion date"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [
            models.Index(
                fields=["promised_date"],
                name="notice_promise_idx",
                condition=Q(answered_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return gettext("Supervision of %(referral)s") % {"referral": self.referral}

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def promise_broken(self) -> bool:
        """Promised date passed and the referral still open."""
        return (
            self.promised_date is not None
            and self.promised_date < timezone.localdate()
            and self.referral.is_open
        )


class ClockChange(models.Model):
    """A lawful change to a running clock: extension (延期) or suspension (补正材料中止)."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Extension")
        SUSPENSION = "suspension", _("Missing materials (clock stopped)")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="clock_changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(_("Reason"))
    days = models.PositiveSmallIntegerField(_("Working days added"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # Extensions: the coordinator's decision. Suspensions: who received the materials.
    approved = models.BooleanField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.referral}"

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None


class Handover(models.Model):
    """A referral an agency sent on: returned to the window (退回) or transferred (移交).

    `Referral.agency` moves on to the next agency, so the figures credit returns and
    transfers to `from_agency`, the one that sent the work on, from these rows.
    """

    class Kind(models.TextChoices):
        RETURN = "return", _("Returned")
        TRANSFER = "transfer", _("Transferred")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="handovers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("Reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.referral_id} {self.from_agency_id}"
