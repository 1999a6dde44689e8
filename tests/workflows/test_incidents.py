"""Incidents: a timer-triggered script that keeps failing is set aside, not re-failed for ever.

The sweeper runs for real (PostgreSQL, the stored state, the sandbox); the clock is moved past
each back-off so every sweep would try again if it were allowed to.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import override_settings

from tests.conftest import deploy_test_process, open_task
from workflows import engine, incidents
from workflows.errors import IncidentNotFound, IncidentNotOpen
from workflows.models import Incident, ProcessEvent, ProcessInstance
from workflows.runtime import dump_state
from workflows.signals import incident_opened
from workflows.timers import fire_due_timers, sweep_instance

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = timedelta(hours=7)  # past the longest back-off (six hours)


def _start(n: int = 1, **data: Any) -> ProcessInstance:
    deploy_test_process("timer_script.bpmn")
    return engine.start_process(
        "timer_script", subject_type="test", subject_id=n, data={"goal": 3, "step": 1, **data}
    )


def _fix_data(instance: ProcessInstance, **data: Any) -> None:
    """What an administrator's fix stands for here: the data the script needs, in the state."""
    instance.refresh_from_db()
    workflow = engine.load(instance)
    for task in workflow.get_tasks():
        task.data.update(data)
    instance.serialized = dump_state(workflow)
    instance.save(update_fields=["serialized"])


def _sweeps(clock: Any, times: int) -> list[Any]:
    results = []
    for _ in range(times):
        clock.shift(LATER)
        results.append(fire_due_timers())
    return results


@pytest.fixture
def admin_user() -> Any:
    return get_user_model().objects.create_user("ops", password="x")


def test_a_failing_timer_script_becomes_one_incident_and_later_sweeps_skip_it(
    admin_user: Any,
) -> None:
    opened: list[Incident] = []

    def listen(sender: Any, incident: Incident, **kwargs: Any) -> None:
        opened.append(incident)

    incident_opened.connect(listen)
    try:
        with time_machine.travel(NOON, tick=False) as clock:
            instance = _start()  # no "rate": a NameError once the timer fires
            healthy = _start(2, rate=2)
            results = _sweeps(clock, 3)
            assert [(r.claimed, r.failed) for r in results] == [(2, 1), (1, 1), (1, 1)]
            instance.refresh_from_db()
            assert instance.failure_count == 3
            assert instance.next_timer_at is None  # parked: no sweep claims it
            incident = Incident.objects.get()
            assert opened == [incident]
            assert incident.instance == instance and incident.state == Incident.State.OPEN
            assert incident.attempts == 3
            assert (incident.bpmn_id, incident.step_name) == ("compute", "计算补助")
            assert incident.first_failed_at == NOON + LATER
            assert incident.last_failed_at == NOON + 3 * LATER
            # In Chinese for the administrator, with the technical detail beside it.
            assert "“计算补助”连续 3 次失败" in incident.message
            assert "rate" in incident.message and "NameError" not in incident.message
            assert "NameError" in incident.detail and "Traceback" not in incident.detail
            # Further sweeps leave it alone: no claim, no new failure.
            assert [(r.claimed, r.failed) for r in _sweeps(clock, 5)] == [(0, 0)] * 5
            assert ProcessEvent.objects.filter(instance=instance, kind="failed").count() == 3
            assert ProcessEvent.objects.filter(instance=instance, kind="incident").count() == 1
            assert open_task(healthy, "check")
    finally:
        incident_opened.disconnect(listen)


def test_a_retry_after_fixing_the_data_runs_the_process_on(admin_user: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start()
        _sweeps(clock, 3)
        incident = Incident.objects.get()
        _fix_data(instance, rate=5)
        retried = incidents.retry(incident.pk, actor=admin_user)
        assert retried.state == Incident.State.RETRIED and retried.retried_by == admin_user
        instance.refresh_from_db()
        assert instance.next_timer_at == NOON + 3 * LATER  # due now: the next sweep takes it
        result = fire_due_timers()
        assert (result.claimed, result.failed) == (1, 0)
        assert open_task(instance, "check")
        incident.refresh_from_db()
        assert incident.state == Incident.State.RESOLVED
        assert incident.resolved_at == NOON + 3 * LATER
        instance.refresh_from_db()
        assert instance.failure_count == 0
        kinds = list(ProcessEvent.objects.filter(instance=instance).values_list("kind", flat=True))
        assert kinds[-3:] == ["incident", "retried", "timer_fired"]


def test_a_retry_that_fails_again_reopens_the_incident_at_once(admin_user: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start()
        _sweeps(clock, 3)
        incident = Incident.objects.get()
        incidents.retry(incident.pk, actor=admin_user)
        result = sweep_instance(instance.pk)  # the retry run immediately, nothing fixed
        assert (result.claimed, result.failed) == (1, 1)
        incident.refresh_from_db()
        assert incident.state == Incident.State.OPEN and incident.attempts == 4
        assert incident.retried_by == admin_user  # who tried last stays on it
        assert Incident.objects.count() == 1
        instance.refresh_from_db()
        assert instance.next_timer_at is None
        assert fire_due_timers().claimed == 0


def test_a_script_past_the_sandbox_budget_becomes_an_incident_with_the_sandboxs_words() -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start(goal=10**12, rate=1)
        _sweeps(clock, 3)
        incident = Incident.objects.get(instance=instance)
        assert "限额" in incident.message or "时间限制" in incident.message, incident.message
        assert "BudgetExceeded" in incident.detail
        _fix_data(instance, step=10**12)
        incidents.retry(incident.pk, actor=None)
        assert sweep_instance(instance.pk).failed == 0
        assert open_task(instance, "check")


@override_settings(WORKFLOWS_INCIDENT_AFTER=1)
def test_the_threshold_is_a_setting() -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start()
        _sweeps(clock, 1)
        assert Incident.objects.get(instance=instance).attempts == 1


def test_retrying_twice_or_a_missing_incident_changes_nothing(admin_user: Any) -> None:
    with time_machine.travel(NOON, tick=False) as clock:
        instance = _start()
        _sweeps(clock, 3)
        incident = Incident.objects.get()
        incidents.retry(incident.pk, actor=admin_user)
        with pytest.raises(IncidentNotOpen, match="ops"):
            incidents.retry(incident.pk, actor=admin_user)
        for bad in ("x", 10**30, None, incident.pk + 1000):
            with pytest.raises(IncidentNotFound):
                incidents.retry(bad, actor=admin_user)
        assert ProcessEvent.objects.filter(instance=instance, kind="retried").count() == 1


def test_a_failing_service_step_after_a_timer_becomes_an_incident_naming_the_service(
    recorded: Any,
) -> None:
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(NOON, tick=False) as clock:
        instance = engine.start_process(
            "timer_service", subject_type="test", subject_id=9, data={"explode": True}
        )
        _sweeps(clock, 4)
        incident = Incident.objects.get(instance=instance)
        assert incident.attempts == 3 and incident.bpmn_id == "record"
        assert "服务“test.record”执行失败" in incident.message
        assert "exploded on purpose" in incident.detail
        assert recorded.calls == []
