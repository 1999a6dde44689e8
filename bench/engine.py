"""Engine benchmark: the one-door path in memory and persisted on PostgreSQL, in one run.

    python -m bench.engine [--cases N]      (make bench runs it against PostgreSQL)

Each case: review (accept), split into two referrals, two sign-fors, two handle-and-feedback,
notify, close: eight user-task completions. "In memory" drives SpiffWorkflow directly with
the same parsed spec and script engine; "persisted" goes through workflows.engine: row lock,
load, advance, serialize, save, projections and journal, one transaction per completion.
Creates and drops its own test database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.task import TaskState  # noqa: E402

from workflows import engine  # noqa: E402
from workflows.definitions import deploy_files, latest_definition  # noqa: E402
from workflows.models import HumanTask, ProcessInstance  # noqa: E402
from workflows.runtime import current_instance, script_engine, serializer, spec_cache  # noqa: E402

REFERRALS = [
    {"item": "医疗救助", "agency": "health", "handle_days": 10},
    {"item": "教育救助", "agency": "education", "handle_days": 5},
]
# (bpmn id, form data) in the order a case is worked; sign and handle come once per referral.
PATH: list[tuple[str, dict[str, Any]]] = [
    ("review_application", {"accepted": True}),
    ("split_case", {"referrals": REFERRALS}),
    ("sign_for_referral", {"decision": "sign"}),
    ("sign_for_referral", {"decision": "sign"}),
    ("handle_referral", {"outcome": "granted", "amount_fen": 100000, "note": ""}),
    ("handle_referral", {"outcome": "granted", "amount_fen": 50000, "note": ""}),
    ("notify_applicant", {"channel": "书面", "text": "已告知"}),
    ("close_case", {}),
]
OPEN_CASE_STEP = 4  # after both sign-fors: the largest state a case has while open


def run_in_memory(cases: int) -> tuple[float, int]:
    parsed = spec_cache.get(latest_definition("one_door").pk)
    token = current_instance.set(ProcessInstance(pk=0))
    completions = 0
    start = time.perf_counter()
    try:
        for _ in range(cases):
            workflow = BpmnWorkflow(
                parsed.spec, parsed.subprocess_specs, script_engine=script_engine
            )
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data["township"] = "130302001"
            workflow.do_engine_steps()
            for bpmn_id, data in PATH:
                task = next(
                    t
                    for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_id == bpmn_id
                )
                task.data.update(data)
                task.run()
                workflow.do_engine_steps()
                completions += 1
            assert workflow.is_completed()
    finally:
        current_instance.reset(token)
    return time.perf_counter() - start, completions


def run_persisted(cases: int, actor: Any) -> tuple[float, int, list[int], list[int]]:
    instances = [
        engine.start_process(
            "one_door",
            subject_type="bench",
            subject_id=n,
            data={"township": "130302001"},
            actor=actor,
        )
        for n in range(cases)
    ]
    compressed: list[int] = []
    raw: list[int] = []
    completions = 0
    with connection.cursor() as cursor:  # fresh tables: give the planner statistics first
        cursor.execute("ANALYZE")
    start = time.perf_counter()
    for step, (bpmn_id, data) in enumerate(PATH):
        if step == OPEN_CASE_STEP:
            pause = time.perf_counter()
            for instance in ProcessInstance.objects.filter(subject_type="bench"):
                blob = bytes(instance.serialized)
                compressed.append(len(blob))
                raw.append(len(zlib.decompress(blob)))
            start += time.perf_counter() - pause  # measuring size is not part of the rate
        for instance in instances:
            task_id = (
                HumanTask.objects.filter(instance=instance, bpmn_id=bpmn_id, state="open")
                .values_list("task_id", flat=True)
                .first()
            )
            assert task_id is not None, f"{bpmn_id} not open on {instance.pk}"
            engine.complete_task(task_id, actor=actor, data=data)
            completions += 1
    elapsed = time.perf_counter() - start
    done = ProcessInstance.objects.filter(subject_type="bench", state="completed").count()
    assert done == cases, f"only {done} of {cases} cases completed"
    return elapsed, completions, compressed, raw


def embedded_spec_size() -> int:
    """State size if the spec were embedded in every instance (what spec-by-reference saves)."""
    parsed = spec_cache.get(latest_definition("one_door").pk)
    spec_json = json.dumps(
        {
            "spec": serializer.to_dict(parsed.spec),
            "subprocess_specs": {
                k: serializer.to_dict(v) for k, v in parsed.subprocess_specs.items()
            },
        }
    )
    return len(spec_json)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench.engine measures PostgreSQL: set DATABASE_URL (make bench does)")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        deploy_files([ROOT / "bpmn" / "one_door.bpmn"])
        actor = get_user_model().objects.create_user("bench")
        run_in_memory(20)  # warm up the spec cache and the interpreter
        mem_s, mem_n = run_in_memory(args.cases)
        db_s, db_n, compressed, raw = run_persisted(args.cases, actor)
        spec_bytes = embedded_spec_size()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    mem_rate, db_rate = mem_n / mem_s, db_n / db_s
    print(
        f"one_door.bpmn, {args.cases} cases x {len(PATH)} user tasks, "
        f"PostgreSQL {connection.pg_version}"  # type: ignore[attr-defined]
    )
    print(f"in memory:  {mem_rate:8.0f} task completions/s  ({mem_s * 1000 / mem_n:.2f} ms each)")
    print(
        f"persisted:  {db_rate:8.0f} task completions/s  ({db_s * 1000 / db_n:.2f} ms each, "
        "lock + load + advance + save + projections + journal, one transaction each)"
    )
    print(f"ratio:      {mem_rate / db_rate:8.1f} x  (in memory / persisted)")
    print(
        f"state per open case: {statistics.mean(compressed):.0f} bytes stored (zlib), "
        f"{statistics.mean(raw):.0f} bytes JSON; an embedded spec would add {spec_bytes} bytes JSON"
    )


if __name__ == "__main__":
    main()
