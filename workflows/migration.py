"""Moving running instances to a newer version of their process.

SpiffWorkflow's primitives do the moving (SpiffWorkflow.bpmn.util.diff): `diff_workflow`
aligns an instance's tasks with the new spec (and each subprocess with its new spec),
`migrate_workflow` points the tasks at the aligned specs and re-plans the waiting ones. What
this module adds is the judgement and the bookkeeping:

1. `check_instance` (the dry run): an instance can move when every step it waits at, and
   every step it went through, exists in the new version (a task whose spec is gone could not
   be stored nor read back), each of its subprocesses is still there, and the moved workflow
   stores, reads back and comes to rest under the new spec; all of that is tried on a copy
   in memory, in a transaction that is rolled back, and nothing is saved.
2. `migrate_instance`: the same, for real, in the instance's own transaction under its row
   lock: the state is saved against the new definition, the task projections brought up to
   date (a waiting step keeps its task, so its row stays open; one the new version adds
   opens a row), and the move goes into the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import Task, TaskState

from .errors import EngineError
from .models import Actor, HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from .runtime import ParsedDefinition, dump_state, load_state, serializer, spec_cache
from .stepping import Loaded, advance, load, persist, ready_user_tasks

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
DEFINITE = ACTIVE | TaskState.COMPLETED | TaskState.CANCELLED


@dataclass
class MigrationCheck:
    """Whether an instance can move to `target`, why not, and what would change for it."""

    instance: ProcessInstance
    target: ProcessDefinition
    reasons: list[str] = field(default_factory=list)
    # The version it ran on before the move (set by migrate_instance).
    source_version: int | None = None
    changes: list[str] = field(default_factory=list)
    waiting_before: list[str] = field(default_factory=list)
    waiting_after: list[str] = field(default_factory=list)

    @property
    def can_move(self) -> bool:
        return not self.reasons


class CannotMigrate(EngineError):
    """The instance cannot move to the new version (its check's reasons)."""

    def __init__(self, check: MigrationCheck) -> None:
        self.check = check
        super().__init__("；".join(check.reasons))


def _label(task: Task) -> str:
    spec = task.task_spec
    return spec.bpmn_name or spec.bpmn_id or spec.name


def _waiting(workflow: BpmnWorkflow) -> list[str]:
    return sorted({_label(t) for t in ready_user_tasks(workflow).values()})


def _diffs(
    workflow: BpmnWorkflow, parsed: ParsedDefinition, check: MigrationCheck
) -> tuple[WorkflowDiff, dict[Any, WorkflowDiff | None]]:
    """SpiffWorkflow's alignment, and the check's reasons and changes from it."""
    top, subs = diff_workflow(serializer.registry, workflow, parsed.spec, parsed.subprocess_specs)
    parts: list[tuple[WorkflowDiff | None, BpmnWorkflow]] = [(top, workflow)]
    for sp_id, sub in subs.items():
        subworkflow = workflow.subprocesses[sp_id]
        if sub is None:
            check.reasons.append(
                _("its subprocess “%(name)s” is not in the new version")
                % {"name": subworkflow.spec.name}
            )
        parts.append((sub, subworkflow))
    internal = False
    for diff, _wf in parts:
        if diff is None:
            continue
        for task in diff.removed:
            if not task.task_spec.bpmn_id:
                # SpiffWorkflow's own joins and splits (no BPMN element): they block the
                # move all the same, but say nothing to an administrator by their names.
                internal = internal or task.has_state(DEFINITE)
            elif task.has_state(ACTIVE):
                check.reasons.append(
                    _("it waits at “%(step)s”, which the new version removes")
                    % {"step": _label(task)}
                )
            elif task.has_state(DEFINITE):
                check.reasons.append(
                    _("it went through “%(step)s”, which the new version removes")
                    % {"step": _label(task)}
                )
        for task in diff.changed:
            if task.has_state(ACTIVE) and task.task_spec.bpmn_id:
                check.changes.append(
                    _("“%(step)s”, where it waits, changes in the new version")
                    % {"step": _label(task)}
                )
    if internal and not check.reasons:
        check.reasons.append(_("the flow around the steps it went through changed"))
    check.reasons[:] = sorted(set(check.reasons))
    check.changes[:] = sorted(set(check.changes))
    return top, subs


def _apply(
    workflow: BpmnWorkflow,
    parsed: ParsedDefinition,
    top: WorkflowDiff,
    subs: dict[Any, WorkflowDiff | None],
) -> None:
    """SpiffWorkflow's migrate_workflow on the instance and each of its subprocesses."""
    for sp_id, sub in subs.items():
        subworkflow = workflow.subprocesses[sp_id]
        assert sub is not None  # checked: every subprocess is in the new version
        migrate_workflow(sub, subworkflow, parsed.subprocess_specs[subworkflow.spec.name])
    migrate_workflow(top, workflow, parsed.spec)
    workflow.subprocess_specs = parsed.subprocess_specs


def _basic_reasons(instance: ProcessInstance, target: ProcessDefinition) -> list[str]:
    if instance.state != ProcessInstance.State.RUNNING:
        return [_("it has ended")]
    if instance.definition_id == target.pk:
        return [_("it already runs on version %(version)s") % {"version": target.version}]
    if instance.definition.process_id != target.process_id:
        return [_("it runs another process")]
    return []


def check_instance(instance: ProcessInstance, target: ProcessDefinition) -> MigrationCheck:
    """The dry run for one instance: nothing is saved (see the module's docstring, 1)."""
    check = MigrationCheck(instance=instance, target=target)
    check.reasons += _basic_reasons(instance, target)
    if check.reasons:
        return check
    parsed = spec_cache.get(target.pk, target.content_hash)
    try:
        workflow = load(instance)
        check.waiting_before = _waiting(workflow)
        top, subs = _diffs(workflow, parsed, check)
        if check.reasons:
            return check
        with transaction.atomic():
            _apply(workflow, parsed, top, subs)
            moved = load_state(dump_state(workflow), parsed)
            advance(instance, moved)
            check.waiting_after = _waiting(moved)
            transaction.set_rollback(True)
    except EngineError as exc:
        check.reasons.append(_("it would fail there: %(error)s") % {"error": exc})
    except Exception as exc:  # SpiffWorkflow's own errors while moving or reading back
        check.reasons.append(
            _("it cannot be moved (%(error)s)") % {"error": f"{type(exc).__name__}: {exc}"}
        )
    return check


def migrate_instance(
    instance_id: int, target: ProcessDefinition, *, actor: Actor
) -> MigrationCheck:
    """Move one instance to `target` in its own transaction under its row lock, or raise
    CannotMigrate with the reasons (nothing changed). Call inside the caller's transaction
    when it writes its own record of the move (the domain's audit), else it makes its own."""
    now = timezone.now()
    with transaction.atomic():
        instance = (
            ProcessInstance.objects.select_for_update()
            .select_related("definition")
            .get(pk=instance_id)
        )
        check = MigrationCheck(instance=instance, target=target)
        check.reasons += _basic_reasons(instance, target)
        if check.reasons:
            raise CannotMigrate(check)
        parsed = spec_cache.get(target.pk, target.content_hash)
        workflow = load(instance)
        ready_before = frozenset(ready_user_tasks(workflow))
        check.waiting_before = _waiting(workflow)
        top, subs = _diffs(workflow, parsed, check)
        if check.reasons:
            raise CannotMigrate(check)
        old_version = check.source_version = instance.definition.version
        _apply(workflow, parsed, top, subs)
        step = advance(instance, workflow)
        check.waiting_after = _waiting(workflow)
        event = ProcessEvent(
            kind=ProcessEvent.Kind.MIGRATED,
            actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
            data={"from": old_version, "to": target.version},
            at=now,
        )
        # Receivers of persist's signal see the version the instance now runs on; the row's
        # definition is written beside the step (persist writes the state's fields only).
        instance.definition = target
        persist(instance, Loaded(workflow, ready_before), step, now=now, events=[event])
        ProcessInstance.objects.filter(pk=instance.pk).update(definition=target)
        _rename_open_rows(instance, workflow)
    return check


def _rename_open_rows(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """A waiting step keeps its task (and its open row): give the row the step's new id and
    name where the new version renamed it."""
    for task_id, task in ready_user_tasks(workflow).items():
        spec = task.task_spec
        HumanTask.objects.filter(instance=instance, task_id=task_id).exclude(
            bpmn_id=spec.bpmn_id or spec.name, name=spec.bpmn_name or ""
        ).update(bpmn_id=spec.bpmn_id or spec.name, name=spec.bpmn_name or "")
