"""What a topic's dossier holds, and the conference's figures: read from the projections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from onedoor.audit.models import AuditEvent
from onedoor.cases import records
from onedoor.cases.models import Referral, SupervisionNotice
from onedoor.deadlines.workdays import working_days_between

from .access import Rights
from .models import Decision, Meeting, Topic


@dataclass
class Dossier:
    topic: Topic
    # The household as the reader's role may see it: members' ID numbers always masked here
    # (a conference paper travels to every member unit).
    members: list[Any] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    days_overdue: dict[int, int] = field(default_factory=dict)
    notices: list[SupervisionNotice] = field(default_factory=list)
    timeline: list[records.Record] = field(default_factory=list)  # in words
    positions: list[Any] = field(default_factory=list)


def build(topic: Topic, rights: Rights) -> Dossier:
    """The dossier of a topic: case summary, household (masked), referrals and days overdue,
    督办 history, timeline, and the written positions submitted."""
    found = Dossier(topic=topic, positions=list(topic.positions.select_related("agency")))
    case = topic.case
    if case is None:
        return found
    county = topic.meeting.conference.county.code
    today = timezone.localdate()
    found.members = list(case.household.members.all())
    referrals = case.referrals.select_related("agency", "item")
    if rights.unit is not None and not rights.sees_all:
        referrals = referrals.filter(pk=topic.referral_id) if topic.referral_id else referrals
    found.referrals = list(referrals)
    for r in found.referrals:
        if r.is_overdue and r.due_at is not None:
            found.days_overdue[r.pk] = working_days_between(
                timezone.localdate(r.due_at), today, county
            )
    found.notices = list(
        SupervisionNotice.objects.filter(referral__in=found.referrals)
        .select_related("referral__agency")
        .order_by("issued_at")
    )
    found.timeline = records.read(
        AuditEvent.objects.for_case(case.pk)
        .filter(Q(referral__in=found.referrals) | Q(referral__isnull=True))
        .select_related("actor__staff", "referral__item")
        .order_by("at", "pk")
    )
    return found


def held_this_year(conference: Any) -> dict[str, int]:
    """本年度已召开 N 次（要求不少于 M 次）: plenaries whose minutes were issued this year."""
    year = timezone.localdate().year
    held = Meeting.objects.filter(
        conference=conference,
        kind=Meeting.Kind.PLENARY,
        held_on__year=year,
        minutes_issued_at__isnull=False,
    ).count()
    return {"held": held, "required": conference.minimum_meetings, "year": year}


def previous_decisions(meeting: Meeting) -> list[Decision]:
    """上次会议议定事项落实情况: the decisions of the conference's last issued meeting."""
    last = (
        Meeting.objects.filter(conference=meeting.conference, minutes_issued_at__isnull=False)
        .exclude(pk=meeting.pk)
        .order_by("-held_on", "-pk")
        .first()
    )
    if last is None:
        return []
    return list(last.decisions.select_related("lead", "meeting__conference__county"))
