"""Follow-ups of decisions, worked from the lead unit's inbox like referrals: the list the
inbox shows (registered with cases.panels), 督办 of an overdue decision and the
unit's answer with a promised date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.clock import checked_answer
from onedoor.cases.panels import INBOX, Panel, register_panel
from onedoor.cases.services import ActionError
from onedoor.deadlines.handlers import END_OF_DAY
from onedoor.deadlines.words import lateness
from onedoor.deadlines.workdays import working_days_between

from . import notify
from .access import rights_for_panel
from .models import Decision, DecisionNotice


def due_at(decision: Decision) -> datetime | None:
    """The end of the decision's last working day, when its overdue notice fires."""
    if decision.due_on is None:
        return None
    return timezone.make_aware(datetime.combine(decision.due_on, END_OF_DAY))


def lateness_of(decision: Decision, now: datetime | None = None) -> str:
    """Where the decision stands against its deadline, told as referrals' lateness is."""
    if decision.done_at is not None:
        return ""
    return lateness(due_at(decision), now, decision.meeting.conference.county.code)


def days_overdue(decision: Decision, today: date | None = None) -> int:
    """Working days past the deadline on the county calendar (0 when not past it)."""
    today = today or timezone.localdate()
    if decision.due_on is None or decision.done_at is not None or decision.due_on >= today:
        return 0
    county = decision.meeting.conference.county.code
    return working_days_between(decision.due_on, today, county)


@dataclass(frozen=True)
class FollowUp:
    """A row of the inbox: an open decision the unit leads, and its clock."""

    decision: Decision
    days_overdue: int
    unanswered: int
    lateness: str


def open_follow_ups(unit: Any, conference: Any, now: datetime | None = None) -> list[FollowUp]:
    """The decisions in force that the unit leads and has not reported carried out."""
    rows = (
        Decision.objects.open()
        .filter(lead=unit, meeting__conference=conference)
        .select_related("meeting__conference__county", "case")
        .annotate(
            unanswered=Count("notices", filter=Q(notices__answered_at__isnull=True)),
        )
        .order_by("due_on", "pk")
    )
    now = now or timezone.now()
    today = timezone.localdate(now)
    return [FollowUp(d, days_overdue(d, today), d.unanswered, lateness_of(d, now)) for d in rows]


def inbox_section(user: Any, now: datetime) -> Panel | None:
    """The unit's open follow-ups, beside its referrals in /inbox/."""
    rights = rights_for_panel(user)
    if rights is None or rights.unit is None:
        return None
    rows = open_follow_ups(rights.unit, rights.conference, now)
    return Panel(
        title=_("Joint conference decisions to carry out"),
        template="meetings/_inbox_followups.html",
        rows=rows,
        open=len(rows),
        overdue=sum(1 for r in rows if r.days_overdue or r.decision.is_overdue),
    )


def register() -> None:
    register_panel(INBOX, "meetings.follow_ups", inbox_section)


def lowest_level(decision: Decision) -> int:
    """The lowest level the office's next 督办 of the decision may take: 2 once one stands."""
    return 2 if DecisionNotice.objects.filter(decision=decision).exists() else 1


def supervise_decision(
    decision: Decision,
    *,
    actor: Any,
    text: str,
    level: int | None = None,
    notices_seen: int | None = None,
) -> DecisionNotice:
    """督办: the office chases the lead unit about a decision past its deadline, at level 1
    (the unit) or 2 (the convenor hears of it too), as it chooses; a notice issued while an
    earlier one stands is level 2 whatever was chosen. `notices_seen` (the count when the
    page was drawn) stops a double submit."""
    text = text.strip()
    if not text:
        raise ActionError(_("Please write the supervision remarks"))
    if level is not None and level not in (1, 2):
        raise ActionError(_("Choose level 1 or level 2"))
    with transaction.atomic(durable=True):
        decision = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("meeting__conference__county", "lead", "case")
            .get(pk=decision.pk)
        )
        if decision.done_at is not None:
            raise ActionError(_("This decision is carried out and needs no supervision"))
        if decision.applied_at is None or not decision.is_overdue:
            raise ActionError(_("Only a decision past its deadline is supervised"))
        existing = DecisionNotice.objects.filter(decision=decision)
        if notices_seen is not None and existing.count() != notices_seen:
            raise ActionError(
                _(
                    "A supervision notice for this decision was already sent after your page "
                    "was shown; yours was not sent again."
                )
            )
        level = max(level or 1, 2 if existing.exists() else 1)
        notice = DecisionNotice.objects.create(
            decision=decision, level=level, text=text, issued_by=actor
        )
        log_action(
            "meeting.decision_supervised",
            actor=actor,
            case=decision.case,
            data={
                "decision": decision.pk,
                "notice": notice.pk,
                "level": level,
                "text": text,
                "days_overdue": days_overdue(decision),
            },
        )
        notify.decision_supervised(notice)
    return notice


def answer_decision_notice(
    notice: DecisionNotice, *, actor: Any, answer: str, promised_date: date | None
) -> DecisionNotice:
    """督办回复: the lead unit gives the reason it is late and the date it promises."""
    answer, promised = checked_answer(answer, promised_date)
    with transaction.atomic(durable=True):
        notice = (
            DecisionNotice.objects.select_for_update(of=("self",))
            .select_related("decision__meeting__conference__county", "decision__case")
            .get(pk=notice.pk)
        )
        if notice.answered_at is not None:
            raise ActionError(
                _("This supervision notice was already answered by %(user)s")
                % {"user": notice.answered_by}
            )
        notice.answer, notice.promised_date = answer, promised
        notice.answered_by, notice.answered_at = actor, timezone.now()
        notice.save(update_fields=["answer", "promised_date", "answered_by", "answered_at"])
        log_action(
            "meeting.decision_supervision_answered",
            actor=actor,
            case=notice.decision.case,
            data={
                "decision": notice.decision_id,
                "notice": notice.pk,
                "level": notice.level,
                "reason": answer,
                "promised_date": promised.isoformat(),
            },
        )
        notify.decision_notice_answered(notice)
    return notice
