"""The peer line of bench.engine: the one-door path through SpiffWorkflow used plainly.

What a straightforward integration of SpiffWorkflow stores and does, with none of the engine
room: one row per instance in a table of its own holding `serialize_json` of the workflow
(the spec embedded, as SpiffWorkflow's serializer writes it), and for every completion, in one
transaction: SELECT ... FOR UPDATE, `deserialize_json`, complete the task, `do_engine_steps`,
`serialize_json`, UPDATE. No spec cache, no state cache, no projections (the task to complete
is found in the workflow), no journal. The same parsed spec, script engine and service-task
handlers as the engine's in-memory line.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from typing import Any

from django.db import connection, transaction
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import TaskState

from workflows.definitions import latest_definition
from workflows.models import ProcessInstance
from workflows.runtime import current_instance, script_engine, spec_cache

plain = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_peer_workflow (id serial PRIMARY KEY, state text NOT NULL)"
        )


def start(cases: int, start_data: dict[str, Any]) -> list[int]:
    """`cases` new instances, each advanced to its first user task and stored; their ids."""
    parsed = spec_cache.get(latest_definition("one_door").pk)
    ids: list[int] = []
    token = current_instance.set(ProcessInstance(pk=0))
    try:
        for _ in range(cases):
            workflow = BpmnWorkflow(
                parsed.spec, parsed.subprocess_specs, script_engine=script_engine
            )
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(start_data)
            workflow.do_engine_steps()
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_peer_workflow (state) VALUES (%s) RETURNING id",
                    [plain.serialize_json(workflow)],
                )
                ids.append(cursor.fetchone()[0])
    finally:
        current_instance.reset(token)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bench_peer_workflow")
    return ids


def complete(instance_id: int, bpmn_id: str, data: dict[str, Any]) -> None:
    """One completion, as a plain integration makes it: lock, read, advance, write back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT state FROM bench_peer_workflow WHERE id = %s FOR UPDATE", [instance_id]
        )
        workflow = plain.deserialize_json(cursor.fetchone()[0])
        workflow.script_engine = script_engine
        task = next(
            t
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if t.task_spec.bpmn_id == bpmn_id
        )
        task.data.update(data)
        task.run()
        workflow.refresh_timers()
        workflow.do_engine_steps()
        cursor.execute(
            "UPDATE bench_peer_workflow SET state = %s WHERE id = %s",
            [plain.serialize_json(workflow), instance_id],
        )


def completed(ids: list[int]) -> int:
    """How many of these instances have reached their end."""
    done = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM bench_peer_workflow WHERE id = ANY(%s)", [ids])
        for (state,) in cursor.fetchall():
            done += plain.deserialize_json(state).is_completed()
    return done


def run(
    cases: int, threads: int, path: list[tuple[str, dict[str, Any]]], start_data: dict[str, Any]
) -> tuple[float, int]:
    """The path for `cases` new instances in `threads` threads (1: this thread), each on its
    own connection and share of the cases. Returns (seconds, completions)."""
    ids = start(cases, start_data)
    errors: list[BaseException] = []
    ready, done = threading.Barrier(threads + 1), threading.Barrier(threads + 1)

    def work(share: list[int]) -> None:
        token = current_instance.set(ProcessInstance(pk=0))
        try:
            connection.ensure_connection()
            ready.wait()
            for bpmn_id, data in path:
                for instance_id in share:
                    complete(instance_id, bpmn_id, data)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            ready.abort()
        finally:
            current_instance.reset(token)
            with suppress(threading.BrokenBarrierError):
                done.wait()
            connection.close()

    workers = [threading.Thread(target=work, args=(ids[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    elapsed = 0.0
    try:
        ready.wait()
        start_at = time.perf_counter()
        done.wait()
        elapsed = time.perf_counter() - start_at
    except threading.BrokenBarrierError:
        done.abort()
    finally:
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    finished = completed(ids)
    assert finished == cases, f"peer: only {finished} of {cases} cases completed"
    return elapsed, len(path) * cases
