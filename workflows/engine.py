"""The engine room's public API: start a process, complete a task, send a message.

Every call is one transaction: lock the instance row, load the state (spec from the cache),
fire any timer already due, advance, save, and bring the projections up to date, so the
inbox and deadlines never disagree with the engine. Timers are fired by `workflows.timers`.

On the hot path the lock is one statement and the save, projections and journal another
(workflows.store); a workflow saved by this process is reused for the next step while the
locked row still holds the very state it saved (workflows.statecache).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db import DatabaseError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import TaskState

from .definitions import latest_definition
from .errors import (
    EngineError,
    InstanceNotFound,
    InvalidTaskData,
    MessageNotExpected,
    ProcessFailed,
    ProcessNotDeployed,
    TaskNotAvailable,
    TaskNotFound,
    describe_failure,
)
from .models import Actor, HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance, actor_id
from .runtime import (
    SERIALIZER_VERSION,
    EngineWorkflow,
    dump_state,
    find_task,
    script_engine,
)
from .stepping import (
    Loaded,
    Step,
    advance,
    check_task_data,
    closed_row,
    load,
    load_locked,
    parsed_definition,
    persist,
    ready_user_tasks,
)
from .store import lock_instance_of_task

log = logging.getLogger(__name__)

__all__ = [
    "Actor",
    "complete_task",
    "dump_state",
    "load",
    "load_locked",
    "ready_user_tasks",
    "send_message",
    "start_process",
    "task_data",
]


def start_process(
    process_id: str,
    *,
    subject_type: str,
    subject_id: str | int,
    data: Mapping[str, Any] | None = None,
    actor: Actor = None,
) -> ProcessInstance:
    """Start the newest deployed version of `process_id` for a subject (e.g. a case)."""
    clean = check_task_data(data)
    try:
        definition = latest_definition(process_id)
    except ProcessDefinition.DoesNotExist as exc:
        raise ProcessNotDeployed(str(exc)) from exc
    parsed = parsed_definition(definition.pk, definition.content_hash)
    now = timezone.now()
    with transaction.atomic():
        instance = ProcessInstance(
            definition=definition,
            subject_type=subject_type,
            subject_id=str(subject_id),
            serialized=b"",
            serializer_version=SERIALIZER_VERSION,
        )
        instance.save()  # service handlers may need its id
        workflow = EngineWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(clean)
        events = [
            ProcessEvent(
                kind=ProcessEvent.Kind.STARTED,
                actor_id=actor_id(actor),
                data={"version": definition.version, "data": clean},
                at=now,
            )
        ]
        step = advance(instance, workflow)
        persist(instance, Loaded(workflow, frozenset()), step, now=now, events=events, actor=actor)
    return instance


def complete_task(
    task_id: UUID | str,
    *,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
) -> HumanTask:
    """Complete a READY user task with form data; returns its (now completed) projection row.

    Raises TaskAlreadyCompleted if a colleague got there first and TaskNotAvailable if the
    task was cancelled or a due timer moved the process on (that move is saved).
    """
    try:
        task_uuid = UUID(str(task_id))
    except ValueError:
        raise TaskNotFound(task_id) from None
    clean = check_task_data(data)
    now = timezone.now()
    using = router.db_for_write(ProcessInstance)
    moved_on_by_timer: str | None = None
    with transaction.atomic(using=using):
        locked = lock_instance_of_task(task_uuid, using=using)
        if locked is None:
            raise TaskNotFound(task_uuid)
        instance, definition_hash = locked
        loaded = load_locked(instance, definition_hash)
        workflow = loaded.workflow
        task = find_task(workflow, task_uuid)
        if task is None or task.state != TaskState.READY:
            # The locked state is the truth; its rows say who completed it or why it closed.
            name = closed_row(task_uuid).name
        else:
            spec = task.task_spec
            name = spec.bpmn_name or spec.bpmn_id or spec.name
        # Timers first: a passed deadline wins over a late click. next_timer_at says whether
        # any is due, which spares the engine a pass on the common path.
        due = instance.next_timer_at is not None and instance.next_timer_at <= now
        step = advance(instance, workflow) if due else Step()
        task = find_task(workflow, task_uuid)
        if task is None or task.state != TaskState.READY:
            persist(instance, loaded, step, now=now, events=[])
            moved_on_by_timer = name
        else:
            task.data.update(clean)
            try:
                task.run()
                step = advance(instance, workflow, step)
            except (EngineError, DatabaseError) as exc:
                if not isinstance(exc, ProcessFailed):
                    raise
                # What fails right after a person's answer fails on that answer (a field the
                # next steps need is missing or of the wrong kind): nothing is saved.
                raise InvalidTaskData(
                    _("“%(task)s” cannot be completed with this data: %(error)s")
                    % {"task": name, "error": exc}
                ) from exc
            except Exception as exc:
                raise InvalidTaskData(
                    _("“%(task)s” cannot be completed with this data: %(error)s")
                    % {"task": name, "error": describe_failure(exc)}
                ) from exc
            events = [
                ProcessEvent(
                    kind=ProcessEvent.Kind.TASK_COMPLETED,
                    bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
                    task_id=task_uuid,
                    actor_id=actor_id(actor),
                    data=clean,
                    at=now,
                )
            ]
            changes = persist(
                instance,
                loaded,
                step,
                now=now,
                events=events,
                completed_task_id=task_uuid,
                actor=actor,
            )
    if moved_on_by_timer is not None:
        raise TaskNotAvailable(moved_on_by_timer)
    return next(row for row in changes.closed if row.task_id == task_uuid)


def send_message(
    instance_id: int,
    message_name: str,
    *,
    payload: Mapping[str, Any] | None = None,
    actor: Actor = None,
) -> ProcessInstance:
    """Deliver a BPMN message to a waiting instance (a catch event or receive task)."""
    clean = check_task_data(payload)
    now = timezone.now()
    with transaction.atomic():
        try:
            instance = ProcessInstance.objects.select_for_update().get(pk=instance_id)
        except (ProcessInstance.DoesNotExist, ValueError, TypeError):
            raise InstanceNotFound(instance_id) from None
        loaded = load_locked(instance)
        workflow = loaded.workflow
        step = advance(instance, workflow)
        try:
            workflow.send_event(BpmnEvent(MessageEventDefinition(message_name), payload=clean))
        except WorkflowException as exc:
            raise MessageNotExpected(message_name) from exc
        except Exception as exc:  # a correlation or payload expression that failed
            raise ProcessFailed(
                _("Process error: %(error)s") % {"error": describe_failure(exc)}
            ) from exc
        step = advance(instance, workflow, step)
        events = [
            ProcessEvent(
                kind=ProcessEvent.Kind.MESSAGE_RECEIVED,
                bpmn_id=message_name,
                actor_id=actor_id(actor),
                data=clean,
                at=now,
            )
        ]
        persist(instance, loaded, step, now=now, events=events, actor=actor)
    return instance


def task_data(task_id: UUID | str) -> dict[str, Any]:
    """The data a READY task sees (for a form that shows the referral it works on)."""
    try:
        row = HumanTask.objects.select_related("instance").get(task_id=UUID(str(task_id)))
    except (HumanTask.DoesNotExist, ValueError):
        raise TaskNotFound(task_id) from None
    # Read without the row lock, so never from the state cache (another call may own it).
    workflow = load(row.instance)
    task = find_task(workflow, UUID(str(task_id)))
    return dict(task.data) if task is not None else {}
