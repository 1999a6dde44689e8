"""Moving running instances to a newer version (workflows.migration): the dry run says for
each instance whether it can move and why not; a move keeps the waiting step's task, and the
instance then takes the new path (the 科长复核 variant in tests/workflows/bpmn/)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.conftest import (
    ONE_DOOR,
    TEST_BPMN,
    complete,
    open_task,
    open_tasks,
    refer,
    start_case,
)
from workflows import engine
from workflows.definitions import deploy_documents
from workflows.migration import CannotMigrate, check_instance, migrate_instance
from workflows.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance

pytestmark = pytest.mark.django_db

VARIANT = TEST_BPMN / "one_door_section_review.bpmn"


def _deploy(path: object) -> ProcessDefinition:
    content = path.read_bytes()  # type: ignore[attr-defined]
    [result] = [
        r
        for r in deploy_documents([("one_door.bpmn", content)], {})
        if r.definition.process_id == "one_door"
    ]
    return result.definition


def test_a_case_waiting_for_review_moves_and_then_takes_the_new_step(
    one_door: None, alice, bob
) -> None:
    case = start_case(actor=alice)
    waiting = open_task(case, "review_application")
    variant = _deploy(VARIANT)
    check = check_instance(case, variant)
    assert check.can_move, check.reasons
    assert check.waiting_before == check.waiting_after == ["受理审查"]
    assert ProcessInstance.objects.get(pk=case.pk).definition_id != variant.pk  # dry run
    moved = migrate_instance(case.pk, variant, actor=alice)
    assert moved.can_move
    case.refresh_from_db()
    assert case.definition_id == variant.pk
    # The waiting step kept its task: the same row is still open.
    assert open_task(case, "review_application").pk == waiting.pk
    assert ProcessEvent.objects.filter(instance=case, kind="migrated").get().data == {
        "from": variant.version - 1,
        "to": variant.version,
    }
    complete(case, "review_application", alice, accepted=True)
    review = open_task(case, "section_review")
    assert review.name == "科长复核"
    engine.complete_task(review.task_id, actor=alice, data={})
    complete(case, "split_case", alice, referrals=[{"item": "医疗救助", "agency": "health"}])
    assert [t.candidate_group for t in open_tasks(case, "sign_for_referral")] == ["health"]


def test_a_case_in_the_referrals_moves_with_its_subprocesses(one_door: None, alice, bob) -> None:
    case = start_case(actor=alice)
    refer(case, alice, {"item": "医疗救助", "agency": "health"})
    variant = _deploy(VARIANT)
    assert check_instance(case, variant).can_move
    migrate_instance(case.pk, variant, actor=alice)
    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    complete(case, "handle_referral", bob, group="health", outcome="granted", amount_fen=1, note="")
    assert open_task(case, "notify_applicant")


def test_a_case_at_a_step_the_new_version_removes_stays_and_says_why(one_door: None, alice) -> None:
    variant = _deploy(VARIANT)
    case = start_case(actor=alice)
    complete(case, "review_application", alice, accepted=True)
    assert open_task(case, "section_review")
    passed = start_case(subject_id=2, actor=alice)
    complete(passed, "review_application", alice, accepted=True)
    engine.complete_task(open_task(passed, "section_review").task_id, actor=alice, data={})
    back = _deploy(ONE_DOOR)  # the step removed again
    case.refresh_from_db()
    passed.refresh_from_db()
    with translation.override("en"):
        check = check_instance(case, back)
        went_through = check_instance(passed, back)
    assert not check.can_move
    assert any("科长复核" in r and "waits" in r for r in check.reasons), check.reasons
    assert any("科长复核" in r and "went through" in r for r in went_through.reasons), (
        went_through.reasons
    )
    with pytest.raises(CannotMigrate):
        migrate_instance(case.pk, back, actor=alice)
    case.refresh_from_db()
    assert case.definition_id == variant.pk
    assert HumanTask.objects.filter(instance=case, state="open").count() == 1


def test_an_ended_case_or_one_on_the_version_already_does_not_move(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    current = ProcessDefinition.objects.get(pk=case.definition_id)
    assert check_instance(case, current).reasons
    complete(case, "review_application", alice, accepted=False, refusal_reason="不符合")
    case.refresh_from_db()
    assert check_instance(case, _deploy(VARIANT)).reasons


def test_an_older_variant_without_the_clocks_takes_no_running_case(one_door: None, alice) -> None:
    """tests/workflows/bpmn/one_door_transfer_approval.bpmn predates the time-limit clocks: a
    case that started on today's path went through its review clock, which that variant lacks."""
    case = start_case(actor=alice)
    older = _deploy(TEST_BPMN / "one_door_transfer_approval.bpmn")
    with translation.override("en"):
        check = check_instance(case, older)
    assert not check.can_move
    assert "it went through “计算受理时限”, which the new version removes" in check.reasons
    assert not any("BoundaryEvent" in r for r in check.reasons), check.reasons
    with pytest.raises(CannotMigrate):
        migrate_instance(case.pk, older, actor=alice)
    # New cases take that version's path all the same.
    assert start_case(subject_id=2, actor=alice).definition_id == older.pk
