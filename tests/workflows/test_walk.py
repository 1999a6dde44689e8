"""workflows.walk finds the very tasks SpiffWorkflow's own iterator finds, in its order: on every
walk SpiffWorkflow itself asks for while one-door cases run every branch, and for every kind
of filter at every stage of a case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from tests.conftest import complete, feedback, open_task, refer, start_case
from workflows import engine, runtime, walk
from workflows.models import ProcessInstance
from workflows.runtime import EngineSubWorkflow, EngineWorkflow
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def spiffs_own(workflow: Any, first_task: Task | None = None, **kwargs: Any) -> list[Task]:
    return list(BpmnTaskIterator(first_task or workflow.task_tree, **kwargs))


@pytest.fixture
def checked_walks(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every walk the engine makes is made both ways and compared; returns the walks' args."""
    asked: list[dict[str, Any]] = []

    def both(workflow: Any, first_task: Task | None = None, **kwargs: Any) -> Iterator[Task]:
        ours = list(walk.walk_tasks(workflow, first_task, **kwargs))
        assert ours == spiffs_own(workflow, first_task, **kwargs), kwargs
        asked.append(kwargs)
        return iter(ours)

    def own(workflow: Any, state: int) -> Iterator[Task]:
        # Lazily, as the engine uses it: tasks change while the walk goes on.
        ours, theirs = (
            walk.walk_own_tasks(workflow, state),
            TaskIterator(workflow.task_tree, state=state),
        )
        for mine in ours:
            assert mine is next(theirs)
            yield mine
        assert next(theirs, None) is None
        asked.append({"own": state})

    monkeypatch.setattr(runtime, "walk_tasks", both)
    monkeypatch.setattr(runtime, "walk_own_tasks", own)
    return asked


FILTERS: list[dict[str, Any]] = [
    {},
    {"state": TaskState.READY},
    {"state": TaskState.READY, "manual": True},
    {"state": TaskState.READY, "manual": False},
    {"state": TaskState.WAITING},
    {"state": TaskState.COMPLETED},
    {"state": TaskState.FINISHED_MASK},
    {"state": TaskState.NOT_FINISHED_MASK},
    {"state": TaskState.PREDICTED_MASK},
    {"state": TaskState.DEFINITE_MASK, "skip_subprocesses": True},
    {"spec_class": UserTask},
    {"spec_name": "handle_referral"},
    {"lane": "agency"},
    {"updated_ts": 1.0},
    {"end_at_spec": "referral_work"},
    {"state": TaskState.READY, "depth_first": False},  # SpiffWorkflow's own walk
    {"max_depth": 3},  # SpiffWorkflow's own walk
]


def assert_walks_agree(workflow: EngineWorkflow) -> None:
    assert isinstance(workflow, EngineWorkflow)
    assert all(isinstance(sub, EngineSubWorkflow) for sub in workflow.subprocesses.values())
    starts: list[Any] = [None, *workflow.tasks.values()]
    for sub in workflow.subprocesses.values():
        starts.append(sub.task_tree)
    for kwargs in FILTERS:
        for first in starts:
            ours = workflow.get_tasks(first, **kwargs)
            assert ours == spiffs_own(workflow, first, **kwargs), (kwargs, first)
    for sub in workflow.subprocesses.values():
        assert sub.get_tasks(state=TaskState.READY) == spiffs_own(sub, state=TaskState.READY)


def test_every_walk_of_a_case_with_returns_transfers_and_timers_agrees(
    one_door: None, alice, bob, carol, checked_walks: list[dict[str, Any]]
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        case = start_case(actor=alice)
        assert_walks_agree(engine.load(case))
        refer(
            case,
            alice,
            {"item": "住房救助", "agency": "civil"},
            {"item": "医疗救助", "agency": "education", "handle_days": 2},
        )
        assert_walks_agree(engine.load(case))
        complete(case, "sign_for_referral", bob, group="civil", decision="return", reason="错")
        complete(case, "reroute_referral", alice, reroute_to="housing")
        complete(
            case,
            "sign_for_referral",
            carol,
            group="education",
            decision="transfer",
            transfer_to="health",
        )
        assert_walks_agree(engine.load(case))
        complete(case, "sign_for_referral", bob, group="housing", decision="sign")
        complete(case, "sign_for_referral", carol, group="health", decision="sign")
        assert_walks_agree(engine.load(case))
        handle = open_task(case, "handle_referral", "health")
        assert handle.due_at is not None
        clock.move_to(handle.due_at + timedelta(hours=1))
        fire_due_timers()  # reminder and overdue
        assert_walks_agree(engine.load(case))
        feedback(case, bob, "housing", "granted", 100, "")
        feedback(case, carol, "health", "refused", 0, "不符合条件")
        complete(case, "notify_applicant", alice, channel="书面", text="已告知")
        complete(case, "close_case", alice)
        case.refresh_from_db()
        assert case.state == ProcessInstance.State.COMPLETED
        assert_walks_agree(engine.load(case))
    # SpiffWorkflow's own calls were checked too, READY walks in subprocesses among them.
    assert {"state": TaskState.READY} in checked_walks
    assert {"own": TaskState.WAITING} in checked_walks
    assert len(checked_walks) > 100


def test_a_refused_application_walks_alike(
    one_door: None, alice, checked_walks: list[dict[str, Any]]
) -> None:
    case = start_case(actor=alice)
    complete(case, "review_application", alice, accepted=False, refusal_reason="不符合条件")
    assert_walks_agree(engine.load(case))


def test_a_very_deep_tree_is_left_to_spiffworkflow(one_door: None, alice) -> None:
    """SpiffWorkflow cuts walks at max_depth with a counter of its own; where a tree could be
    that deep the walk is SpiffWorkflow's."""
    case = start_case(actor=alice)
    workflow = engine.load(case)
    whole = list(walk.walk_tasks(workflow))
    assert whole == spiffs_own(workflow)
    for depth in (1, 2, 3):
        cut = spiffs_own(workflow, max_depth=depth)
        assert len(cut) < len(whole)  # SpiffWorkflow's counter does cut this walk short
        assert list(walk.walk_tasks(workflow, max_depth=depth)) == cut, depth
