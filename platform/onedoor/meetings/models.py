"""The county joint conference (联席会议): its members, meetings, topics and decisions.

A meeting's cycle lives in bpmn/joint_meeting.bpmn; `Meeting.stage` follows the process
(meetings/projection.py), never set by hand. Topics are proposed by rules over the cases'
projections (meetings/topics.py); decisions flow back into the cases (meetings/effects.py).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from workflows.models import ProcessInstance

SUBJECT_MEETING = "meeting"
SUBJECT_DECISION = "decision"


class Conference(models.Model):
    """One county's joint conference, and the thresholds of its topic rules."""

    county = models.OneToOneField(Division, on_delete=models.PROTECT, related_name="conference")
    convenor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Convenor"),
    )
    # Topic rules (议题来源): each threshold an administrator or the office can set.
    overdue_days = models.PositiveSmallIntegerField(
        _("Overdue by at least (working days)"), default=10
    )
    handovers = models.PositiveSmallIntegerField(
        _("Returned or transferred at least (times)"), default=2
    )
    on_time_percent = models.PositiveSmallIntegerField(
        _("On-time rate below (percent)"), default=80
    )
    on_time_period_days = models.PositiveSmallIntegerField(
        _("On-time rate over the last (days)"), default=90
    )
    minimum_meetings = models.PositiveSmallIntegerField(
        _("Plenary meetings required per year"), default=2
    )

    def __str__(self) -> str:
        return gettext("Joint conference of %(county)s") % {"county": self.county}


class MemberUnit(models.Model):
    """A member agency of the conference and its liaison officer (联络员)."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="units")
    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="member_unit")
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Liaison officer"),
    )
    active = models.BooleanField(_("Member"), default=True)

    class Meta:
        ordering = ["agency__code"]

    def __str__(self) -> str:
        return str(self.agency)


class DifficultFlag(models.Model):
    """提请联席会议研究: a case or referral window staff or an agency found difficult (疑难)."""

    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="difficult_flags")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="difficult_flags"
    )
    reason = models.TextField(_("Why the joint conference should study it"))
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField(default=timezone.now)
    # Set when a meeting's issued minutes carry a decision on it.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["flagged_at", "pk"]
        indexes = [
            models.Index(
                fields=["county", "flagged_at"],
                name="difficult_open_county_idx",
                condition=Q(resolved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.reason[:20]}"


class Meeting(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary meeting")
        TOPICAL = "topical", _("Topical meeting")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="meetings")
    # 第 N 次: numbered per conference and year.
    year = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(_("Kind of meeting"), max_length=10, choices=Kind.choices)
    held_on = models.DateField(_("Date"))
    place = models.CharField(_("Place"), max_length=100)
    positions_due = models.DateField(_("Written positions due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    process = models.OneToOneField(
        ProcessInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Projection of the process: the step it stands at, or the end event it finished on.
    stage = models.CharField(max_length=100, blank=True)
    stage_name = models.CharField(max_length=100, blank=True)
    # The minutes (会议纪要).
    recorder = models.CharField(_("Minutes taken by"), max_length=50, blank=True)
    observers = models.CharField(_("Also present (non-voting)"), max_length=300, blank=True)
    copy_to = models.CharField(_("Copy to"), max_length=300, blank=True)
    summary = models.TextField(_("Summary of the meeting"), blank=True)
    notice_issued_at = models.DateTimeField(null=True, blank=True)
    minutes_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "year", "number"], name="meeting_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["conference", "kind", "held_on"], name="meeting_held_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return gettext("%(county)s joint conference on social assistance, %(year)s no. %(n)s") % {
            "county": self.conference.county,
            "year": self.year,
            "n": self.number,
        }

    @property
    def is_finished(self) -> bool:
        return self.minutes_issued_at is not None


class Topic(models.Model):
    """An agenda item (议题), proposed by a rule or written by the office."""

    class Source(models.TextChoices):
        OVERDUE = "overdue", _("Long overdue")
        ESCALATED = "escalated", _("Level-2 supervision open")
        PROMISE_BROKEN = "promise", _("Promise to supervision broken")
        DISPUTED = "disputed", _("Returned or transferred repeatedly")
        DIFFICULT = "difficult", _("Flagged difficult")
        SLOW_UNIT = "slow_unit", _("Unit below the on-time rate")
        DECISION_OVERDUE = "decision", _("Earlier decision not carried out")
        DECISION_PROMISE_BROKEN = (
            "decision_promise",
            _("Promise to a decision's supervision broken"),
        )
        FREE = "free", _("Proposed by the office")
        PROPOSED = "proposed", _("Proposed by a member unit")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="topics")
    order = models.PositiveSmallIntegerField(default=0)
    # "referral:12", "case:3", "agency:5", "decision:7": one topic per thing per meeting.
    key = models.CharField(max_length=40)
    sources = models.JSONField(default=list)
    title = models.CharField(_("Topic"), max_length=200)
    # Why it was proposed, as the rules wrote it (shown on the agenda and dossier).
    reasons = models.JSONField(default=list)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    earlier_decision = models.ForeignKey(
        "Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The member units it concerns: they see it and may send a written position.
    units = models.ManyToManyField(Agency, related_name="+", blank=True)
    note = models.TextField(_("Discussion"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="topic_once_per_meeting")
        ]

    def __str__(self) -> str:
        return self.title


class Position(models.Model):
    """书面意见: a member unit's written position on a draft topic."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="positions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("Written position"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "agency"], name="position_once_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.text[:20]}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        SUBSTITUTE = "substitute", _("Sent a substitute")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("Attendance"), max_length=12, choices=Status.choices)
    person = models.CharField(_("Who attended"), max_length=100, blank=True)
    reason = models.CharField(_("Reason for absence"), max_length=200, blank=True)

    class Meta:
        ordering = ["agency__code"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "agency"], name="attendance_once_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.status}"


class DecisionQuerySet(models.QuerySet["Decision"]):
    def open(self) -> DecisionQuerySet:
        return self.filter(applied_at__isnull=False, done_at__isnull=True)

    def overdue(self, today: date | None = None) -> DecisionQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Decision(models.Model):
    """议定事项: what the meeting decided, who leads it, by when, and what it does to a case."""

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("Assign responsibility")
        DEADLINE = "deadline", _("Handle by a date")
        SPECIAL = "special", _("Special assistance (case by case)")
        ACTION = "action", _("Action")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(_("Kind of decision"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("Decision"))
    lead = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="led_decisions", verbose_name=_("Lead unit")
    )
    co_units = models.ManyToManyField(
        Agency, related_name="+", blank=True, verbose_name=_("Co-operating units")
    )
    deadline_days = models.PositiveSmallIntegerField(_("Deadline (working days)"))
    # The case it acts on (assign / deadline: the referral; special: the case and item).
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Its follow-up process (meeting_decision.bpmn), started when the minutes are issued.
    process = models.OneToOneField(
        ProcessInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the minutes are issued and the decision takes effect.
    applied_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    # The lead unit's report that it is carried out (落实).
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(_("How it was carried out"), blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="decision_number_unique")
        ]
        indexes = [
            # The follow-up lists and the carried-over rule: decisions in force, not done.
            models.Index(
                fields=["lead", "due_on"],
                name="decision_open_lead_due_idx",
                condition=Q(done_at__isnull=True, applied_at__isnull=False),
            ),
            models.Index(
                fields=["due_on"],
                name="decision_open_due_idx",
                condition=Q(done_at__isnull=True, applied_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} #{self.number}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.done_at is None and self.due_on is not None and self.due_on < timezone.localdate()
        )


class DecisionNotice(models.Model):
    """督办 of a decision past its deadline: the office chases the lead unit, like a referral.

    The first notice is level 1; one issued while an earlier one stands is level 2 (the
    convenor hears of it too). The unit answers with a reason and a promised date.
    """

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="notices")
    level = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(_("Supervision remarks"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("Reason for the delay"), blank=True)
    promised_date = models.DateField(_("Promised completion date"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "pk"]
        indexes = [
            # The topic rule "a promise to a decision's 督办 broken": answered notices by date.
            models.Index(
                fields=["promised_date"],
                name="decision_notice_promise_idx",
                condition=Q(answered_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return gettext("Supervision of %(decision)s") % {"decision": self.decision}

    @property
    def promise_broken(self) -> bool:
        return (
            self.promised_date is not None
            and self.promised_date < timezone.localdate()
            and self.decision.done_at is None
        )


class TopicProposal(models.Model):
    """A free topic a member unit's liaison officer proposes for the next meeting.

    The office accepts it onto the candidates (rule "proposed by a member unit", key
    `proposal:<id>`) or declines it with a reason; once on an agenda it is no candidate.
    """

    class Kind(models.TextChoices):
        POLICY = "policy", _("Policy question")
        CASE = "case", _("A case")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the office")
        ACCEPTED = "accepted", _("Accepted as a candidate topic")
        DECLINED = "declined", _("Declined")

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="proposals")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("Kind of topic"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("Topic"), max_length=200)
    reason = models.TextField(_("Why the joint conference should discuss it"))
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    answer = models.TextField(_("The office's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(
                fields=["conference", "proposed_at"],
                name="proposal_accepted_idx",
                condition=Q(state="accepted"),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def key(self) -> str:
        return f"proposal:{self.pk}"
