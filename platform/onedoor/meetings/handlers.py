"""Service-task handlers of meeting_decision.bpmn: a decision's reminder and overdue notice."""

from __future__ import annotations

from typing import Any

from onedoor.audit.actions import log_action
from workflows import handlers
from workflows.handlers import ServiceCall

from . import notify
from .models import Decision


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
