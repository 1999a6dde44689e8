"""one_door.bpmn's referrals as a called process (`referral_handling`), and the cases started
before: a version whose referrals ran in an embedded subprocess keeps loading and running
after the call-activity version is deployed, and both kinds of case run the same steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from tests.conftest import TEST_BPMN, complete, feedback, open_task, open_tasks, refer, start_case
from workflows import engine
from workflows.definitions import deploy_files, latest_definition
from workflows.models import HumanTask, ProcessInstance
from workflows.timers import fire_due_timers

ONE_DOOR = Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"
EMBEDDED = TEST_BPMN / "one_door_embedded_referrals.bpmn"


def deploy_embedded() -> None:
    """The one-door file as it was before the call activity, as the newest one_door."""
    deploy_files([EMBEDDED], replace=True)


def deploy_current() -> None:
    deploy_files([ONE_DOOR], replace=True)


def _walk_one_referral(case: ProcessInstance, bob: Any, alice: Any) -> None:
    refer(case, alice, {"id": 1, "item": "医疗救助", "item_code": "yiliao", "agency": "medical"})
    sign = open_task(case, "sign_for_referral")
    assert sign.scope == "referral_work" and sign.candidate_group == "medical"
    assert sign.due_at is not None
    complete(case, "sign_for_referral", bob, decision="transfer", transfer_to="health", reason="x")
    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    handle = open_task(case, "handle_referral", "health")
    assert handle.scope == "referral_work" and handle.due_at is not None
    feedback(case, bob, "health", "granted")
    assert [t.bpmn_id for t in open_tasks(case)] == ["notify_applicant"]
    complete(case, "notify_applicant", alice)
    complete(case, "close_case", alice)
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED and case.end_event == "case_closed"


def test_the_call_activity_version_runs_the_referral_steps(
    one_door: None, alice: Any, bob: Any
) -> None:
    case = start_case(1, alice)
    assert case.definition == latest_definition("one_door")
    _walk_one_referral(case, bob, alice)
    # The called process is deployed from the same file, as a process of its own.
    called = latest_definition("referral_handling")
    assert (
        called.filename == "one_door.bpmn" and called.content_hash == case.definition.content_hash
    )


def test_a_case_on_the_embedded_version_keeps_running_after_the_new_one_lands(
    one_door: None, alice: Any, bob: Any
) -> None:
    deploy_embedded()
    old = start_case(1, alice)
    embedded = old.definition
    refer(old, alice, {"id": 1, "item": "医疗救助", "item_code": "yiliao", "agency": "medical"})
    deploy_current()
    assert latest_definition("one_door").version > embedded.version
    new = start_case(2, alice)
    assert new.definition == latest_definition("one_door")
    # The old case, loaded afresh (no state cache), still runs its own version's steps.
    from workflows.statecache import workflow_cache

    workflow_cache.clear()
    fire_due_timers()
    old.refresh_from_db()
    assert old.definition == embedded
    complete(old, "sign_for_referral", bob, decision="sign")
    feedback(old, bob, "medical", "granted")
    complete(old, "notify_applicant", alice)
    complete(old, "close_case", alice)
    old.refresh_from_db()
    assert old.state == ProcessInstance.State.COMPLETED and old.definition == embedded
    _walk_one_referral(new, bob, alice)


def test_the_referral_process_runs_on_its_own(one_door: None, alice: Any, bob: Any) -> None:
    """Started for a referral made on another basis: the same steps, at top level, then the
    window's notice (the subject is no case here, so no case notice is ahead)."""
    instance = engine.start_process(
        "referral_handling",
        subject_type="engine-test",
        subject_id=9,
        data={
            "township": "130302001",
            "county": "130302",
            "referral": {
                "id": 7,
                "item": "临时救助",
                "item_code": "linshi",
                "agency": "civil",
                "basis": "第 1 次联席会议议定",
            },
        },
        actor=alice,
    )
    sign = open_task(instance, "sign_for_referral")
    assert sign.scope == "" and sign.candidate_group == "civil" and sign.due_at is not None
    complete(instance, "sign_for_referral", bob, decision="sign")
    complete(instance, "handle_referral", bob, outcome="granted", amount_fen=100, note="")
    tell = open_task(instance, "notify_household")
    assert tell.lane == "window" and tell.candidate_group == "130302001"
    assert tell.due_at is not None
    complete(instance, "notify_household", alice)
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.COMPLETED
    assert instance.end_event == "household_told"
    assert not HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN).exists()
