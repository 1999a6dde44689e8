"""Keeps Case.stage and each Referral's step in line with the engine, in its transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from onedoor.directory.models import Agency
from workflows.models import HumanTask, ProcessInstance
from workflows.signals import instance_advanced

from .models import SUBJECT_CASE, Case, Referral


@receiver(instance_advanced, dispatch_uid="cases.project_case")
def project_case(
    sender: Any,
    instance: ProcessInstance,
    opened: list[HumanTask],
    closed: list[HumanTask],
    **kwargs: Any,
) -> None:
    if instance.subject_type != SUBJECT_CASE:
        return
    if not opened and not closed and instance.state == ProcessInstance.State.RUNNING:
        return  # no task came or went (a timer fired inside a step): nothing to project
    case = Case.objects.filter(pk=instance.subject_id).first()
    if case is None:  # the process is being started for a case saved in this transaction
        return
    _project_referrals(opened, closed)
    if case.process_id in (None, instance.pk):
        # The case's own (one-door) process; a referral's process started on its own (a
        # joint-conference decision's) moves that referral only.
        _project_stage(case, instance)


def _referral_id(row: HumanTask) -> int | None:
    value = row.properties.get("referralId")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _project_referrals(opened: list[HumanTask], closed: list[HumanTask]) -> None:
    reopened = {_referral_id(row) for row in opened}
    for row in closed:
        rid = _referral_id(row)
        if rid is not None and rid not in reopened:
            Referral.objects.filter(pk=rid, current_task_id=row.pk).update(
                current_task=None, step="", due_at=None
            )
    # The agencies the opened rows name, in one query (a split opens several at once).
    codes = {row.properties.get("agency") for row in opened if _referral_id(row) is not None}
    codes.discard(None)
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)} if codes else {}
    for row in opened:
        rid = _referral_id(row)
        if rid is None:
            continue
        changes: dict[str, Any] = {"current_task": row, "step": row.name}
        # While the coordinator weighs an extension the handling clock runs on: keep its due.
        if row.bpmn_id != "approve_extension":
            changes["due_at"] = row.due_at
        if row.bpmn_id == "sign_for_referral":
            changes["sign_due_at"] = row.due_at
        elif row.bpmn_id == "handle_referral":
            changes["handle_due_at"] = row.due_at
        agency = agencies.get(row.properties.get("agency"))
        if agency is not None:
            changes["agency"] = agency
        Referral.objects.filter(pk=rid).update(**changes)


def _project_stage(case: Case, instance: ProcessInstance) -> None:
    if instance.state == ProcessInstance.State.COMPLETED:
        case.stage, case.stage_name = instance.end_event, instance.end_event_name
        case.closed_at = instance.completed_at
    else:
        open_rows = list(
            HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN).order_by("id")
        )
        top = [row for row in open_rows if not row.scope]
        if top:
            case.stage, case.stage_name = top[0].bpmn_id, top[0].name
        elif open_rows:
            case.stage, case.stage_name = open_rows[0].scope, open_rows[0].scope_name
    case.save(update_fields=["stage", "stage_name", "closed_at"])
