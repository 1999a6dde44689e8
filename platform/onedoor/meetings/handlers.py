"""Service-task handlers of meeting_decision.bpmn: a decision's reminder and overdue notice."""

from __future__ import annotations

from typing import Any

from onedoor.audit.actions import log_action
from workflows import handlers
from workflows.handlers import ServiceCall

from . import notify
from .models import Decision, Meeting


def _decision(call: ServiceCall) -> Decision | None:
    pk = call.params.get("decision")
    if not isinstance(pk, int):
        return None
    return (
        Decision.objects.select_related("meeting__conference__county", "lead", "case")
        .filter(pk=pk)
        .first()
    )


def _raise(call: ServiceCall, action: str, verb: str, office: bool) -> dict[str, Any]:
    decision = _decision(call)
    if decision is not None and decision.done_at is None:
        log_action(
            action,
            actor=None,
            case=decision.case,
            data={"decision": decision.pk, "due_on": str(decision.due_on)},
        )
        notify.followup(decision, verb, office=office)
    return {"at": call.now.isoformat()}


@handlers.register("meeting.followup_remind")
def remind(call: ServiceCall) -> dict[str, Any]:
    """催办: the decision falls due tomorrow (one working day); tell the lead unit."""
    return _raise(call, "meeting.decision_reminder", notify.REMINDER, office=False)


@handlers.register("meeting.followup_overdue")
def overdue(call: ServiceCall) -> dict[str, Any]:
    """逾期: the decision's deadline passed; tell the lead unit and the office."""
    return _raise(call, "meeting.decision_overdue", notify.OVERDUE, office=True)


@handlers.register("meeting.plenary_due")
def plenary_due(call: ServiceCall) -> dict[str, Any]:
    """Six months after a plenary: remind the office and the convenor, unless the county has
    held a plenary since (its own watch then takes over)."""
    pk = call.params.get("meeting")
    meeting = (
        Meeting.objects.select_related("conference__county").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if meeting is None:
        return {"reminded": False}
    later = Meeting.objects.filter(
        conference=meeting.conference,
        kind=Meeting.Kind.PLENARY,
        minutes_issued_at__isnull=False,
        held_on__gt=meeting.held_on,
    ).exists()
    if later:
        return {"reminded": False}
    log_action(
        "conference.plenary_due",
        actor=None,
        data={"conference": meeting.conference_id, "last_plenary": meeting.pk},
    )
    notify.plenary_due(meeting)
    return {"reminded": True}
