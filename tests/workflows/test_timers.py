"""The timer sweeper: fires what is due, records failures, and one broken case blocks nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import deploy_test_process, open_task
from workflows import engine
from workflows.errors import TaskNotAvailable
from workflows.models import ProcessEvent, ProcessInstance
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _start(n: int, explode: bool = False) -> ProcessInstance:
    return engine.start_process(
        "timer_service", subject_type="test", subject_id=n, data={"explode": explode}
    )


def test_nothing_fires_before_it_is_due(db: None, recorded) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start(1)
        instance.refresh_from_db()
        assert instance.next_timer_at == NOON + timedelta(hours=1)
        clock.move_to(NOON + timedelta(minutes=59))
        assert fire_due_timers().claimed == 0
        assert recorded.calls == []


def test_due_timers_fire_once_and_the_process_moves_on(db: None, recorded) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instances = [_start(n) for n in range(5)]
        clock.move_to(NOON + timedelta(hours=1, seconds=1))
        result = fire_due_timers(batch_size=2)
        assert (result.fired, result.failed) == (5, 0)
        assert sorted(recorded.calls) == sorted((i.pk, "record") for i in instances)
        assert fire_due_timers().claimed == 0
        for instance in instances:
            instance.refresh_from_db()
            assert instance.next_timer_at is None
            assert open_task(instance, "after_timer")


def test_a_broken_case_is_recorded_and_does_not_block_the_others(db: None, recorded) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        broken = _start(0, explode=True)
        healthy = [_start(n) for n in range(1, 4)]
        clock.move_to(NOON + timedelta(hours=2))
        result = fire_due_timers(batch_size=2)
        assert (result.fired, result.failed) == (3, 1)
        assert sorted(pk for pk, _ in recorded.calls) == sorted(i.pk for i in healthy)
        broken.refresh_from_db()
        assert broken.failure_count == 1
        assert "exploded on purpose" in broken.last_error
        # It backs off instead of being retried in a tight loop...
        assert broken.next_timer_at is not None
        assert broken.next_timer_at > NOON + timedelta(hours=2)
        assert fire_due_timers().claimed == 0
        failure = ProcessEvent.objects.get(instance=broken, kind="failed")
        assert "exploded" in failure.data["error"]
        # ...and its state is what it was before the failed attempt.
        assert not open_task_exists(broken)


def open_task_exists(instance: ProcessInstance) -> bool:
    return instance.tasks.filter(state="open").exists()


def test_run_timers_once_sweeps_and_exits(db: None, recorded) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        _start(1)
        clock.move_to(NOON + timedelta(hours=3))
        out = StringIO()
        call_command("run_timers", "--once", stdout=out)
        assert "fired 1 timer(s)" in out.getvalue()
        assert len(recorded.calls) == 1


def test_a_task_whose_interrupting_timer_has_passed_cannot_be_completed(db: None, alice) -> None:
    deploy_test_process("interrupting_timer.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instance = engine.start_process("interrupting_timer", subject_type="test", subject_id=1)
        task = open_task(instance, "answer")
        clock.move_to(NOON + timedelta(hours=1, minutes=1))  # due, but no sweeper has run
        with pytest.raises(TaskNotAvailable):
            engine.complete_task(task.task_id, actor=alice, data={"reply": "太迟了"})
        # The timer's move was saved: the task is cancelled and the process took the timeout path.
        task.refresh_from_db()
        assert task.state == "cancelled"
        instance.refresh_from_db()
        assert instance.state == ProcessInstance.State.COMPLETED
        assert list(
            ProcessEvent.objects.filter(instance=instance).values_list("kind", "bpmn_id")
        ) == [("started", ""), ("timer_fired", "too_late"), ("completed", "")]
        assert not ProcessEvent.objects.filter(instance=instance, kind="task_completed").exists()
