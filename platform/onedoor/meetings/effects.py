"""What an issued decision does to its case, through the case's own process (one_door.bpmn).

Called by `services.decide_minutes` inside its durable transaction, so the case services
(durable themselves) cannot be called from here: each effect completes the referral's READY
task through the engine room as the case service for that step would, writes the same rows
(Handover, ClockChange) and one audit event on the case, whose text is the timeline line
"第 N 次联席会议议定：…".

- assign responsibility: the referral waiting to be signed for is transferred (移交) to the
  lead unit, which signs for it anew against a new clock; a returned referral waiting at the
  window is re-routed (重新转办) to it;
- handle by a date: the handling clock is moved to the decision's deadline through the
  process's own extension path (申请延期 → 审批延期 → 顺延办理时限), a lawful clock change
  whose recorded reason is the meeting;
- special assistance (一事一议): a new referral on the case to the lead unit, the decision its
  basis, run by the referral process of one_door.bpmn (`referral_handling`) started on its own:
  the unit signs for it (or returns / transfers it), handles it within the item's limit on the
  county calendar with the same reminders, 督办 and extensions, and feeds back; the household
  is then told by the window (with the case's notice if that is still to come). That referral
  is the decision's follow-up: its feedback carries the decision out (meetings/projection.py);
- action: a follow-up for the lead unit (the decision itself, with its deadline,
  meeting_decision.bpmn), shown on the case's timeline when there is a case.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.models import SUBJECT_CASE, ClockChange, Handover, Referral, describe
from onedoor.cases.panels import Fact, register_referral_fact
from onedoor.cases.services import ActionError
from onedoor.deadlines.handlers import END_OF_DAY, REMIND_AT
from onedoor.deadlines.workdays import (
    add_working_days,
    previous_working_day,
    working_days_between,
)
from workflows import engine
from workflows.models import HumanTask

from .models import SUBJECT_DECISION, Decision

BASIS_TEMPLATE = "meetings/_referral_basis.html"

FOLLOW_UP_PROCESS = "meeting_decision"
# The referral process of one_door.bpmn, started on its own for special assistance.
REFERRAL_PROCESS = "referral_handling"


def decision_line(decision: Decision) -> str:
    """The timeline line, stored as written: in the platform's language, like the minutes."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Joint conference %(year)s no. %(n)s decided: %(text)s") % {
            "year": decision.meeting.year,
            "n": decision.meeting.number,
            "text": decision.text,
        }


def referral_basis(referral: Referral, request: Any) -> Fact:
    """The decision a referral was made on (一事一议), for the referral page's facts: the
    timeline line, linked to the decision and the minutes for those the conference shows them
    to; nothing for a referral of the case's own split."""
    decision = (
        Decision.objects.filter(new_referral=referral)
        .select_related("meeting__conference__county")
        .first()
    )
    if decision is None:
        return Fact(BASIS_TEMPLATE, {"decision": None})
    from .access import decisions_for, rights_for_page

    rights = rights_for_page(request) if request is not None else None
    linked = rights is not None and decisions_for(rights).filter(pk=decision.pk).exists()
    return Fact(
        BASIS_TEMPLATE, {"decision": decision, "line": decision_line(decision), "linked": linked}
    )


def register() -> None:
    register_referral_fact("meetings.basis", referral_basis)


def apply_decision(decision: Decision, *, actor: User) -> None:
    """Put an issued decision into force: its deadline, and its effect on the case."""
    county = decision.meeting.conference.county.code
    today = timezone.localdate()
    decision.due_on = add_working_days(today, decision.deadline_days, county).day
    decision.applied_at = timezone.now()
    remind_on = previous_working_day(decision.due_on, county).day
    line = decision_line(decision)
    referral = decision.referral
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if decision.kind == Decision.Kind.SPECIAL:
        # Its follow-up is the new referral's own process, worked like any referral.
        referral, after = _special(decision, actor, line)
    else:
        decision.process = engine.start_process(
            FOLLOW_UP_PROCESS,
            subject_type=SUBJECT_DECISION,
            subject_id=decision.pk,
            data={
                "decision": decision.pk,
                "lead": decision.lead.code,
                "due_at": _at(decision.due_on, END_OF_DAY),
                "remind_at": _at(max(remind_on, today), REMIND_AT),
            },
            actor=actor,
        )
    decision.save(update_fields=["due_on", "applied_at", "process", "new_referral"])
    if decision.kind == Decision.Kind.ASSIGN:
        assert referral is not None
        before, after = _assign(decision, referral, actor, line)
    elif decision.kind == Decision.Kind.DEADLINE:
        assert referral is not None
        before, after = _deadline(decision, referral, actor, line)
    if decision.case_id is not None:
        log_action(
            "meeting.decision_applied",
            actor=actor,
            case=decision.case,
            referral=referral,
            before=before,
            after=after,
            data={
                "decision": decision.pk,
                "meeting": decision.meeting_id,
                "text": line,
                "due_on": decision.due_on.isoformat(),
            },
        )


def _special(decision: Decision, actor: User, line: str) -> tuple[Referral, dict[str, Any]]:
    """一事一议: a new referral of the case to the lead unit, on the decision's basis, and its
    process (the referral steps of one_door.bpmn, on their own)."""
    case = decision.case
    if case is None:
        raise ActionError(_("special assistance needs a case"))
    item = decision.item
    if item is None:
        raise ActionError(_("special assistance needs the assistance item it grants"))
    township = case.township
    county = township.parent.code if township.parent else ""
    referral = Referral.objects.create(case=case, item=item, agency=decision.lead)
    decision.new_referral = referral
    decision.process = engine.start_process(
        REFERRAL_PROCESS,
        subject_type=SUBJECT_CASE,
        subject_id=case.pk,
        data={
            "township": township.code,
            "county": county,
            "referral": {
                "id": referral.pk,
                "item": item.name,
                "item_code": item.code,
                "agency": decision.lead.code,
                "basis": line,
                "decision": decision.pk,
            },
        },
        actor=actor,
    )
    referral.refresh_from_db()
    return referral, describe(referral)


def _current(referral: Referral) -> HumanTask:
    referral.refresh_from_db()
    task = referral.current_task
    if task is None:
        raise ActionError(_("the referral is no longer open"))
    return task


def _assign(
    decision: Decision, referral: Referral, actor: User, line: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = _current(referral)
    before = describe(referral)
    if task.bpmn_id == "sign_for_referral":
        if referral.agency_id == decision.lead_id:
            raise ActionError(
                _("the referral is already with %(agency)s") % {"agency": decision.lead}
            )
        referral.transfers += 1
        referral.save(update_fields=["transfers"])
        Handover.objects.create(
            referral=referral,
            kind=Handover.Kind.TRANSFER,
            from_agency_id=referral.agency_id,
            to_agency=decision.lead,
            reason=line,
            actor=actor,
        )
        engine.complete_task(
            task.task_id,
            actor=actor,
            data={"decision": "transfer", "reason": line, "transfer_to": decision.lead.code},
        )
    elif task.bpmn_id == "reroute_referral":
        engine.complete_task(
            task.task_id, actor=actor, data={"reroute_to": decision.lead.code, "reason": line}
        )
    else:
        raise ActionError(
            _(
                "%(agency)s has signed for the referral (step: %(step)s); a signed referral "
                "is given a deadline rather than moved"
            )
            % {"agency": referral.agency, "step": task.name}
        )
    referral.refresh_from_db()
    return before, describe(referral)


def _deadline(
    decision: Decision, referral: Referral, actor: User, line: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = _current(referral)
    if task.bpmn_id != "handle_referral":
        raise ActionError(
            _("the referral is at the step “%(step)s”, not being handled; its clock cannot be set")
            % {"step": task.name}
        )
    assert decision.due_on is not None
    due_before = referral.handle_due_at
    county = decision.meeting.conference.county.code
    current_day = timezone.localdate(due_before) if due_before else timezone.localdate()
    days = working_days_between(current_day, decision.due_on, county)
    if days <= 0:
        # Already due on or before the meeting's deadline: the clock stands, the follow-up
        # chases the decision.
        return {"due_at": _iso(due_before)}, {"due_at": _iso(due_before)}
    change = ClockChange.objects.create(
        referral=referral,
        kind=ClockChange.Kind.EXTENSION,
        reason=line,
        days=days,
        requested_by=actor,
        due_before=due_before,
    )
    engine.complete_task(
        task.task_id,
        actor=actor,
        data={"handling": "extend", "extension_days": days, "extension_reason": line},
    )
    approval = _current(referral)
    if approval.bpmn_id != "approve_extension":
        raise ActionError(_("the case's process has no extension step here"))
    engine.complete_task(
        approval.task_id,
        actor=actor,
        data={"extension_approved": True, "extension_note": line},
    )
    referral.refresh_from_db()
    change.approved, change.decided_by, change.decided_at = True, actor, timezone.now()
    change.decision_note, change.due_after = line, referral.handle_due_at
    change.save()
    return {"due_at": _iso(due_before)}, {"due_at": _iso(referral.handle_due_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _at(day: date, at: time) -> str:
    return timezone.make_aware(datetime.combine(day, at)).isoformat()
