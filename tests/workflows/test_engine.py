"""The engine room's API: bad input changes nothing; messages; the journal is append-only."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from tests.conftest import complete, deploy_test_process, open_task, start_case
from workflows import engine
from workflows.errors import (
    InvalidTaskData,
    MessageNotExpected,
    ProcessNotDeployed,
    TaskAlreadyCompleted,
    TaskNotAvailable,
    TaskNotFound,
)
from workflows.models import HumanTask, ProcessEvent, ProcessInstance

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "data",
    [
        {"accepted": True, "amount": Decimal("12.50")},
        {"accepted": True, "when": dt.date(2026, 1, 1)},
        {"__builtins__": {}},
        {"_private": 1},
    ],
)
def test_task_data_that_is_not_plain_json_is_refused_and_changes_nothing(
    one_door: None, alice, data: dict
) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")
    revision = ProcessInstance.objects.get(pk=case.pk).revision
    with pytest.raises(InvalidTaskData):
        engine.complete_task(task.task_id, actor=alice, data=data)
    task.refresh_from_db()
    assert task.state == HumanTask.State.OPEN
    assert ProcessInstance.objects.get(pk=case.pk).revision == revision


def test_completing_a_task_twice_says_who_completed_it(one_door: None, alice, bob) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")
    engine.complete_task(task.task_id, actor=alice, data={"accepted": True})
    events_before = ProcessEvent.objects.count()
    with pytest.raises(TaskAlreadyCompleted) as exc:
        engine.complete_task(
            task.task_id, actor=bob, data={"accepted": False, "refusal_reason": "x"}
        )
    assert exc.value.completed_by == "alice"
    assert "alice" in str(exc.value)
    assert ProcessEvent.objects.count() == events_before
    assert open_task(case, "split_case")  # the first completion stands


def test_an_unknown_task_is_reported(one_door: None, alice) -> None:
    with pytest.raises(TaskNotFound):
        engine.complete_task("00000000-0000-0000-0000-000000000000", actor=alice, data={})


def _row_of_a_task_not_in_the_tree(case: ProcessInstance, state: str) -> HumanTask:
    review = open_task(case, "review_application")
    return HumanTask.objects.create(
        instance=case,
        task_id=uuid.uuid4(),
        process_id=review.process_id,
        subject_type=review.subject_type,
        subject_id=review.subject_id,
        bpmn_id="review_application",
        name="受理审查",
        state=state,
        created_at=review.created_at,
    )


def test_a_page_on_a_task_that_has_left_the_process_is_refused_and_changes_nothing(
    one_door: None, alice
) -> None:
    # SpiffWorkflow drops tasks it re-plans; the save that drops one closes its row. A page
    # still showing it gets a clear refusal (SpiffWorkflow's own lookup raises for such an id).
    case = start_case(actor=alice)
    gone = _row_of_a_task_not_in_the_tree(case, HumanTask.State.CANCELLED)
    revision = ProcessInstance.objects.get(pk=case.pk).revision
    with pytest.raises(TaskNotAvailable, match="受理审查"):
        engine.complete_task(gone.task_id, actor=alice, data={"accepted": True})
    assert ProcessInstance.objects.get(pk=case.pk).revision == revision
    assert open_task(case, "review_application")  # the real one is still open


def test_an_open_row_for_a_task_the_process_does_not_have_is_refused_and_closed(
    one_door: None, alice
) -> None:
    # A row that says open with no such task behind it (a restored backup, a hand edit): the
    # step that finds it out saves the instance's rows as the engine has them.
    case = start_case(actor=alice)
    stray = _row_of_a_task_not_in_the_tree(case, HumanTask.State.OPEN)
    with pytest.raises(TaskNotAvailable, match="受理审查"):
        engine.complete_task(stray.task_id, actor=alice, data={"accepted": True})
    stray.refresh_from_db()
    assert stray.state == HumanTask.State.CANCELLED
    assert open_task(case, "review_application")


def test_starting_an_undeployed_process_is_reported(db: None) -> None:
    with pytest.raises(ProcessNotDeployed, match="nope"):
        engine.start_process("nope", subject_type="case", subject_id=1)


def test_each_step_is_journalled_with_its_actor(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    complete(case, "review_application", alice, accepted=True)
    kinds = list(
        ProcessEvent.objects.filter(instance=case).values_list("kind", "bpmn_id", "actor__username")
    )
    assert kinds == [("started", "", "alice"), ("task_completed", "review_application", "alice")]


def test_the_journal_has_no_update_or_delete_path(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    event = ProcessEvent.objects.filter(instance=case).first()
    assert event is not None
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ProcessEvent.objects.filter(instance=case).update(kind="failed")
    with pytest.raises(PermissionError):
        ProcessEvent.objects.filter(instance=case).delete()


def test_a_message_reaches_the_waiting_process_and_routes_its_next_task(db: None, dave) -> None:
    deploy_test_process("message_wait.bpmn")
    instance = engine.start_process("message_wait", subject_type="meeting", subject_id=7)
    assert not HumanTask.objects.filter(instance=instance).exists()
    engine.send_message(
        instance.pk, "meeting_decision", payload={"owner": "health", "text": "限期办结"}, actor=dave
    )
    task = open_task(instance, "act_on_decision")
    assert task.candidate_group == "health"
    assert engine.task_data(task.task_id)["decision"]["text"] == "限期办结"
    event = ProcessEvent.objects.get(instance=instance, kind="message_received")
    assert event.actor == dave and event.bpmn_id == "meeting_decision"


def test_a_message_nobody_waits_for_is_refused(db: None) -> None:
    deploy_test_process("message_wait.bpmn")
    instance = engine.start_process("message_wait", subject_type="meeting", subject_id=7)
    with pytest.raises(MessageNotExpected):
        engine.send_message(instance.pk, "something_else", payload={})
    revision = instance.revision
    instance.refresh_from_db()
    assert instance.revision == revision


def test_state_is_stored_without_the_spec(one_door: None, alice) -> None:
    import json
    import zlib

    case = start_case(actor=alice)
    case.refresh_from_db()
    state = json.loads(zlib.decompress(bytes(case.serialized)))
    assert "spec" not in state and "subprocess_specs" not in state
    assert state["serializer_version"] == case.serializer_version
