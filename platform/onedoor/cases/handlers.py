"""Service-task handlers for the window's own steps (case.*) and the clocks' events.

The reminders and 督办 the clocks raise are handed to the engine's step (`call.step.collect`)
and written when it is saved, or by the timer sweeper once for its whole batch: one INSERT of
the notices, one UPDATE of the escalation levels, one INSERT of the audit events and the
notifications' few statements, where each timer used to cost a handful. What they read (the
case's referrals and automatic notices) is read once per step, in a sweep once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Case as SwitchOn
from django.db.models import Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from onedoor.audit.actions import build_action, log_actions
from onedoor.audit.models import AuditEvent
from workflows import handlers
from workflows.handlers import ServiceCall
from workflows.models import HumanTask, ProcessInstance

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


@handlers.register("case.notice_ahead")
def notice_ahead(call: ServiceCall) -> dict[str, Any]:
    """Whether the case's own notice to the household (`notice_step` of its one-door process)
    is still to come: a referral made on another basis (a joint-conference decision) whose
    feedback arrives before it is told with it; after it, the window tells the household on
    its own. A referral run by the case's own process is told with it by construction."""
    step = str(call.params.get("notice_step") or "")
    case = (
        Case.objects.filter(pk=int(call.instance.subject_id)).only("process").first()
        if call.instance.subject_type == SUBJECT_CASE and call.instance.subject_id.isdigit()
        else None
    )
    if case is None or case.process_id is None:
        return {"ahead": False}
    if case.process_id == call.instance.pk:
        return {"ahead": True}
    running = ProcessInstance.objects.filter(
        pk=case.process_id, state=ProcessInstance.State.RUNNING
    ).exists()
    told = HumanTask.objects.filter(
        instance_id=case.process_id, bpmn_id=step, state=HumanTask.State.COMPLETED
    ).exists()
    return {"ahead": running and not told}


@dataclass
class _Raised:
    """An audit event a clock handler raised, and the 督办 it issues if any."""

    event: AuditEvent
    notice: SupervisionNotice | None = None


def _write_raised(batch: list[_Raised]) -> None:
    """Write what the step's clock handlers raised: notices, escalation levels, events."""
    notices = [raised.notice for raised in batch if raised.notice is not None]
    if notices:
        SupervisionNotice.objects.bulk_create(notices)
        levels: dict[int, int] = {}
        for notice in notices:
            levels[notice.referral_id] = max(levels.get(notice.referral_id, 0), notice.level)
        lower = Q()
        for rid, level in levels.items():
            lower |= Q(pk=rid, escalation_level__lt=level)
        Referral.objects.filter(lower).update(
            escalation_level=SwitchOn(
                *(When(pk=rid, then=Value(level)) for rid, level in levels.items())
            )
        )
    for raised in batch:
        if raised.notice is not None:
            raised.event.data["notice"] = raised.notice.pk
    log_actions([raised.event for raised in batch])


def _raise(call: ServiceCall, event: AuditEvent, notice: SupervisionNotice | None = None) -> None:
    call.step.collect(_write_raised, _Raised(event, notice))


def _case_ids(call: ServiceCall) -> list[int]:
    """The cases whose instances are being stepped together with this one (a sweep batch)."""
    return [
        int(instance.subject_id)
        for instance in (*call.step.batch, call.instance)
        if instance.subject_type == SUBJECT_CASE
    ]


def _referrals(call: ServiceCall) -> dict[int, Referral]:
    """The case's referrals with what events and notifications show of them. Read once for
    every case of a sweep batch: each fires several timers, each asks for its referrals."""
    if call.instance.subject_type != SUBJECT_CASE:
        return {}
    by_case: dict[int, dict[int, Referral]] = call.step.cache.setdefault("cases.referrals", {})
    case_id = int(call.instance.subject_id)
    if case_id not in by_case:
        wanted = {cid for cid in _case_ids(call) if cid not in by_case}
        for cid in wanted:
            by_case[cid] = {}
        rows = Referral.objects.select_related("case", "item", "agency")
        for referral in rows.filter(case_id__in=wanted):
            by_case[referral.case_id][referral.pk] = referral
    return by_case[case_id]


def _referral(call: ServiceCall) -> Referral | None:
    data = call.params.get("referral") or {}
    rid = data.get("id") if isinstance(data, dict) else None
    if not rid:
        return None
    referrals = _referrals(call)
    if int(rid) not in referrals:  # not one of the instance's case (other code's process)
        return Referral.objects.select_related("case", "item", "agency").filter(pk=rid).first()
    return referrals[int(rid)]


@handlers.register("deadline.remind")
def remind(call: ServiceCall) -> dict[str, Any]:
    """催办: the referral's step falls due soon; tell the agency."""
    referral = _referral(call)
    if referral is not None:
        event = build_action(
            "referral.reminder",
            actor=None,
            referral=referral,
            data={"due_at": call.params.get("due_at")},
        )
        _raise(call, event)
    return {"reminded_at": call.now.isoformat()}


def _case(call: ServiceCall) -> Case | None:
    if call.instance.subject_type != SUBJECT_CASE:
        return None
    for referral in _referrals(call).values():
        return referral.case
    return Case.objects.filter(pk=int(call.instance.subject_id)).first()


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


# An automatic 督办: (referral, step, level, due time).
NoticeKey = tuple[int, str, int, datetime | None]


def _automatic_notices(call: ServiceCall, referral: Referral) -> set[NoticeKey]:
    """The automatic 督办 of the referral's case, read once for every case of a sweep batch
    and kept up to date with those raised since (written with the step or batch)."""
    by_case: dict[int, set[NoticeKey]] = call.step.cache.setdefault("cases.notices", {})
    if referral.case_id not in by_case:
        wanted = {cid for cid in _case_ids(call) if cid not in by_case} | {referral.case_id}
        for cid in wanted:
            by_case[cid] = set()
        rows = SupervisionNotice.objects.filter(
            referral__case_id__in=wanted, issued_by__isnull=True
        ).values_list("referral__case_id", "referral_id", "step", "level", "due_at")
        for case_id, *key in rows:
            by_case[case_id].add(tuple(key))  # type: ignore[arg-type]
    return by_case[referral.case_id]


def _raise_notice(call: ServiceCall, referral: Referral, level: int, action: str) -> None:
    """An automatic 督办 of a level, once per step, level and due time.

    A timer re-armed on a step already overdue (back from a refused extension) fires again at
    once; the notice it asks for exists already, so nothing new is raised.
    """
    step = str(call.params.get("step") or "handle")
    due_iso = call.params.get("due_at")
    due_at = datetime.fromisoformat(due_iso) if isinstance(due_iso, str) and due_iso else None
    issued = _automatic_notices(call, referral)
    if (referral.pk, step, level, due_at) in issued:
        return
    issued.add((referral.pk, step, level, due_at))
    due_text = timezone.localtime(due_at).strftime("%Y-%m-%d") if due_at else ""
    template = NOTICE_TEXTS.get((level, step), NOTICE_TEXTS[(min(level, 2), "handle")])
    # Stored and shown to the agency as written: in the platform's language, like a paper
    # notice, whether a timer or a request in another language raised it.
    with translation.override(settings.LANGUAGE_CODE):
        text = _(template) % {"due": due_text}
    notice = SupervisionNotice(
        referral=referral, level=level, step=step, due_at=due_at, text=text, issued_at=call.now
    )
    referral.escalation_level = max(referral.escalation_level, level)
    event = build_action(
        action,
        actor=None,
        referral=referral,
        data={"step": step, "due_at": due_iso, "level": level},  # + the notice's id, once saved
    )
    _raise(call, event, notice)


@handlers.register("deadline.overdue")
def overdue(call: ServiceCall) -> dict[str, Any]:
    """A step fell due: level-1 督办 to agency and coordinator (a window step: tell both)."""
    referral = _referral(call)
    if referral is not None:
        _raise_notice(call, referral, level=1, action="referral.overdue")
        return {"overdue_at": call.now.isoformat(), "level": 1}
    case = _case(call)
    if case is not None:
        event = build_action(
            "case.step_overdue",
            actor=None,
            case=case,
            data={"step": call.params.get("step"), "due_at": call.params.get("due_at")},
        )
        _raise(call, event)
    return {"overdue_at": call.now.isoformat()}


@handlers.register("deadline.escalate")
def escalate(call: ServiceCall) -> dict[str, Any]:
    """Still overdue N working days later: level-2 督办 to the agency's leader in charge."""
    referral = _referral(call)
    if referral is not None:
        _raise_notice(call, referral, level=2, action="referral.escalated")
    return {"escalated_at": call.now.isoformat(), "level": 2}
