"""Reading states stored in the compact task form of earlier versions of the engine.

Until issue 18 the engine wrote each task in a compact form of its own:
what defaults and neighbours say left out (the `id` written twice, a `parent` that the
parent's `children` already names, `triggered: false`, empty internal data, empty deltas,
`typename: "Task"`). The engine now stores SpiffWorkflow's own form; rows saved before keep
that form until their next save, so loading rewrites them first (`expand`), task by task: a
task in SpiffWorkflow's own form has an `id` and is left as it is. SpiffWorkflow's format
migrations and its TaskConverter then read the result as they read their own.
tests/workflows/test_saved_states.py loads rows saved by that engine, compares what they load
to with what it loaded, and works their cases to the end.

A compact task, keyed by its id: `children` (if any), `last_state_change`, `state`,
`task_spec` as SpiffWorkflow writes them; `parent` only where it is not the task that
listed this one in its `children` earlier in the mapping; `triggered` only if true,
`internal_data` only if not empty; the data as SpiffWorkflow stores it (all of it on a task
whose parent is not before it in the mapping, otherwise the `delta` against the parent's,
`updates` and `deletions` each only if not empty), only if any.
"""

from __future__ import annotations

from typing import Any

TaskDict = dict[str, Any]


def expand(dct: dict[str, Any]) -> None:
    """Rewrite, in place, the compact tasks of a serialized workflow (and its subprocesses)
    in SpiffWorkflow's own form, the form its migrations know."""
    for workflow in [dct, *dct.get("subprocesses", {}).values()]:
        tasks = workflow.get("tasks")
        if isinstance(tasks, dict) and any("id" not in task for task in tasks.values()):
            workflow["tasks"] = _expand_tasks(tasks)


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
