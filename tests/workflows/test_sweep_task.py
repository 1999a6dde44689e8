"""The sweep task's own rules, run in this process: it stops at its time budget, and the
beat schedule names a task the worker app really has."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from tests.conftest import deploy_test_process
from workflows import engine
from workflows.models import ProcessInstance
from workflows.tasks import sweep_due_timers, sweep_until_done

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _start_due(count: int, clock: time_machine.Traveller) -> None:
    deploy_test_process("timer_service.bpmn")
    for n in range(count):
        engine.start_process(
            "timer_service", subject_type="test", subject_id=n, data={"explode": False}
        )
    clock.move_to(NOON + timedelta(hours=2))


def _still_due() -> int:
    return ProcessInstance.objects.filter(next_timer_at__isnull=False).count()


@pytest.mark.django_db
def test_a_sweep_past_its_budget_stops_after_the_batch_in_hand(recorded) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        _start_due(5, clock)
        result, batches = sweep_until_done(budget=1e-9, batch_size=2)
        assert (result.fired, batches) == (2, 1)
        assert _still_due() == 3  # left for the next scheduled sweep


@pytest.mark.django_db
def test_a_sweep_within_its_budget_leaves_nothing_due(recorded) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        _start_due(5, clock)
        report = sweep_due_timers.apply(kwargs={"batch_size": 2}).get()
        assert (report["fired"], report["failed"], report["batches"]) == (5, 0, 4)
        assert _still_due() == 0
        assert len(recorded.calls) == 5


def test_beat_sends_the_sweep_task_the_workers_run() -> None:
    from onedoor.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-due-timers"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.WORKFLOWS_SWEEP_INTERVAL
