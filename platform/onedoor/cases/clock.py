"""Lawful changes to a running clock, and the agency's answer to 督办.

Like services.py: each function is one transaction, advances the process through the engine
room where the BPMN has a step for it, and writes exactly one audit event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from workflows import engine
from workflows.models import HumanTask

from .models import ClockChange, Referral, SupervisionNotice
from .services import ActionError, _referral_of, lock_process, referral_process_id, reread


def _expect(task: HumanTask, bpmn_id: str) -> None:
    if task.bpmn_id != bpmn_id:
        raise ActionError(_("This task cannot take this action"))


def request_extension(task: HumanTask, *, actor: User, days: int, reason: str) -> ClockChange:
    """延期: the agency asks the coordinator for more working days; its clock runs on meanwhile."""
    _expect(task, "handle_referral")
    reason = reason.strip()
    if days <= 0:
        raise ActionError(_("Please give the number of working days to add"))
    if not reason:
        raise ActionError(_("An extension needs a reason"))
    clock = engine.task_data(task.task_id).get("clock") or {}
    cap = int(clock.get("max_extension_days") or 0)
    used = int(clock.get("extended_days") or 0)
    if cap and used + days > cap:
        raise ActionError(
            _(
                "This item can be extended by at most %(cap)s working days "
                "(%(used)s used already); source: %(source)s"
            )
            % {"cap": cap, "used": used, "source": clock.get("source", "")}
        )
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        change = ClockChange.objects.create(
            referral=referral,
            kind=ClockChange.Kind.EXTENSION,
            reason=reason,
            days=days,
            requested_by=actor,
            due_before=referral.handle_due_at,
        )
        engine.complete_task(
            task.task_id,
            actor=actor,
            data={"handling": "extend", "extension_days": days, "extension_reason": reason},
        )
        log_action(
            "referral.extension_requested",
            actor=actor,
            referral=referral,
            data={"days": days, "reason": reason, "due_at": _iso(referral.handle_due_at)},
        )
    return change


def decide_extension(task: HumanTask, *, actor: User, approved: bool, note: str) -> ClockChange:
    """The coordinator approves or refuses an extension; approval moves the due date on."""
    _expect(task, "approve_extension")
    note = note.strip()
    if not approved and not note:
        raise ActionError(_("Refusing an extension needs a reason"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        change = _settle(
            task,
            referral,
            ClockChange.Kind.EXTENSION,
            actor=actor,
            approved=approved,
            note=note,
            data={"extension_approved": approved, "extension_note": note},
            none_pending=_("No extension request is waiting for a decision"),
        )
        log_action(
            "referral.extension_approved" if approved else "referral.extension_refused",
            actor=actor,
            referral=referral,
            before={"due_at": _iso(change.due_before)},
            after={"due_at": _iso(change.due_after)},
            data={"days": change.days, "reason": note or change.reason},
        )
    return change


def _settle(
    task: HumanTask,
    referral: Referral,
    kind: str,
    *,
    actor: User,
    approved: bool,
    note: str,
    data: dict[str, Any],
    none_pending: str,
) -> ClockChange:
    """Close the pending clock change of a kind: complete its BPMN step, record the outcome and
    the due time the process set (read back from the referral's projection)."""
    change = (
        ClockChange.objects.select_for_update()
        .filter(referral=referral, kind=kind, decided_at__isnull=True)
        .order_by("-requested_at")
        .first()
    )
    if change is None:
        raise ActionError(none_pending)
    engine.complete_task(task.task_id, actor=actor, data=data)
    reread(referral)
    change.approved, change.decided_by, change.decided_at = approved, actor, timezone.now()
    change.decision_note, change.due_after = note, referral.handle_due_at
    change.save()
    return change


def request_materials(task: HumanTask, *, actor: User, materials: str) -> ClockChange:
    """补正材料: the agency lists what is missing; the clock stops until the window has it."""
    _expect(task, "handle_referral")
    materials = materials.strip()
    if not materials:
        raise ActionError(_("Please list the materials missing"))
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        change = ClockChange.objects.create(
            referral=referral,
            kind=ClockChange.Kind.SUSPENSION,
            reason=materials,
            requested_by=actor,
            due_before=referral.handle_due_at,
        )
        engine.complete_task(
            task.task_id, actor=actor, data={"handling": "suspend", "missing_materials": materials}
        )
        log_action(
            "referral.materials_requested",
            actor=actor,
            referral=referral,
            data={"reason": materials, "due_at": _iso(referral.handle_due_at)},
        )
    return change


def receive_materials(task: HumanTask, *, actor: User, note: str) -> ClockChange:
    """The window received the missing materials: the agency's clock runs again."""
    _expect(task, "await_materials")
    with transaction.atomic(durable=True):
        lock_process(task.instance_id)
        referral = _referral_of(task)
        change = _settle(
            task,
            referral,
            ClockChange.Kind.SUSPENSION,
            actor=actor,
            approved=True,
            note=note.strip(),
            data={"materials_note": note.strip()},
            none_pending=_("No missing materials are awaited"),
        )
        log_action(
            "referral.materials_received",
            actor=actor,
            referral=referral,
            before={"due_at": _iso(change.due_before)},
            after={"due_at": _iso(change.due_after)},
            data={"reason": note.strip()},
        )
    return change


def checked_answer(answer: str, promised_date: date | None) -> tuple[str, date]:
    """A 督办回复 as every kind of 督办 takes it (a referral's, a meeting decision's): a reason
    for the delay and a promised date not in the past. The reason stripped, and the date."""
    answer = answer.strip()
    if not answer:
        raise ActionError(_("Please give the reason for the delay"))
    if promised_date is None or promised_date < timezone.localdate():
        raise ActionError(_("The promised completion date cannot be before today"))
    return answer, promised_date


def answer_supervision_notice(
    notice: SupervisionNotice, *, actor: User, answer: str, promised_date: date | None
) -> SupervisionNotice:
    """督办回复: the agency gives the reason it is late and the date it promises to finish."""
    answer, promised = checked_answer(answer, promised_date)
    with transaction.atomic(durable=True):
        lock_process(referral_process_id(Referral.objects.get(supervision_notices=notice.pk)))
        notice = SupervisionNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.answered_at is not None:
            raise ActionError(
                _("This supervision notice was already answered by %(user)s")
                % {"user": notice.answered_by}
            )
        notice.answer, notice.promised_date = answer, promised
        notice.answered_by, notice.answered_at = actor, timezone.now()
        notice.save(update_fields=["answer", "promised_date", "answered_by", "answered_at"])
        log_action(
            "referral.supervision_answered",
            actor=actor,
            referral=notice.referral,
            data={
                "notice": notice.pk,
                "level": notice.level,
                "reason": answer,
                "promised_date": promised.isoformat(),
            },
        )
    return notice


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
