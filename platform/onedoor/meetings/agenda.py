"""What goes on a meeting's agenda: cases flagged difficult (提请联席会议研究), the topics the
rules propose, free topics, their order."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency

from .models import Decision, DifficultFlag, Meeting, Topic
from .services import ActionError, meeting_event, member_ids, require_step
from .topics import Candidate, candidate


def flag_difficult(
    case: Case, *, actor: User, reason: str, referral: Referral | None = None
) -> DifficultFlag:
    """Window staff or an agency officer asks the joint conference to study a case."""
    reason = reason.strip()
    if not reason:
        raise ActionError(_("Please say why the joint conference should study it"))
    if referral is not None and referral.case_id != case.pk:
        raise ActionError(_("This item is not part of the case"))
    if not case.is_open:
        raise ActionError(_("The case is closed; a closed case needs no meeting"))
    with transaction.atomic(durable=True):
        already = DifficultFlag.objects.filter(
            case=case, referral=referral, resolved_at__isnull=True
        ).first()
        if already is not None:
            raise ActionError(
                _("Already referred to the joint conference on %(date)s by %(who)s")
                % {
                    "date": f"{timezone.localtime(already.flagged_at):%Y-%m-%d}",
                    "who": already.flagged_by,
                }
            )
        flag = DifficultFlag.objects.create(
            county=case.township.county,
            case=case,
            referral=referral,
            reason=reason,
            flagged_by=actor,
        )
        log_action(
            "case.flagged_difficult",
            actor=actor,
            case=case,
            referral=referral,
            data={"reason": reason, "flag": flag.pk},
        )
    return flag


def add_topic(meeting: Meeting, key: str, *, actor: User) -> Topic:
    """Put a proposed topic (by its key) on the draft agenda, with the rules' reasons."""
    found: Candidate | None = candidate(meeting.conference, key)
    if found is None:
        raise ActionError(_("This topic is no longer proposed (already on an agenda or settled)"))
    with transaction.atomic(durable=True):
        require_step(meeting, "draft_agenda")
        topic = _create_topic(
            meeting,
            actor=actor,
            key=found.key,
            title=found.title,
            sources=found.sources,
            reasons=found.reasons,
            case=found.case,
            referral=found.referral,
            agency=found.agency,
            decision=found.decision,
            units=found.units,
        )
        meeting_event("meeting.topic_added", meeting, actor, topic=topic.pk, key=key)
    return topic


def add_free_topic(
    meeting: Meeting, *, actor: User, title: str, reason: str, units: list[Agency]
) -> Topic:
    """A policy question written by the office (or brought by a member unit)."""
    title, reason = title.strip(), reason.strip()
    if not title:
        raise ActionError(_("Please give the topic a title"))
    with transaction.atomic(durable=True):
        require_step(meeting, "draft_agenda")
        n = Topic.objects.filter(meeting=meeting, sources=[Topic.Source.FREE]).count()
        topic = _create_topic(
            meeting,
            actor=actor,
            key=f"free:{n + 1}",
            title=title,
            sources=[Topic.Source.FREE],
            reasons=[reason] if reason else [],
            units={u.pk for u in units},
        )
        meeting_event("meeting.topic_added", meeting, actor, topic=topic.pk, key=topic.key)
    return topic


def _create_topic(
    meeting: Meeting,
    *,
    actor: User,
    key: str,
    title: str,
    sources: list[str],
    reasons: list[str],
    units: set[int],
    case: Case | None = None,
    referral: Referral | None = None,
    agency: Agency | None = None,
    decision: Decision | None = None,
) -> Topic:
    if Topic.objects.filter(meeting=meeting, key=key).exists():
        raise ActionError(_("This topic is already on the agenda"))
    last = Topic.objects.filter(meeting=meeting).aggregate(n=Max("order"))["n"]
    topic = Topic.objects.create(
        meeting=meeting,
        order=(last or 0) + 1,
        key=key,
        title=title[:200],
        sources=sources,
        reasons=reasons,
        case=case,
        referral=referral,
        agency=agency,
        earlier_decision=decision,
        added_by=actor,
    )
    topic.units.set(units & member_ids(meeting.conference))
    return topic


def remove_topic(topic: Topic, *, actor: User) -> None:
    meeting = topic.meeting
    with transaction.atomic(durable=True):
        require_step(meeting, "draft_agenda")
        key = topic.key
        topic.delete()
        meeting_event("meeting.topic_removed", meeting, actor, key=key)


def move_topic(topic: Topic, *, actor: User, up: bool) -> None:
    """Swap a topic with its neighbour on the agenda."""
    meeting = topic.meeting
    with transaction.atomic(durable=True):
        require_step(meeting, "draft_agenda")
        topics = list(Topic.objects.select_for_update().filter(meeting=meeting))
        index = next(i for i, t in enumerate(topics) if t.pk == topic.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(topics):
            topics[index], topics[other] = topics[other], topics[index]
        for order, row in enumerate(topics, start=1):
            if row.order != order:
                row.order = order
                row.save(update_fields=["order"])
