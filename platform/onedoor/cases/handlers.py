"""Service-task handlers for the window's own steps (case.*)."""

from __future__ import annotations

from typing import Any

from onedoor.audit.actions import log_action
from workflows import handlers
from workflows.handlers import ServiceCall

from .models import SUBJECT_CASE, ApplicantNotice, Case, Referral


@handlers.register("case.refused")
def refused(call: ServiceCall) -> dict[str, Any]:
    """The written refusal notice (不予受理告知) the window hands the applicant."""
    reason = str(call.params.get("reason") or "").strip()
    text = (
        f"经审查，您的救助申请不予受理。理由：{reason or '未说明'}。"
        "如有异议，可依法申请行政复议或者提起行政诉讼。"
    )
    case = (
        Case.objects.filter(pk=int(call.instance.subject_id)).first()
        if call.instance.subject_type == SUBJECT_CASE
        else None
    )
    if case is not None:
        ApplicantNotice.objects.create(
            case=case, kind="refusal", channel=ApplicantNotice.Channel.IN_WRITING, text=text
        )
    return {"notice": text, "issued_at": call.now.isoformat()}


def _referral(call: ServiceCall) -> Referral | None:
    data = call.params.get("referral") or {}
    rid = data.get("id") if isinstance(data, dict) else None
    return Referral.objects.select_related("case", "agency").filter(pk=rid).first() if rid else None


@handlers.register("deadline.remind")
def remind(call: ServiceCall) -> dict[str, Any]:
    """催办: the referral's step falls due soon; tell the agency."""
    referral = _referral(call)
    if referral is not None:
        log_action(
            "referral.reminder",
            actor=None,
            referral=referral,
            data={"due_at": call.params.get("due_at")},
        )
    return {"reminded_at": call.now.isoformat()}


@handlers.register("deadline.overdue")
def overdue(call: ServiceCall) -> dict[str, Any]:
    """The step is overdue: tell the agency and the coordinator (督办 follows from them)."""
    referral = _referral(call)
    if referral is not None:
        log_action(
            "referral.overdue",
            actor=None,
            referral=referral,
            data={"due_at": call.params.get("due_at")},
        )
    return {"overdue_at": call.now.isoformat()}
