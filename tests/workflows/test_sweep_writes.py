"""Rows that service handlers hand to the step (StepContext.collect): written with the step, by
the sweeper once per batch, never for a step that failed, and a batch whose rows cannot be
written is swept again instance by instance so only the culprit fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from tests.conftest import deploy_test_process, open_tasks, recorder
from workflows import engine, handlers
from workflows.handlers import ServiceCall
from workflows.models import ProcessEvent, ProcessInstance
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Collector:
    """A test.record handler that leaves a Group row per call for the step to write.

    `explode` in the process data fails the step after collecting; an instance in
    `unwritable` makes every write that includes its row fail."""

    def __init__(self) -> None:
        self.writes: list[list[int]] = []
        self.unwritable: set[int] = set()

    def write(self, items: list[int]) -> None:
        if self.unwritable & set(items):
            raise RuntimeError("this row cannot be written")
        self.writes.append(list(items))
        Group.objects.bulk_create([Group(name=f"recorded-{pk}") for pk in items])

    def __call__(self, call: ServiceCall) -> dict[str, Any]:
        call.step.collect(self.write, call.instance.pk)
        if call.params.get("explode"):
            raise RuntimeError("handler exploded on purpose")
        return {"ok": True}


@pytest.fixture
def collector() -> Iterator[Collector]:
    found = Collector()
    handlers.register("test.record")(found)
    yield found
    handlers.register("test.record")(recorder)


def _start(n: int, explode: bool = False) -> ProcessInstance:
    return engine.start_process(
        "timer_service", subject_type="test", subject_id=n, data={"explode": explode}
    )


def written() -> set[str]:
    return set(Group.objects.filter(name__startswith="recorded-").values_list("name", flat=True))


def test_a_sweep_writes_its_batch_of_collected_rows_at_once(db: None, collector) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instances = [_start(n) for n in range(5)]
        clock.move_to(NOON + timedelta(hours=1, seconds=1))
        result = fire_due_timers(batch_size=3)
    assert (result.claimed, result.fired, result.failed) == (5, 5, 0)
    assert sorted(len(batch) for batch in collector.writes) == [2, 3]  # one write per batch
    assert written() == {f"recorded-{i.pk}" for i in instances}


def test_a_failed_step_leaves_none_of_its_collected_rows(db: None, collector) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        broken = _start(0, explode=True)
        healthy = [_start(n) for n in range(1, 4)]
        clock.move_to(NOON + timedelta(hours=2))
        result = fire_due_timers()
    assert (result.fired, result.failed) == (3, 1)
    assert written() == {f"recorded-{i.pk}" for i in healthy}
    broken.refresh_from_db()
    assert broken.failure_count == 1 and "exploded on purpose" in broken.last_error


def test_a_batch_whose_rows_cannot_be_written_is_swept_one_instance_at_a_time(
    db: None, collector
) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instances = [_start(n) for n in range(4)]
        culprit = instances[2]
        collector.unwritable.add(culprit.pk)
        clock.move_to(NOON + timedelta(hours=2))
        result = fire_due_timers()
    # The batch's write failed and rolled it all back; swept again, only the culprit fails.
    assert (result.claimed, result.fired, result.failed) == (4, 3, 1)
    others = [i for i in instances if i != culprit]
    assert written() == {f"recorded-{i.pk}" for i in others}
    for instance in others:
        assert [t.bpmn_id for t in open_tasks(instance)] == ["after_timer"]
        assert ProcessEvent.objects.filter(instance=instance, kind="timer_fired").count() == 1
    culprit.refresh_from_db()
    assert culprit.failure_count == 1 and "cannot be written" in culprit.last_error
    assert open_tasks(culprit) == []  # its state is as before the attempt
    assert not ProcessEvent.objects.filter(instance=culprit, kind="timer_fired").exists()


def test_outside_the_engine_a_collected_row_is_written_at_once(db: None, collector) -> None:
    call = ServiceCall(
        operator="test.record",
        params={},
        instance=ProcessInstance(pk=99),
        bpmn_id="record",
        lane="",
        now=NOON,
    )
    collector(call)
    assert written() == {"recorded-99"}
