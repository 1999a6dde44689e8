"""A compact serialized form of SpiffWorkflow's tasks: what defaults and neighbours already
say is left out of the stored state, and put back on load.

SpiffWorkflow 3.2's TaskConverter writes every field of every task, and an open one-door case
has 87 tasks: 42 kB of JSON, mostly an empty delta, an id written twice (key and `id`), a
parent that the parent's `children` already names, empty internal data, `triggered: false`
and `typename: "Task"`. Per task, keyed by its id as before, this form writes:

- `children` (if any), `last_state_change`, `state`, `task_spec`, as SpiffWorkflow does;
- `parent` only where it is not the task that listed this one in its `children` earlier in
  the mapping (it always is in practice: a task is created after its parent);
- `triggered` only if true, `internal_data` only if not empty;
- the data as SpiffWorkflow stores it (all of it on a task whose parent is not before it in
  the mapping, otherwise the keys updated and deleted against the parent's), only if any.

Loading accepts both forms, task by task (a task in SpiffWorkflow's own form has an `id`),
so states stored before this form load as they did. `expand` rewrites compact tasks in
SpiffWorkflow's own form: its format migrations expect that form, and run when its serializer
version moves on. tests/workflows/test_compact_state.py holds `expand` of this form equal to
SpiffWorkflow's own dict, and the two forms loading to the same workflow.

Saving writes the text of a task that has not changed since the last save as it was
(tasks_to_json, `Fragment`); loading (parse_state, tasks_from_dict) keeps each task's stored
text as such a fragment, so a state read from storage, the common case when the web workers
take turns on a case, saves as fast as one kept in memory.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.dictionary import DictionaryConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task, TaskState

TaskDict = dict[str, Any]


def workflow_to_dict(registry: DictionaryConverter, workflow: Any) -> dict[str, Any]:
    """WorkflowConverter.to_dict (the attributes of a workflow and of a subprocess alike),
    with the tasks in compact form (as a placeholder for their text, inside `state_json`)."""
    last_task = workflow.last_task
    text_mode = _text_mode.get()
    if text_mode is None:
        tasks: Any = tasks_to_dict(registry, workflow.tasks)
    else:
        tasks = text_mode.placeholder(len(text_mode.texts))
        fragments = getattr(workflow, "fragments", None)
        text_mode.texts.append(
            tasks_to_json(
                registry, text_mode.encode, workflow.tasks, {} if fragments is None else fragments
            )
        )
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(last_task.id) if last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": tasks,
        "root": str(workflow.task_tree.id),
    }


@dataclass(frozen=True)
class _TextMode:
    encode: Callable[[Any], str]
    texts: list[str]

    # Where a task mapping's text goes: a string no workflow's data holds (a NUL and a secret of
    # this process), checked all the same (state_json).
    @staticmethod
    def placeholder(n: int) -> str:
        return f"\x00{_SECRET}:{n}"


_SECRET = secrets.token_hex(16)
_text_mode: ContextVar[_TextMode | None] = ContextVar("compact_text_mode", default=None)


def state_json(serializer: Any, workflow: Any) -> str:
    """`serializer.serialize_json(workflow)`, the very same text, made faster: each task
    mapping's text by tasks_to_json (unchanged tasks from the fragments of the last save), set
    into the text of the rest where workflow_to_dict left a placeholder for it."""
    encode = serializer._encoder_cls().encode
    mode = _TextMode(encode, [])
    registry = serializer.registry
    token = _text_mode.set(mode)
    registry._encoder_mode = True  # as serialize_json does
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        text: str = encode(dct)
    finally:
        registry._encoder_mode = False
        _text_mode.reset(token)
    for n, tasks in enumerate(mode.texts):
        placeholder = encode(mode.placeholder(n))
        if text.count(placeholder) != 1:  # never seen: a workflow's data held the secret
            return str(serializer.serialize_json(workflow))
        text = text.replace(placeholder, tasks, 1)
    return text


class CompactSubWorkflowConverter(BpmnSubWorkflowConverter):
    """SpiffWorkflow's converter of a subprocess (a multi-instance referral), tasks compact."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = workflow_to_dict(self.registry, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict[str, Any], task: Task, top_workflow: Any) -> Any:
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = tasks_from_dict(self.registry, dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def tasks_to_dict(registry: DictionaryConverter, tasks: dict[UUID, Task]) -> dict[str, TaskDict]:
    """The compact form of a workflow's task mapping, in its order."""
    return {key: dct for key, dct, _task, _made_of in _compact_tasks(registry, tasks)}


@dataclass(slots=True)
class Fragment:
    """A task's part of the stored text, kept from one save for the next (see _compact_tasks
    for which tasks are kept)."""

    task: Task
    made_of: tuple[Any, ...]  # while the task still gives this, the text is good
    names: list[str]  # the children's ids as text
    text: str  # '"<id>": {...}'


def tasks_to_json(
    registry: DictionaryConverter,
    encode: Callable[[Any], str],
    tasks: dict[UUID, Task],
    fragments: dict[int, Fragment],
) -> str:
    """`encode(tasks_to_dict(registry, tasks))`, the very same text, made faster: a kept
    task's part comes from `fragments` (by id() of the task; filled anew for the next save),
    runs of the other tasks are encoded in one call each.

    An open one-door case has 87 tasks; ~40 are finished and ~40 predicted, and a step changes
    a few: building and encoding the dicts of all of them was most of every save. A fragment is
    used again only while what it was made of (see _compact_tasks) is unchanged: state, time of
    that state, children, parent, how the parent is written, triggered, and for a task without
    data the names in its parent's data. tests/conftest.py compares the result with a full
    encoding at every save the test suite makes.
    """
    parts: list[str] = []
    run: dict[str, TaskDict] = {}
    kept: dict[int, Fragment] = {}
    for key, item, task, made_of in _compact_tasks(registry, tasks, fragments):
        if made_of is None:
            run[key] = item
            continue
        if run:
            parts.append(encode(run)[1:-1])  # '"<id>": {...}, ...' without the braces
            run = {}
        if isinstance(item, Fragment):
            fragment = item
        else:
            names = item.get("children", [])
            fragment = Fragment(task, made_of, names, f'"{key}": {encode(item)}')
        kept[id(task)] = fragment
        parts.append(fragment.text)
    if run:
        parts.append(encode(run)[1:-1])
    fragments.clear()
    fragments.update(kept)
    return "{" + ", ".join(parts) + "}"


FINISHED = TaskState.FINISHED_MASK


def _compact_tasks(
    registry: DictionaryConverter,
    tasks: dict[UUID, Task],
    fragments: dict[int, Fragment] | None = None,
) -> Iterator[tuple[str, Any, Task, tuple[Any, ...] | None]]:
    """(key, compact dict, task, None) for each task, in order. With `fragments`: for a task
    that may be kept as a fragment, what its text is made of in place of None, and in place of
    the dict its fragment where that is still good. Two kinds of task may be kept: one with no
    data and no internal data (a predicted task, mostly: what it is made of says all its text
    holds), and a finished one whose parent has finished (its data and internal data are
    SpiffWorkflow's to change no more)."""
    # Each task's parent as the `children` of the tasks written so far say it (load derives
    # it the same way, from the same lists in the same order), with the child's id as text.
    listed_by: dict[UUID, tuple[UUID, str]] = {}
    written: set[str] = set()
    convert = registry.convert
    for task in tasks.values():
        task_id = task.id
        parent_id = task._parent
        parent = tasks.get(parent_id) if parent_id is not None else None
        if parent is None:
            parent_id = None
        listed = listed_by.get(task_id)
        if listed is None:
            key, listed_parent = str(task_id), None
        else:
            listed_parent, key = listed
        # `is` first: != on UUIDs is a Python call, and the two are mostly the same object.
        writes_parent = listed_parent is not parent_id and listed_parent != parent_id
        if writes_parent and parent is not None and str(parent_id) not in written:
            parent = None  # not restored yet when this task is: store all its data
        written.add(key)
        children = task._children
        made_of: tuple[Any, ...] | None = None
        if fragments is not None:
            kind: tuple[Any, ...] | None = None
            if not task.data and not task.internal_data:
                # A predicted task, mostly: all its text says is in made_of, the names of its
                # parent's data included (its delta deletes them).
                kind = ("empty", tuple(parent.data) if parent is not None else None)
            elif task._state & FINISHED and (parent is None or parent._state & FINISHED):
                kind = ("finished", parent is None)
            if kind is not None:
                made_of = (
                    task._state,
                    task.last_state_change,
                    tuple(children),
                    parent_id,
                    writes_parent,
                    task.triggered,
                    kind,
                )
        if fragments is not None and made_of is not None:
            fragment = fragments.get(id(task))
            if fragment is not None and fragment.task is task and fragment.made_of == made_of:
                for child, name in zip(children, fragment.names, strict=True):
                    listed_by[child] = (task_id, name)
                yield key, fragment, task, made_of
                continue
        dct: TaskDict = {}
        if writes_parent:
            dct["parent"] = str(parent_id) if parent_id is not None else None
        if children:
            names = [str(child) for child in children]
            dct["children"] = names
            for child, name in zip(children, names, strict=True):
                listed_by[child] = (task_id, name)
        dct["last_state_change"] = task.last_state_change
        dct["state"] = task.state
        dct["task_spec"] = task.task_spec.name
        if task.triggered:
            dct["triggered"] = task.triggered
        if task.internal_data:
            dct["internal_data"] = convert(task.internal_data)
        data = task.data
        if parent is None:
            if data:
                dct["data"] = data
        else:
            before = parent.data
            updates = {k: v for k, v in data.items() if k not in before or v != before[k]}
            deletions = [k for k in before if k not in data]
            if updates or deletions:
                delta: dict[str, Any] = {}
                dct["delta"] = delta
                if updates:
                    delta["updates"] = updates
                if deletions:
                    delta["deletions"] = deletions
        yield key, dct, task, made_of


class TaskTexts(dict[str, TaskDict]):
    """A workflow's task mapping as parse_state read it, with each task's part of the text
    (`"<id>": {...}`, as tasks_to_json writes it) by key."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
_space = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]
Parse = Callable[[str, str, int], tuple[Any, int]]


def parse_state(text: str) -> dict[str, Any]:
    """json.loads(text) of a stored state, with each task mapping (the workflow's and each
    subprocess's) a TaskTexts: tasks_from_dict keeps a task's text as its fragment for the next
    save, so a state loaded from storage saves as fast as one kept in memory, and restores a
    task's data through the registry only where its text names a `typename`. Anything not
    in the shape a saved state has is read by json.loads as it is, without texts."""
    try:
        if text[:1] == "{":
            dct, end = _object(text, 0, _workflow_value, {})
            if _space(text, end).end() == len(text):
                return dct
    except (ValueError, IndexError, StopIteration):
        pass
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _object(s: str, pos: int, value: Parse, out: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The JSON object at s[pos] == '{' into `out`, each member's value read by value()."""
    pos = _space(s, pos + 1).end()
    if s[pos] == "}":
        return out, pos + 1
    while True:
        if s[pos] != '"':
            raise ValueError(pos)
        key, pos = _scanstring(s, pos + 1)
        pos = _space(s, pos).end()
        if s[pos] != ":":
            raise ValueError(pos)
        out[key], pos = value(key, s, _space(s, pos + 1).end())
        pos = _space(s, pos).end()
        if s[pos] == "}":
            return out, pos + 1
        if s[pos] != ",":
            raise ValueError(pos)
        pos = _space(s, pos + 1).end()


def _tasks(s: str, pos: int) -> tuple[TaskTexts, int]:
    """A task mapping at s[pos] == '{', with each member's text; written by tasks_to_json, so
    with its separators (", ", ": "): anything else raises, for json.loads to read."""
    out = TaskTexts()
    texts = out.texts
    if s[pos + 1] == "}":
        return out, pos + 2
    pos += 1
    while True:
        if s[pos] != '"':
            raise ValueError(pos)
        key, end = _scanstring(s, pos + 1)
        if s[end : end + 2] != ": ":
            raise ValueError(end)
        out[key], end = _scan(s, end + 2)
        texts[key] = s[pos:end]
        if s[end] == "}":
            return out, end + 1
        if s[end : end + 2] != ", ":
            raise ValueError(end)
        pos = end + 2


def _workflow_value(key: str, s: str, pos: int) -> tuple[Any, int]:
    if s[pos] == "{":
        if key == "tasks":
            return _tasks(s, pos)
        if key == "subprocesses":
            return _object(s, pos, _subprocess_value, {})
    return _any_value(key, s, pos)


def _subprocess_value(key: str, s: str, pos: int) -> tuple[Any, int]:
    if s[pos] == "{":
        return _object(s, pos, _workflow_value, {})
    return _any_value(key, s, pos)


def _any_value(_key: str, s: str, pos: int) -> tuple[Any, int]:
    return _scan(s, pos)


_PLAIN = frozenset({dict, list, set})
_COPIED = (dict, list, set)


def tasks_from_dict(
    registry: DictionaryConverter, dct: dict[str, TaskDict], workflow: Any
) -> dict[UUID, Task]:
    """The task mapping of `workflow` from either form (see the module's docstring). Where
    `dct` is a TaskTexts, the text of each compact task that tasks_to_json may keep becomes the
    workflow's fragment for it, made of what the restored task is made of."""
    tasks: dict[UUID, Task] = {}
    restored: dict[str, Task] = {}
    listed_by: dict[str, str] = {}
    uuids: dict[str, UUID] = {}  # one UUID object per id, as in a live workflow
    specs = workflow.spec.task_specs
    restore = registry.restore
    events = workflow.top_workflow.event_manager
    texts = dct.texts if isinstance(dct, TaskTexts) else None
    fragments: dict[int, Fragment] | None = getattr(workflow, "fragments", None)
    for key, item in dct.items():
        if "id" in item:  # SpiffWorkflow's own form: its TaskConverter, via the registry
            task = restore(item, workflow=workflow)
        else:
            text = texts.get(key) if texts is not None else None
            # A value the registry converts is written as a dict with a "typename" (a compact
            # task has none of its own): without one in the text, restore would only copy.
            typed = text is None or '"typename"' in text
            task_id = uuids.get(key) or UUID(key)
            parent_key = item["parent"] if "parent" in item else listed_by.get(key)
            spec = specs.get(item["task_spec"])
            task = Task(workflow, spec, state=item["state"], id=task_id)
            parent = restored.get(parent_key) if parent_key is not None else None
            if parent_key is not None:
                task._parent = parent.id if parent is not None else UUID(parent_key)
            children = item.get("children")
            if children:
                ids = []
                for name in children:
                    child = uuids.get(name)
                    if child is None:
                        child = uuids[name] = UUID(name)
                    ids.append(child)
                task._children = ids
            task.last_state_change = item["last_state_change"]
            task.triggered = item.get("triggered", False)
            internal = item.get("internal_data")
            task.internal_data = (restore(internal) if typed else internal) if internal else {}
            if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
                events.add_task(task)
            if parent is None:
                data = item.get("data")
                task.data = (restore(data) if typed else data) if data else {}
            else:
                # DeepMerge.merge({}, parent.data), the updates, the deletions, as
                # SpiffWorkflow's TaskConverter does; the deleted names left out of the copy
                # instead (a save writes updates and deletions of different names), so the
                # predicted task that deletes all its parent's names copies nothing. v.copy()
                # where v is a plain container, as copy(v) does, without its lookups.
                delta = item.get("delta")
                deleted = frozenset(delta.get("deletions", ())) if delta else ()
                task.data = {
                    k: v.copy() if type(v) in _PLAIN else copy(v) if isinstance(v, _COPIED) else v
                    for k, v in parent.data.items()
                    if k not in deleted
                }
                updates = delta.get("updates") if delta else None
                if updates:
                    task.data.update(restore(updates) if typed else updates)
            if text is not None and fragments is not None and "parent" not in item:
                _keep_loaded(fragments, task, parent, item, text)
        tasks[task.id] = task
        restored[key] = task
        for name in item.get("children", ()):
            listed_by[name] = key
    return tasks


def _keep_loaded(
    fragments: dict[int, Fragment], task: Task, parent: Task | None, item: TaskDict, text: str
) -> None:
    """The loaded text of a task listed by its parent (or of a root), as its fragment, where
    _compact_tasks would keep one and would write the very same text: made of what it will
    find at the next save if the task is unchanged by then (so, for instance, a task
    SpiffWorkflow runs is written anew)."""
    if not task.data and not task.internal_data:
        kind: tuple[Any, ...] = ("empty", tuple(parent.data) if parent is not None else None)
    elif task._state & FINISHED and (parent is None or parent._state & FINISHED):
        kind = ("finished", parent is None)
    else:
        return
    delta = item.get("delta")
    if delta and parent is not None:
        # A delta does not say where among the parent's names the task had its own: the
        # loaded data has the parent's order, its new names after. Where that writes the
        # delta in another order, the text is made anew (same content, so no harm either way).
        data, before = task.data, parent.data
        updates = delta.get("updates")
        if updates and list(updates) != [k for k in data if k in updates]:
            return
        deletions = delta.get("deletions")
        if deletions and deletions != [k for k in before if k not in data]:
            return
    made_of = (
        task._state,
        task.last_state_change,
        tuple(task._children),
        parent.id if parent is not None else None,
        False,  # the parent is not written: the task is listed in its children
        task.triggered,
        kind,
    )
    fragments[id(task)] = Fragment(task, made_of, item.get("children", []), text)


def expand(dct: dict[str, Any]) -> None:
    """Rewrite, in place, the compact tasks of a serialized workflow (and its subprocesses)
    in SpiffWorkflow's own form, the form its migrations know."""
    for workflow in [dct, *dct.get("subprocesses", {}).values()]:
        if isinstance(workflow.get("tasks"), dict):
            workflow["tasks"] = _expand_tasks(workflow["tasks"])


def _expand_tasks(tasks: dict[str, TaskDict]) -> dict[str, TaskDict]:
    out: dict[str, TaskDict] = {}
    listed_by: dict[str, str] = {}
    for key, item in tasks.items():
        if "id" in item:
            out[key] = item
        else:
            parent = item["parent"] if "parent" in item else listed_by.get(key)
            full: TaskDict = {
                "id": key,
                "parent": parent,
                "children": item.get("children", []),
                "last_state_change": item["last_state_change"],
                "state": item["state"],
                "task_spec": item["task_spec"],
                "triggered": item.get("triggered", False),
                "internal_data": item.get("internal_data", {}),
            }
            if parent is not None and parent in out:
                delta = item.get("delta", {})
                full["data"] = {}
                full["delta"] = {
                    "updates": delta.get("updates", {}),
                    "deletions": delta.get("deletions", []),
                }
            else:
                full["data"] = item.get("data", {})
                full["delta"] = {}
            full["typename"] = "Task"
            out[key] = full
        for name in out[key]["children"]:
            listed_by[name] = key
    return out
