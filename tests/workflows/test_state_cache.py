"""The hot path: the in-process workflow cache and the one-statement step write.

These run with real commits (transactional tests), because the cache is filled only when a
step's transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from SpiffWorkflow.task import TaskState

from tests.conftest import complete, feedback, open_task, open_tasks, refer, start_case
from workflows import engine, stepping
from workflows.errors import TaskAlreadyCompleted
from workflows.models import HumanTask, ProcessEvent, ProcessInstance
from workflows.signals import instance_advanced
from workflows.statecache import WorkflowCache, workflow_cache

pytestmark = pytest.mark.django_db(transaction=True)

REFERRALS = (
    {"item": "医疗救助", "agency": "health"},
    {"item": "教育救助", "agency": "education"},
)


@pytest.fixture
def fresh_cache() -> Iterator[WorkflowCache]:
    workflow_cache.clear()
    yield workflow_cache
    workflow_cache.clear()


def work_a_case(alice: Any, bob: Any, carol: Any) -> ProcessInstance:
    case = start_case(actor=alice)
    refer(case, alice, *REFERRALS)
    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    complete(case, "sign_for_referral", carol, group="education", decision="sign")
    complete(case, "handle_referral", bob, group="health", outcome="granted", amount_fen=1, note="")
    feedback(case, carol, "education", "refused", 0, "无")
    complete(case, "notify_applicant", alice, channel="书面", text="已告知")
    complete(case, "close_case", alice)
    case.refresh_from_db()
    return case


def history(case: ProcessInstance) -> list[tuple[str, str, str]]:
    return list(
        HumanTask.objects.filter(instance=case)
        .order_by("id")
        .values_list("bpmn_id", "candidate_group", "state")
    )


def test_a_case_worked_from_the_cache_ends_as_one_read_from_storage_every_step(
    one_door: None, alice, bob, carol, fresh_cache: WorkflowCache, monkeypatch
) -> None:
    cached = work_a_case(alice, bob, carol)
    assert fresh_cache.hits >= 8  # every completion after the start reused the saved workflow

    monkeypatch.setattr(fresh_cache, "size", 0)  # off: every step deserializes
    stored = work_a_case(alice, bob, carol)

    assert cached.state == stored.state == ProcessInstance.State.COMPLETED
    assert (cached.end_event, cached.revision) == (stored.end_event, stored.revision)
    assert history(cached) == history(stored)
    journal = ProcessEvent.objects.order_by("pk")
    assert [e.kind for e in journal.filter(instance=cached)] == [
        e.kind for e in journal.filter(instance=stored)
    ]


def test_a_row_another_process_wrote_is_read_from_storage_not_the_cache(
    one_door: None, alice, bob, fresh_cache: WorkflowCache, monkeypatch
) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")
    assert len(fresh_cache) == 1  # the start left its workflow for the next step

    # Another web process (its own, empty cache) completes the review.
    monkeypatch.setattr(stepping, "workflow_cache", WorkflowCache(10))
    engine.complete_task(task.task_id, actor=alice, data={"accepted": True})
    monkeypatch.undo()

    # This process still holds the older revision: it must not act on it.
    misses = fresh_cache.misses
    with pytest.raises(TaskAlreadyCompleted):
        engine.complete_task(task.task_id, actor=bob, data={"accepted": False})
    assert fresh_cache.misses == misses + 1
    assert len(open_tasks(case, "split_case")) == 1


def test_a_state_rewritten_behind_the_engine_is_read_from_storage(
    one_door: None, alice, fresh_cache: WorkflowCache
) -> None:
    case = start_case(actor=alice)
    review = open_task(case, "review_application")
    case.refresh_from_db()
    before_review = bytes(case.serialized)
    engine.complete_task(review.task_id, actor=alice, data={"accepted": True})
    # A restore (or a data fix) puts the earlier state back without touching the revision.
    ProcessInstance.objects.filter(pk=case.pk).update(serialized=before_review)

    with transaction.atomic():
        instance = ProcessInstance.objects.select_for_update().get(pk=case.pk)
        workflow = engine.load_locked(instance).workflow
        assert workflow.get_task_from_id(review.task_id).state == TaskState.READY


def test_a_step_that_rolls_back_leaves_no_half_advanced_workflow_behind(
    one_door: None, alice, fresh_cache: WorkflowCache
) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")

    def refuse_to_commit(**kwargs: Any) -> None:
        raise RuntimeError("a listener failed after the engine advanced")

    instance_advanced.connect(refuse_to_commit, dispatch_uid="refuse_to_commit")
    try:
        with pytest.raises(RuntimeError):
            engine.complete_task(task.task_id, actor=alice, data={"accepted": True})
    finally:
        instance_advanced.disconnect(dispatch_uid="refuse_to_commit")

    # The rolled-back step advanced the workflow in memory; that object must be gone, or
    # the review would now look completed.
    assert len(fresh_cache) == 0
    row = engine.complete_task(task.task_id, actor=alice, data={"accepted": True})
    assert row.state == HumanTask.State.COMPLETED and row.completed_by == alice
    assert len(open_tasks(case, "split_case")) == 1
    assert ProcessEvent.objects.filter(instance=case, kind="task_completed").count() == 1


def test_a_step_is_one_locking_read_and_one_write(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    refer(case, alice, *REFERRALS)
    sign = open_task(case, "sign_for_referral", "health")
    received: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> None:
        received.append(kwargs)

    instance_advanced.connect(record, dispatch_uid="record")
    try:
        with CaptureQueriesContext(connection) as queries:
            row = engine.complete_task(sign.task_id, actor=alice, data={"decision": "sign"})
    finally:
        instance_advanced.disconnect(dispatch_uid="record")

    # Service tasks (the domain's deadline handlers) query their own tables; the engine's
    # own statements on its tables are the lock and the write.
    statements = [q["sql"] for q in queries.captured_queries if '"workflows_' in q["sql"]]
    assert len(statements) == 2, statements
    assert statements[0].startswith("SELECT") and "FOR UPDATE" in statements[0]
    assert statements[1].startswith("WITH")
    # The row comes back complete, and the listeners get whole rows, properties included.
    assert (row.state, row.completed_by_id) == (HumanTask.State.COMPLETED, alice.pk)
    (signal,) = received
    assert [r.task_id for r in signal["closed"]] == [sign.task_id]
    assert signal["closed"][0].properties.get("agency") == "health"
    assert [r.bpmn_id for r in signal["opened"]] == ["handle_referral"]
    assert signal["opened"][0].pk is not None and signal["opened"][0].candidate_group == "health"
    # What the two statements read back (in binary) is what the ORM reads, field by field.
    for returned in [*signal["closed"], *signal["opened"]]:
        assert fields(returned) == fields(HumanTask.objects.get(pk=returned.pk))
    assert fields(signal["instance"]) == fields(ProcessInstance.objects.get(pk=case.pk))


def fields(row: Any) -> dict[str, Any]:
    values = {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}
    if "serialized" in values:
        values["serialized"] = bytes(values["serialized"])
    return values


def test_a_completion_is_one_lock_and_one_write_logged_as_djangos_own_queries(
    one_door: None, alice, bob, carol, fresh_cache: WorkflowCache
) -> None:
    with CaptureQueriesContext(connection) as queries:
        case = work_a_case(alice, bob, carol)
    logged = [q["sql"] for q in queries.captured_queries]
    writes = [sql for sql in logged if sql.startswith("WITH saved AS (UPDATE")]
    locks = [sql for sql in logged if sql.startswith("SELECT") and sql.endswith("FOR UPDATE")]
    assert len(writes) == 9  # the start and eight completions
    assert len(locks) == 8
    assert case.state == ProcessInstance.State.COMPLETED
    assert [row[2] for row in history(case)] == ["completed"] * 8
