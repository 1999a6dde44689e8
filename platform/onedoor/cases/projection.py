"""Keeps Case.stage and each Referral's step in line with the engine, in its transaction.

Every completion runs this, so it writes without reading first where it can: the agency an
opened task names is looked up inside the referral's UPDATE, and the case's stage is set by
an UPDATE that matches only a case whose own process this is (issue 17: two statements fewer
per task POST).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.dispatch import receiver

from onedoor.directory.models import Agency
from workflows.models import HumanTask, ProcessInstance
from workflows.signals import instance_advanced

from .models import SUBJECT_CASE, Referral
from .models import Case as CaseRow


def _field(name: str) -> Any:
    """A concrete field of the referral's row, by its name or column's attribute name."""
    return Referral._meta.get_field(name)


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
    # A case not saved yet (its process started in the transaction that makes it) has no
    # referrals and no row to update: both writes below then match nothing.
    _project_referrals(opened, closed)
    _project_stage(instance)


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
    rows: dict[int, dict[str, Any]] = {}
    for row in opened:
        rid = _referral_id(row)
        if rid is None:
            continue
        changes: dict[str, Any] = {"current_task_id": row.pk, "step": row.name}
        # While the coordinator weighs an extension the handling clock runs on: keep its due.
        if row.bpmn_id != "approve_extension":
            changes["due_at"] = row.due_at
        if row.bpmn_id == "sign_for_referral":
            changes["sign_due_at"] = row.due_at
        elif row.bpmn_id == "handle_referral":
            changes["handle_due_at"] = row.due_at
        code = row.properties.get("agency")
        if code is not None:
            # The agency the task names, read in the UPDATE; a code naming none leaves it.
            named = Agency.objects.filter(code=code).order_by().values("pk")[:1]
            changes["agency"] = Coalesce(Subquery(named), F("agency_id"))
        # A second task of one referral: its changes after the first's, as two UPDATEs were.
        rows.setdefault(rid, {}).update(changes)
    if len(rows) == 1:
        [(rid, changes)] = rows.items()
        Referral.objects.filter(pk=rid).update(**changes)
    elif rows:
        # A split's referrals, each given its first task: one UPDATE for them all.
        Referral.objects.filter(pk__in=rows).update(**_each(rows))


def _each(rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """update() arguments giving each referral (by id) its own changes; a field one of them
    does not change keeps its value."""
    names = list(dict.fromkeys(name for changes in rows.values() for name in changes))
    out: dict[str, Any] = {}
    for name in names:
        field = _field(name)
        target = field.target_field if field.is_relation else field
        whens = [
            When(
                pk=rid,
                then=changes[name]
                if hasattr(changes[name], "resolve_expression")
                else Value(changes[name], output_field=target),
            )
            for rid, changes in rows.items()
            if name in changes
        ]
        out[name] = Case(*whens, default=F(field.attname), output_field=target)
    return out


def _project_stage(instance: ProcessInstance) -> None:
    """The case's stage from its own (one-door) process; a referral's process started on its
    own (a joint-conference decision's) moves that referral only, so its case is not matched."""
    changes: dict[str, Any] = {}
    if instance.state == ProcessInstance.State.COMPLETED:
        stage, stage_name = instance.end_event, instance.end_event_name
        changes["closed_at"] = instance.completed_at
    else:
        open_rows = list(
            HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN)
            .order_by("id")
            .values_list("bpmn_id", "name", "scope", "scope_name")
        )
        top = [row for row in open_rows if not row[2]]
        if top:
            stage, stage_name = top[0][0], top[0][1]
        elif open_rows:
            stage, stage_name = open_rows[0][2], open_rows[0][3]
        else:
            return  # no task open (nor finished): the stage stays as it was
    changes.update(stage=stage, stage_name=stage_name)
    own = Q(process_id__isnull=True) | Q(process_id=instance.pk)
    CaseRow.objects.filter(own, pk=instance.subject_id).update(**changes)
