"""What the query tables say about the engine state: task rows, next timer, end event.

workflows.store writes them, in the step's own transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task, TaskState

from .errors import ProcessFailed
from .models import HumanTask, ProcessInstance
from .runtime import find_task, script_engine

log = logging.getLogger(__name__)

CANDIDATE_GROUP = "candidateGroup"
DUE_AT = "dueAt"


@dataclass
class TaskChanges:
    opened: list[HumanTask] = field(default_factory=list)
    closed: list[HumanTask] = field(default_factory=list)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO timestamp from task data; one without a zone is read as server-local time,
    as SpiffWorkflow does, so the domain should always hand the engine aware values."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return TimerEventDefinition.get_datetime(str(value))


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due time among the workflow's waiting timer events."""
    earliest: datetime | None = None
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = definition.details(task).value
        if isinstance(value, dict):  # an exhausted cycle
            continue
        if value is None:
            # Not evaluated yet: due now, so the sweeper evaluates it.
            definition.has_fired(task)
            value = definition.details(task).value
        due = parse_timestamp(value)
        if due is not None and (earliest is None or due < earliest):
            earliest = due
    return earliest


def waiting_timers(workflow: BpmnWorkflow) -> dict[UUID, Task]:
    return {
        task.id: task
        for task in workflow.event_manager.tasks.values()
        if isinstance(task.task_spec.event_definition, TimerEventDefinition)
    }


def _evaluate_properties(task: Task) -> dict[str, Any]:
    """Evaluate the task's spiffworkflow:properties (expressions over its data)."""
    values: dict[str, Any] = {}
    for name, expression in (task.task_spec.extensions.get("properties") or {}).items():
        try:
            values[name] = script_engine.evaluate(task, expression)
        except Exception:  # a missing key must not stop the process; the row says so
            log.warning("property %s of %s could not be evaluated", name, task.task_spec.bpmn_id)
            values[name] = None
    return values


def task_row(instance: ProcessInstance, task: Task, now: datetime) -> HumanTask:
    """The (unsaved) projection row of a user task that has just become READY."""
    spec = task.task_spec
    scope_id, scope_name = _scope(task)
    properties = _evaluate_properties(task)
    due_at = parse_timestamp(properties.get(DUE_AT))
    candidate = (
        str(properties[CANDIDATE_GROUP]) if properties.get(CANDIDATE_GROUP) is not None else ""
    )
    limit = HumanTask._meta.get_field("candidate_group").max_length or 0
    if len(candidate) > limit:
        # Computed from task data: checked here, not at deploy (PostgreSQL would refuse the
        # row with a DataError, a page's 500).
        raise ProcessFailed(
            _("“%(task)s”: candidateGroup gives %(length)s characters; the limit is %(limit)s")
            % {"task": spec.bpmn_name or spec.bpmn_id, "length": len(candidate), "limit": limit}
        )
    return HumanTask(
        instance=instance,
        task_id=task.id,
        process_id=workflow_process_id(task),
        subject_type=instance.subject_type,
        subject_id=instance.subject_id,
        bpmn_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        lane=spec.lane or "",
        scope=scope_id,
        scope_name=scope_name,
        candidate_group=candidate,
        properties={k: v for k, v in properties.items() if _is_json_scalar(v)},
        created_at=now,
        due_at=due_at,
    )


def _scope(task: Task) -> tuple[str, str]:
    """(BPMN id, name) of the subprocess the task runs in; blank at top level."""
    workflow = task.workflow
    if workflow is workflow.top_workflow:
        return "", ""
    parent = find_task(workflow.top_workflow, workflow.parent_task_id)
    if parent is None:
        return "", ""
    return str(parent.task_spec.bpmn_id or ""), str(parent.task_spec.bpmn_name or "")


def end_event(workflow: BpmnWorkflow) -> tuple[str, str]:
    """The (BPMN id, name) of the top-level end event a finished process reached."""
    ends = [
        task
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if isinstance(task.task_spec, EndEvent) and task.workflow is workflow
    ]
    if not ends:
        return "", ""
    last = max(ends, key=lambda task: task.last_state_change)
    return str(last.task_spec.bpmn_id or ""), str(last.task_spec.bpmn_name or "")


def workflow_process_id(task: Task) -> str:
    return str(task.workflow.top_workflow.spec.name)


def _is_json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
