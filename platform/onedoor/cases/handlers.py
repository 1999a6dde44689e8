"""Service-task handlers for the window's own steps (case.*)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from onedoor.audit.actions import log_action
from workflows import handlers
from workflows.handlers import ServiceCall

from .models import SUBJECT_CASE, ApplicantNotice, Case, Referral, SupervisionNotice


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


def _case(call: ServiceCall) -> Case | None:
    if call.instance.subject_type != SUBJECT_CASE:
        return None
    return Case.objects.select_related("township").filter(pk=int(call.instance.subject_id)).first()


def _raise_notice(call: ServiceCall, referral: Referral, level: int) -> SupervisionNotice | None:
    """An automatic 督办 of a level, once per step, level and due time.

    A timer re-armed on a step already overdue (back from a refused extension) fires again at
    once; the notice it asks for exists already, so nothing new is raised.
    """
    step = str(call.params.get("step") or "handle")
    due_iso = call.params.get("due_at")
    due_at = datetime.fromisoformat(due_iso) if isinstance(due_iso, str) and due_iso else None
    if referral.supervision_notices.filter(
        step=step, level=level, due_at=due_at, issued_by__isnull=True
    ).exists():
        return None
    what = {"sign": "签收", "handle": "办理"}.get(step, step)
    due_text = timezone.localtime(due_at).strftime("%Y-%m-%d") if due_at else ""
    if level == 1:
        text = f"该事项{what}已超过时限（{due_text}），请立即办理，并说明逾期原因和承诺办结日期。"
    else:
        text = (
            f"该事项{what}逾期（时限 {due_text}）后仍未办结，升级督办，请分管领导督促办理，"
            "并说明逾期原因和承诺办结日期。"
        )
    notice = SupervisionNotice.objects.create(
        referral=referral, level=level, step=step, due_at=due_at, text=text, issued_at=call.now
    )
    Referral.objects.filter(pk=referral.pk, escalation_level__lt=level).update(
        escalation_level=level
    )
    return notice


@handlers.register("deadline.overdue")
def overdue(call: ServiceCall) -> dict[str, Any]:
    """A step fell due: level-1 督办 to agency and coordinator (a window step: tell both)."""
    referral = _referral(call)
    if referral is not None:
        notice = _raise_notice(call, referral, level=1)
        if notice is not None:
            log_action(
                "referral.overdue",
                actor=None,
                referral=referral,
                data={
                    "step": notice.step,
                    "due_at": call.params.get("due_at"),
                    "level": 1,
                    "notice": notice.pk,
                },
            )
        return {"overdue_at": call.now.isoformat(), "level": 1}
    case = _case(call)
    if case is not None:
        log_action(
            "case.step_overdue",
            actor=None,
            case=case,
            data={"step": call.params.get("step"), "due_at": call.params.get("due_at")},
        )
    return {"overdue_at": call.now.isoformat()}


@handlers.register("deadline.escalate")
def escalate(call: ServiceCall) -> dict[str, Any]:
    """Still overdue N working days later: level-2 督办 to the agency's leader in charge."""
    referral = _referral(call)
    if referral is not None:
        notice = _raise_notice(call, referral, level=2)
        if notice is not None:
            log_action(
                "referral.escalated",
                actor=None,
                referral=referral,
                data={
                    "step": notice.step,
                    "due_at": call.params.get("due_at"),
                    "level": 2,
                    "notice": notice.pk,
                },
            )
    return {"escalated_at": call.now.isoformat(), "level": 2}
