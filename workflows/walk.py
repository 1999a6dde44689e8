"""A faster walk over a workflow's tasks, giving what SpiffWorkflow's own walk gives.

SpiffWorkflow finds tasks (`get_tasks(state=READY)`, ...) with `BpmnTaskIterator`: a general
iterator that pops the head of a Python list, builds a list of child tasks at every node, keeps
a depth counter up to date by walking back up the tree after each leaf, and checks five filter
fields through properties. One completion asks it about ten times (mostly from
`do_engine_steps`), and on an open one-door case (87 tasks with its two referral subprocesses)
each walk cost 160-260 us: a fifth of a completion's Python time.

`walk_tasks` visits the same tasks in the same order (depth first, a subprocess's tasks right
before the children of the task that runs it, the same pruning of predicted branches, of
`end_at_spec` and of finished subprocesses) with a plain stack, and tests the common filters
(state, manual) inline. What it does not do itself it hands to SpiffWorkflow's iterator
unchanged: breadth-first walks, and trees that could be `max_depth` deep (SpiffWorkflow's depth
counter can drift across subprocesses, but never past the number of tasks, so below that no
walk is cut short by it, here or there). tests/workflows/test_walk.py holds the two equal at
every step of the one-door paths, for every kind of filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter, BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

MAX_DEPTH = 1000  # SpiffWorkflow's TaskIterator default


def walk_tasks(
    workflow: Any,
    first_task: Task | None = None,
    end_at_spec: str | None = None,
    max_depth: int = MAX_DEPTH,
    depth_first: bool = True,
    skip_subprocesses: bool = False,
    task_filter: BpmnTaskFilter | None = None,
    **filters: Any,
) -> Iterator[Task]:
    """What `BpmnTaskIterator(first_task or workflow.task_tree, ...)` yields, faster."""
    root = first_task or workflow.task_tree
    task_filter = task_filter or BpmnTaskFilter(**filters)
    if not depth_first or _could_reach(root, max_depth):
        return BpmnTaskIterator(
            root,
            end_at_spec=end_at_spec,
            max_depth=max_depth,
            depth_first=depth_first,
            skip_subprocesses=skip_subprocesses,
            task_filter=task_filter,
        )
    return _depth_first(root, task_filter, end_at_spec, skip_subprocesses)


def walk_own_tasks(workflow: Any, state: int) -> Iterator[Task]:
    """What SpiffWorkflow's plain `TaskIterator(workflow.task_tree, state=state)` yields: the
    tasks of this workflow alone, never entering a subprocess (as `update_waiting_tasks`, run
    after every task that completes, walks)."""
    root = workflow.task_tree
    task_filter = BpmnTaskFilter(state=state)
    if _could_reach(root, MAX_DEPTH):
        return TaskIterator(root, state=state)
    return _depth_first(root, task_filter, None, skip_subprocesses=True, enter=False)


def _could_reach(root: Task, max_depth: int) -> bool:
    """Whether a walk from `root` could go `max_depth` deep: not with fewer tasks than that."""
    top = root.workflow.top_workflow
    total = len(top.tasks) + sum(len(sub.tasks) for sub in top.subprocesses.values())
    return total >= max_depth


def _min_state(state: int) -> int:
    """The least state of a task whose children can match `state` (as TaskIterator has it:
    predicted tasks follow definite ones, definite tasks follow finished ones)."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def _is_plain(task_filter: BpmnTaskFilter) -> bool:
    """A filter on state and `manual` only, which the walk can test inline."""
    return (
        type(task_filter) is BpmnTaskFilter
        and not task_filter.updated_ts
        and task_filter.spec_name is None
        and task_filter.spec_class is None
        and task_filter.catches_event is None
        and task_filter.lane is None
    )


def _depth_first(
    root: Task,
    task_filter: BpmnTaskFilter,
    end_at_spec: str | None,
    skip_subprocesses: bool,
    *,
    enter: bool = True,
) -> Iterator[Task]:
    """BpmnTaskIterator's depth-first walk; with enter=False, TaskIterator's, which knows
    nothing of subprocesses."""
    state = task_filter.state
    min_state = _min_state(state)
    # BpmnTaskIterator does not enter a finished subprocess when only finished tasks are asked for
    # (its very test: the filter's state at most FINISHED_MASK).
    finished_only = state <= TaskState.FINISHED_MASK
    plain = _is_plain(task_filter)
    manual = task_filter.manual
    matches = task_filter.matches
    subprocesses = root.workflow.top_workflow.subprocesses if enter else {}
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        task = pop()
        subprocess = subprocesses.get(task.id) if subprocesses else None
        children = task._children
        if (
            (children or subprocess is not None)
            and (task._state >= min_state or subprocess is not None)
            and task.task_spec.name != end_at_spec
        ):
            tasks = task.workflow.tasks
            for child in reversed(children):
                push(tasks.get(child))
            if not (
                subprocess is None
                or skip_subprocesses
                or (task._state >= TaskState.FINISHED_MASK and finished_only)
            ):
                push(subprocess.task_tree)  # walked first, as BpmnTaskIterator does
        if plain:
            if task._state & state and (manual is None or task.task_spec.manual == manual):
                yield task
        elif matches(task):
            yield task
