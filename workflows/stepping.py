"""How one step of an instance is taken: load its state (spec from the cache), advance it
until it waits, and save it with its projections and journal in one statement.

`engine` builds its public calls (start, complete, message) from these; `timers` and
`migration` use them directly. Nothing outside the engine room does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import DatabaseError
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

from .definitions import DefinitionError
from .errors import (
    EngineError,
    InvalidTaskData,
    ProcessFailed,
    TaskAlreadyCompleted,
    TaskNotAvailable,
    describe_failure,
)
from .handlers import StepContext
from .incidents import resolve_after_success
from .models import Actor, HumanTask, ProcessEvent, ProcessInstance, actor_id
from .projections import TaskChanges, end_event, next_timer_at, task_row, waiting_timers
from .runtime import (
    SERIALIZER_VERSION,
    ParsedDefinition,
    current_instance,
    current_step,
    dump_state,
    load_state,
    spec_cache,
)
from .signals import instance_advanced
from .statecache import CachedState, workflow_cache
from .store import write_step

log = logging.getLogger(__name__)


# A process that keeps producing automatic work after this many rounds is looping.
MAX_ENGINE_ROUNDS = 50
# Automatic tasks (scripts, gateways, events) one step may run, and the time it may take:
# a BPMN cycle that never waits for a person, a timer or a message is stopped, not run for
# ever inside one call (each expression has its own budget, workflows.guards).
MAX_AUTOMATIC_TASKS = 10_000
MAX_STEP_SECONDS = 20.0


class StepLimit:
    """SpiffWorkflow's will_complete_task callback, counting the automatic tasks of a step."""

    def __init__(self) -> None:
        self.left = MAX_AUTOMATIC_TASKS
        self.deadline = time.monotonic() + MAX_STEP_SECONDS

    def __call__(self, task: Task) -> None:
        self.left -= 1
        if self.left < 0 or time.monotonic() > self.deadline:
            spec = task.task_spec
            raise ProcessFailed(
                _(
                    "The process ran %(count)s automatic steps or %(seconds)s seconds without "
                    "waiting for a person, a timer or a message (a loop?), last at “%(task)s”"
                )
                % {
                    "count": f"{MAX_AUTOMATIC_TASKS:,}",
                    "seconds": int(MAX_STEP_SECONDS),
                    "task": spec.bpmn_name or spec.bpmn_id or spec.name,
                }
            )


@dataclass
class Step:
    """What happened while advancing one instance, for the journal and the signal."""

    fired_timers: list[str] = field(default_factory=list)
    # The READY user tasks once the workflow came to rest (None: not known, persist finds
    # them). Kept from advance's last look, which spares persist a walk over every task.
    ready: dict[UUID, Task] | None = None
    # What the service handlers share, and the rows they left to be written with the step.
    context: StepContext = field(default_factory=lambda: StepContext(deferred=True))
    # The caller writes those rows itself (the sweeper: once for a batch of steps).
    caller_writes: bool = False


def check_task_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Task data must be plain JSON with public keys: no Decimal, no dates, no dunders."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidTaskData(_("Task data must be a mapping"))
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            # A string key as written; another object by its kind (its repr may show an address).
            shown = key[:100] if isinstance(key, str) else type(key).__name__
            raise InvalidTaskData(_("Invalid task data key %(key)r") % {"key": shown})
    try:
        return json.loads(json.dumps(dict(data)))
    except (TypeError, ValueError) as exc:
        raise InvalidTaskData(
            _(
                "Task data may hold only strings, integers, booleans, lists and mappings; "
                "money as integer fen, dates as ISO strings (%(error)s)"
            )
            % {"error": exc}
        ) from exc


def advance(instance: ProcessInstance, workflow: BpmnWorkflow, step: Step | None = None) -> Step:
    """Fire due timers and run automatic tasks until only people or timers can move it on.

    Pass the `step` an earlier advance of the same save returned to add to it."""
    step = step if step is not None else Step()
    before = waiting_timers(workflow)
    token = current_instance.set(instance)
    step_token = current_step.set(step.context)
    try:
        limit = StepLimit()
        for _round in range(MAX_ENGINE_ROUNDS):
            workflow.refresh_timers()
            workflow.do_engine_steps(will_complete_task=limit)
            ready = workflow.get_tasks(state=TaskState.READY)
            if all(task.task_spec.manual for task in ready):
                step.ready = {task.id: task for task in ready}
                break
        else:
            raise ProcessFailed(_("The process does not come to rest (a loop)"))
        if workflow.is_completed() and _unfinished_out_of_sight(workflow):
            # SpiffWorkflow follows a branch 1,000 tasks deep at most (its TaskIterator's
            # max_depth): a cycle run ~500 times goes out of its sight and the process would
            # look completed, half-way through.
            raise ProcessFailed(
                _(
                    "The process ran 1,000 steps one after another without waiting for a "
                    "person, a timer or a message (a loop?)"
                )
            )
    except (EngineError, DatabaseError):
        raise
    except Exception as exc:
        # SpiffWorkflow raises its own errors for a failing script or expression, and plain
        # ones (TypeError, KeyError ...) where the data a step needs is missing: every one
        # is the engine room's answer, with a message and no traceback.
        raise ProcessFailed(
            _("Process error: %(error)s") % {"error": describe_failure(exc)}
        ) from exc
    finally:
        current_step.reset(step_token)
        current_instance.reset(token)
    step.fired_timers += [
        task.task_spec.bpmn_id or task.task_spec.name
        for task in before.values()
        if task.state == TaskState.COMPLETED
    ]
    return step


def _unfinished_out_of_sight(workflow: BpmnWorkflow) -> bool:
    workflows = [workflow, *workflow.subprocesses.values()]
    # Work left to do (not a predicted task of a branch not taken, which may stay behind).
    active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
    return any(task.has_state(active) for wf in workflows for task in wf.tasks.values())


@dataclass
class Loaded:
    """A workflow ready to advance, and the READY user tasks (open rows) it was saved with."""

    workflow: BpmnWorkflow
    ready: frozenset[UUID]


def ready_user_tasks(workflow: BpmnWorkflow) -> dict[UUID, Task]:
    return {task.id: task for task in workflow.get_tasks(state=TaskState.READY, manual=True)}


def load(instance: ProcessInstance, definition_hash: str | None = None) -> BpmnWorkflow:
    """The instance's workflow, deserialized from its stored state (to read, not to save)."""
    spec = parsed_definition(instance.definition_id, definition_hash)
    return load_state(bytes(instance.serialized), spec)


def parsed_definition(definition_id: int, content_hash: str | None) -> ParsedDefinition:
    """The parsed spec of a stored definition; a stored file that no longer parses (stored
    before a check it fails) is the engine room's error, not the parser's."""
    try:
        return spec_cache.get(definition_id, content_hash)
    except DefinitionError as exc:
        raise ProcessFailed(
            _("The process definition cannot be read: %(error)s") % {"error": exc}
        ) from exc


def load_locked(instance: ProcessInstance, definition_hash: str | None = None) -> Loaded:
    """The instance's workflow, from the state cache when it holds this very state.

    The caller must hold the instance's row lock, inside a transaction: the workflow is its
    own to mutate, and goes back to the cache only when persist's transaction commits.
    """
    using = instance._state.db or "default"
    cached = workflow_cache.take(instance.pk, bytes(instance.serialized), using=using)
    if cached is not None:
        return Loaded(cached.workflow, cached.ready)
    workflow = load(instance, definition_hash)
    return Loaded(workflow, frozenset(ready_user_tasks(workflow)))


PERSISTED_FIELDS = [
    "serialized",
    "serializer_version",
    "next_timer_at",
    "failure_count",
    "state",
    "completed_at",
    "end_event",
    "end_event_name",
    "revision",
    "updated_at",
]


def persist(
    instance: ProcessInstance,
    loaded: Loaded,
    step: Step,
    *,
    now: datetime,
    events: list[ProcessEvent],
    completed_task_id: UUID | None = None,
    actor: Actor = None,
) -> TaskChanges:
    """Save state and projections and write the journal, in the caller's transaction.

    One statement (workflows.store.write_step), then the rows the step's service handlers
    collected (StepContext.collect), then the instance_advanced signal. The rows to open are
    the READY user tasks that were not READY in the loaded state: the open rows are exactly
    the READY user tasks of the saved state, because every save writes both in one
    transaction.
    """
    workflow = loaded.workflow
    using = instance._state.db or "default"
    instance.serialized = dump_state(workflow)
    instance.serializer_version = SERIALIZER_VERSION
    instance.next_timer_at = next_timer_at(workflow)
    had_failures = instance.failure_count > 0
    instance.failure_count = 0
    for bpmn_id in step.fired_timers:
        events.append(ProcessEvent(kind=ProcessEvent.Kind.TIMER_FIRED, bpmn_id=bpmn_id, at=now))
    if workflow.is_completed() and instance.state != ProcessInstance.State.COMPLETED:
        instance.state = ProcessInstance.State.COMPLETED
        instance.completed_at = now
        instance.end_event, instance.end_event_name = end_event(workflow)
        events.append(ProcessEvent(kind=ProcessEvent.Kind.COMPLETED, at=now))
    instance.revision += 1
    for event in events:
        event.instance = instance
    ready = step.ready if step.ready is not None else ready_user_tasks(workflow)
    closed, opened = write_step(
        instance,
        PERSISTED_FIELDS,
        ready=list(ready),
        completed_task_id=completed_task_id,
        actor_id=actor_id(actor),
        now=now,
        opened=[
            task_row(instance, task, now) for tid, task in ready.items() if tid not in loaded.ready
        ],
        events=events,
        using=using,
    )
    if completed_task_id is not None and all(row.task_id != completed_task_id for row in closed):
        # Its row was closed behind the engine's back: refuse the step (the caller's
        # transaction rolls back) with what the row says.
        raise TaskNotAvailable(closed_row(completed_task_id).name)
    if had_failures:
        # It moved on: an incident it had (retried, or worked past by a person) is over.
        resolve_after_success(instance, now)
    if not step.caller_writes:
        step.context.write()
    workflow_cache.keep_after_commit(
        instance.pk,
        CachedState(instance.revision, bytes(instance.serialized), workflow, frozenset(ready)),
        using=using,
    )
    instance_advanced.send(
        sender=ProcessInstance,
        instance=instance,
        opened=opened,
        closed=closed,
        fired_timers=step.fired_timers,
    )
    return TaskChanges(opened=opened, closed=closed)


def closed_row(task_id: UUID) -> HumanTask:
    """Why a task that is not READY cannot be completed, read after the lock (so current)."""
    row = HumanTask.objects.select_related("completed_by").get(task_id=task_id)
    if row.state == HumanTask.State.COMPLETED:
        who = row.completed_by.get_username() if row.completed_by else _("System")
        raise TaskAlreadyCompleted(row.name, who, row.completed_at)
    if row.state == HumanTask.State.CANCELLED:
        raise TaskNotAvailable(row.name)
    return row
