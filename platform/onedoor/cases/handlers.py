"""Service-task handlers for the window's own steps (case.*)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from onedoor.audit.actions import log_action
from workflows import handlers
from workflows.handlers import ServiceCall

from .models import SUBJECT_CASE, ApplicantNotice, Case, Referral, SupervisionNotice


@handlers.register("case.refused")
def refused(call: ServiceCall) -> dict[str, Any]:
    """The written refusal notice (不予受理告知) the window hands the applicant."""
    reason = str(call.params.get("reason") or "").strip()
    # A document handed to the applicant: written in the platform's language, whatever
    # language the clerk whose refusal triggered it reads the UI in.
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "After review, your application for assistance is not accepted. Reason: "
            "%(reason)s. If you disagree, you may apply for administrative reconsideration "
            "or bring an administrative lawsuit according to law."
        ) % {"reason": reason or _("not stated")}
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


# The text of an automatic 督办, by level and late step (a handling step when unknown).
NOTICE_TEXTS = {
    (1, "sign"): gettext_noop(
        "Signing for this item is past its time limit (%(due)s). Please act on it at once, "
        "and give the reason for the delay and the date you promise to complete it."
    ),
    (1, "handle"): gettext_noop(
        "Handling this item is past its time limit (%(due)s). Please act on it at once, "
        "and give the reason for the delay and the date you promise to complete it."
    ),
    (2, "sign"): gettext_noop(
        "This item is still not completed after its signing time limit (%(due)s) passed. "
        "Supervision is escalated: the leader in charge should see that it is done, and give "
        "the reason for the delay and the date you promise to complete it."
    ),
    (2, "handle"): gettext_noop(
        "This item is still not completed after its handling time limit (%(due)s) passed. "
        "Supervision is escalated: the leader in charge should see that it is done, and give "
        "the reason for the delay and the date you promise to complete it."
    ),
}


def _raise_notice(call: ServiceCall, referral: Referral, level: int, action: str) -> None:
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
        return
    due_text = timezone.localtime(due_at).strftime("%Y-%m-%d") if due_at else ""
    template = NOTICE_TEXTS.get((level, step), NOTICE_TEXTS[(min(level, 2), "handle")])
    # Stored and shown to the agency as written: in the platform's language, like a paper
    # notice, whether a timer or a request in another language raised it.
    with translation.override(settings.LANGUAGE_CODE):
        text = _(template) % {"due": due_text}
    notice = SupervisionNotice.objects.create(
        referral=referral, level=level, step=step, due_at=due_at, text=text, issued_at=call.now
    )
    Referral.objects.filter(pk=referral.pk, escalation_level__lt=level).update(
        escalation_level=level
    )
    log_action(
        action,
        actor=None,
        referral=referral,
        data={"step": step, "due_at": due_iso, "level": level, "notice": notice.pk},
    )


@handlers.register("deadline.overdue")
def overdue(call: ServiceCall) -> dict[str, Any]:
    """A step fell due: level-1 督办 to agency and coordinator (a window step: tell both)."""
    referral = _referral(call)
    if referral is not None:
        _raise_notice(call, referral, level=1, action="referral.overdue")
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
        _raise_notice(call, referral, level=2, action="referral.escalated")
    return {"escalated_at": call.now.isoformat(), "level": 2}
