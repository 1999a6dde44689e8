"""SpiffWorkflow wiring: the restricted script engine, the serializer, the spec cache.

The serializer stores the workflow's state without its spec: specs are parsed once per
definition version and restored by reference, which roughly halves the stored state and
makes loading about three times faster than embedding the spec in every instance.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from threading import Lock
from types import CodeType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from . import compact, handlers, timerbounds
from .guards import SandboxError, budgeted, unfolded_size
from .safety import Mode, UnsafeExpression, restricted_code
from .sandbox_builtins import SANDBOX_GLOBALS
from .walk import walk_own_tasks, walk_tasks

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
    from SpiffWorkflow.task import Task

    from .models import ProcessInstance


# The instance whose workflow is being advanced, for service handlers' context.
current_instance: ContextVar[ProcessInstance | None] = ContextVar("current_instance", default=None)
# The step being advanced: what its handlers share and the writes they leave for its save.
current_step: ContextVar[handlers.StepContext | None] = ContextVar("current_step", default=None)


class ServiceError(Exception):
    """A service task named an operator nobody registered, or its handler failed."""


class RestrictedEnvironment(TaskDataEnvironment):
    """The one place SpiffWorkflow evaluates expressions and runs scripts (conditions, timers,
    multi-instance, correlations, task properties, DMN cells all come here): each source is
    compiled by workflows.safety and runs with the guards and builtins of workflows.guards,
    under a fresh budget."""

    def __init__(self) -> None:
        super().__init__(dict(SANDBOX_GLOBALS))

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = _sandboxed(expression, "eval")
        # Task data must not replace the builtins or the guards the globals hold.
        scope = dict(external_context or {})
        scope.update(context)
        scope.update(self.globals)
        with budgeted() as budget:
            result = eval(code, scope)  # noqa: S307 (compiled by workflows.safety)
            unfolded_size(result, budget)
        return result

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> Any:
        code = _sandboxed(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(external_context or {})
        context.update(self.globals)
        try:
            with budgeted() as budget:
                exec(code, context)  # noqa: S102 (compiled by workflows.safety)
                self._remove_globals_and_functions_from_context(context, external_context)
                # What the script leaves is saved as JSON: a value that unfolds past the
                # limit (a list holding itself a hundred times over) fails here, not there.
                unfolded_size(context, budget)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def _sandboxed(source: str, mode: Mode) -> CodeType:
    try:
        return restricted_code(source, mode)
    except UnsafeExpression as exc:
        # The same refusal a deploy gives, for a file stored before the check or past it.
        raise SandboxError(
            _("refused (line %(line)s): %(construct)s")
            % {"line": exc.line, "construct": exc.construct}
        ) from None


class EngineScriptEngine(PythonScriptEngine):
    """Restricted expressions, and service tasks dispatched to the handler registry."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def evaluate(self, task: Task, expression: str, external_context: dict | None = None) -> Any:
        value = super().evaluate(task, expression, external_context)
        definition = getattr(task.task_spec, "event_definition", None)
        kind = timerbounds.kind_of(definition)
        if kind is not None and expression == getattr(definition, "expression", None):
            # A computed timer is held to the ranges a constant one is held to at deploy.
            reason = timerbounds.check_timer_value(kind, value)
            if reason is not None:
                raise WorkflowTaskException(reason, task=task) from SandboxError(reason)
        return value

    def call_service(self, task: Task, **kwargs: Any) -> str:
        operator = kwargs["operation_name"]
        handler = handlers.get(operator)
        if handler is None:
            raise WorkflowTaskException(
                f"no handler registered for service '{operator}'", task=task
            )
        params = {name: p["value"] for name, p in kwargs.get("operation_params", {}).items()}
        instance = current_instance.get()
        if instance is None:
            raise WorkflowTaskException("service task run outside the engine room", task=task)
        call = handlers.ServiceCall(
            operator=operator,
            params=params,
            instance=instance,
            bpmn_id=task.task_spec.bpmn_id or "",
            lane=task.task_spec.lane or "",
            now=timezone.now(),
            step=current_step.get() or handlers.StepContext(),
        )
        try:
            result = handler(call)
        except Exception as exc:
            raise WorkflowTaskException(
                f"service '{operator}' failed: {exc}", task=task, exception=exc
            ) from exc
        return json.dumps(result if result is not None else {})


script_engine = EngineScriptEngine()


class FastWalks:
    """Tasks found by workflows.walk: `get_tasks` & co., the walk for WAITING tasks that
    SpiffWorkflow makes after every task that completes, and `is_completed`'s look for an
    unfinished task (same tasks, same order, a fraction of the time)."""

    task_tree: Task

    def get_tasks_iterator(self, first_task: Task | None = None, **kwargs: Any) -> Any:
        return walk_tasks(self, first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        for task in walk_own_tasks(self, TaskState.WAITING):
            task.task_spec._update(task)

    completed: bool

    def is_completed(self) -> bool:
        # Workflow.is_completed, its walk for the first unfinished task by walk_own_tasks
        if (
            not self.completed
            and next(walk_own_tasks(self, TaskState.NOT_FINISHED_MASK), None) is None
        ):
            self.completed = True
        return self.completed


class EngineSubWorkflow(FastWalks, BpmnSubWorkflow):
    """A subprocess (a referral) of an EngineWorkflow."""


class EngineWorkflow(FastWalks, BpmnWorkflow):
    """The workflow the engine runs: SpiffWorkflow's BpmnWorkflow with FastWalks, its
    subprocesses EngineSubWorkflow. Stored under SpiffWorkflow's own type names, so states
    written before load as these, and these load in plain SpiffWorkflow."""

    def create_subprocess(self, my_task: Task, spec_name: str) -> EngineSubWorkflow:
        # BpmnWorkflow.create_subprocess, with the subclass
        subprocess = EngineSubWorkflow(
            self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class SpecByReferenceConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's converter of a workflow, leaving the spec out of the serialized
    workflow and restoring it from the caller's cache. Everything else, tasks and
    subprocesses included, is SpiffWorkflow's own conversion. Registered for EngineWorkflow
    under the name "BpmnWorkflow" (see _make_serializer)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # BpmnWorkflowConverter.to_dict minus the specs: converting them only to drop them
        # would be a fifth of every save. tests/conftest.py holds every save equal to
        # SpiffWorkflow's own to_dict without them.
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec | None = None,
        subprocess_specs: dict[str, BpmnProcessSpec] | None = None,
    ) -> BpmnWorkflow:
        # BpmnWorkflowConverter.from_dict with the specs passed in rather than restored.
        if spec is None:
            raise ValueError("this serialization stores the spec by reference: pass spec=")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpecByReferenceConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # The engine's subclasses, written under SpiffWorkflow's names; registered last, so
    # those names load as the subclasses.
    SpecByReferenceConverter(EngineWorkflow, registry, BpmnWorkflow.__name__)
    BpmnSubWorkflowConverter(EngineSubWorkflow, registry, BpmnSubWorkflow.__name__)
    return BpmnWorkflowSerializer(registry)


serializer = _make_serializer()
SERIALIZER_VERSION = serializer.VERSION


def find_task(workflow: BpmnWorkflow, task_id: UUID) -> Task | None:
    """The workflow's task with this id, or None if it has none (SpiffWorkflow raises where a
    task is not in the top workflow nor in any subprocess: dropped when it re-planned)."""
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """serialize_json's text (with its version stamp), the spec left out, compressed for
    storage at zlib level 1 (a little larger than the default level, at a third of the
    time). An open one-door case: ~40 kB of JSON, ~6 kB stored."""
    return zlib.compress(serializer.serialize_json(workflow).encode(), 1)


def load_state(data: bytes, spec: ParsedDefinition) -> BpmnWorkflow:
    """The inverse of dump_state, restoring the spec from the parsed definition. Reads the
    states stored in the compact form of earlier versions too (workflows.compact)."""
    dct = json.loads(zlib.decompress(data))
    compact.expand(dct)
    serializer.migrate(dct)  # the serializer's own format migrations, by version stamp
    workflow: BpmnWorkflow = serializer.from_dict(
        dct, spec=spec.spec, subprocess_specs=spec.subprocess_specs
    )
    workflow.script_engine = script_engine
    return workflow


@dataclass(frozen=True)
class ParsedDefinition:
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


def connect_loop_children(parsed: ParsedDefinition) -> None:
    """Connect each loop task's (multi-instance's) child spec to its merge_child, as
    SpiffWorkflow's spec converter does when it restores a spec. The parser leaves that to
    the first create_child in the process: a case whose referrals were created before this
    process parsed the spec (a restart, another worker) would never merge them, and so never
    leave the multi-instance."""
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, LoopTask):
                child = spec.task_specs[task_spec.task_spec]
                if not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)


class SpecCache:
    """Parsed specs per definition version (immutable rows), least recently used evicted.

    Rows are immutable but ids are not forever: emptying the table with its sequence reset
    (`manage.py flush`, a restore) gives an id to another file. Callers that know the
    row's content hash pass it, and a cached spec of other content is parsed again.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[str, ParsedDefinition]] = OrderedDict()
        self._lock = Lock()

    def get(self, definition_id: int, content_hash: str | None = None) -> ParsedDefinition:
        with self._lock:
            entry = self._items.get(definition_id)
            if entry is not None and content_hash in (None, entry[0]):
                self._items.move_to_end(definition_id)
                return entry[1]
        from .definitions import parse_definition
        from .models import ProcessDefinition

        row = ProcessDefinition.objects.get(pk=definition_id)
        parsed = parse_definition(row)
        connect_loop_children(parsed)
        with self._lock:
            self._items[definition_id] = (row.content_hash, parsed)
            self._items.move_to_end(definition_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


spec_cache = SpecCache(getattr(settings, "WORKFLOWS_SPEC_CACHE_SIZE", 64))
