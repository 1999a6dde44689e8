"""Races proved with real, separate PostgreSQL connections (one per thread)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from tests.conftest import deploy_test_process, open_task, open_tasks, start_case
from workflows import engine
from workflows.errors import TaskAlreadyCompleted
from workflows.models import ProcessEvent, ProcessInstance
from workflows.signals import instance_advanced
from workflows.timers import fire_due_timers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def run_in_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in its own thread (so its own connection), started together."""
    barrier = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)

    def runner(i: int, target: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = target()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def slow_steps() -> Iterator[None]:
    """Hold the instance lock a moment in every step, so racing callers really overlap."""

    def linger(**kwargs: Any) -> None:
        time.sleep(0.2)

    instance_advanced.connect(linger, dispatch_uid="linger")
    yield
    instance_advanced.disconnect(dispatch_uid="linger")


def test_two_people_completing_one_task_at_once_one_wins_the_other_is_told(
    one_door: None, alice, bob, slow_steps: None
) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")

    def accept() -> Any:
        return engine.complete_task(task.task_id, actor=alice, data={"accepted": True})

    def refuse() -> Any:
        return engine.complete_task(
            task.task_id, actor=bob, data={"accepted": False, "refusal_reason": "重复申请"}
        )

    results = run_in_threads(accept, refuse)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TaskAlreadyCompleted), results
    winner = "alice" if errors[0].completed_by == "alice" else "bob"
    assert errors[0].completed_by in {"alice", "bob"}
    assert ProcessEvent.objects.filter(instance=case, kind="task_completed").count() == 1
    case.refresh_from_db()
    if winner == "alice":
        assert len(open_tasks(case, "split_case")) == 1
        assert case.state == ProcessInstance.State.RUNNING
    else:
        assert open_tasks(case) == []
        assert case.state == ProcessInstance.State.COMPLETED


def test_two_sweepers_never_fire_a_timer_twice_nor_lose_one(
    db: None, recorded, slow_steps: None
) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(
        datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        instances = [
            engine.start_process(
                "timer_service", subject_type="test", subject_id=n, data={"explode": False}
            )
            for n in range(12)
        ]
    # Back to the real clock: every one-hour timer is long due.
    results = run_in_threads(
        lambda: fire_due_timers(batch_size=2), lambda: fire_due_timers(batch_size=2)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.fired > 0 for r in results), "both sweepers should have done part of the work"
    assert sum(r.fired for r in results) == 12
    per_instance = Counter(pk for pk, _ in recorded.calls)
    assert per_instance == Counter({i.pk: 1 for i in instances})
    fired_events = Counter(
        ProcessEvent.objects.filter(kind="timer_fired").values_list("instance_id", flat=True)
    )
    assert fired_events == Counter({i.pk: 1 for i in instances})
