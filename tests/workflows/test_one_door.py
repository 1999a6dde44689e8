"""Every branch of bpmn/one_door.bpmn, through the engine room's public API."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import TOWNSHIP, complete, feedback, open_task, open_tasks, refer, start_case
from workflows import engine
from workflows.errors import TaskNotAvailable
from workflows.models import HumanTask, ProcessEvent, ProcessInstance
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_new_case_waits_for_the_window_to_review_it(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    task = open_task(case, "review_application")
    assert (task.lane, task.candidate_group, task.name) == ("window", TOWNSHIP, "受理审查")
    assert ProcessEvent.objects.filter(instance=case, kind="started").count() == 1


def test_refusal_ends_the_case_with_a_written_notice(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    complete(case, "review_application", alice, accepted=False, refusal_reason="户籍不在本乡镇")
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED
    assert open_tasks(case) == []
    workflow = engine.load(case)
    end = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "application_refused"][0]
    assert "户籍不在本乡镇" in end.data["refusal_notice"]["notice"]


def test_two_agencies_work_in_parallel_and_the_case_closes_when_both_are_back(
    one_door: None, alice, bob, carol
) -> None:
    case = start_case(actor=alice)
    refer(
        case,
        alice,
        {"item": "医疗救助", "agency": "health"},
        {"item": "教育救助", "agency": "education"},
    )
    signs = open_tasks(case, "sign_for_referral")
    assert sorted(t.candidate_group for t in signs) == ["education", "health"]
    assert {t.lane for t in signs} == {"agency"}

    complete(case, "sign_for_referral", bob, group="health", decision="sign")
    complete(
        case, "handle_referral", bob, group="health", outcome="granted", amount_fen=150000, note=""
    )
    # One agency back is not enough to tell the applicant.
    assert open_tasks(case, "notify_applicant") == []
    complete(case, "sign_for_referral", carol, group="education", decision="sign")
    feedback(case, carol, "education", "refused", 0, "不符合条件")

    notify = open_task(case, "notify_applicant")
    assert notify.candidate_group == TOWNSHIP
    results = engine.task_data(notify.task_id)["referral_results"]
    assert sorted((r["agency"], r["outcome"]) for r in results) == [
        ("education", "refused"),
        ("health", "granted"),
    ]
    complete(case, "notify_applicant", alice, channel="书面", text="已告知")
    complete(case, "close_case", alice)
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED
    completed = HumanTask.objects.filter(instance=case, state="completed")
    assert completed.count() == 8  # review, split, 2 x (sign, handle), notify, close
    assert set(
        completed.filter(bpmn_id="handle_referral").values_list("completed_by__username", flat=True)
    ) == {"bob", "carol"}


def test_a_returned_referral_goes_back_to_the_window_which_reroutes_it(
    one_door: None, alice, bob
) -> None:
    case = start_case(actor=alice)
    refer(case, alice, {"item": "住房救助", "agency": "civil"})
    complete(case, "sign_for_referral", bob, decision="return", reason="应由住建部门办理")
    reroute = open_task(case, "reroute_referral")
    assert (reroute.lane, reroute.candidate_group) == ("window", TOWNSHIP)
    complete(case, "reroute_referral", alice, reroute_to="housing")
    sign = open_task(case, "sign_for_referral")
    assert sign.candidate_group == "housing"
    referral = engine.task_data(sign.task_id)["referral"]
    assert referral["returns"] == 1 and referral["previous_agencies"] == ["civil"]


def test_the_window_may_withdraw_a_returned_item(one_door: None, alice, bob) -> None:
    case = start_case(actor=alice)
    refer(case, alice, {"item": "住房救助", "agency": "civil"})
    complete(case, "sign_for_referral", bob, decision="return", reason="申请人撤回")
    complete(case, "reroute_referral", alice, reroute_to="")
    notify = open_task(case, "notify_applicant")
    assert engine.task_data(notify.task_id)["referral_results"][0]["outcome"] == "withdrawn"


def test_a_transfer_moves_the_referral_to_the_agency_really_responsible(
    one_door: None, alice, bob, carol
) -> None:
    case = start_case(actor=alice)
    refer(case, alice, {"item": "医疗救助", "agency": "education"})
    complete(
        case,
        "sign_for_referral",
        carol,
        decision="transfer",
        transfer_to="health",
        reason="属卫健职责",
    )
    sign = open_task(case, "sign_for_referral")
    assert sign.candidate_group == "health"
    assert engine.task_data(sign.task_id)["referral"]["transfers"] == 1
    complete(case, "sign_for_referral", bob, decision="sign")
    assert open_task(case, "handle_referral").candidate_group == "health"


def test_handling_is_due_in_working_days_with_a_reminder_and_an_overdue_notice(
    one_door: None, alice, bob
) -> None:
    # Signed on Friday 2026-09-25: the five working days must skip the National Day
    # golden week (Oct 1-8, 2026 on the official calendar).
    signed_at = datetime(2026, 9, 25, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(signed_at, tick=False) as clock:
        case = start_case(actor=alice)
        refer(case, alice, {"item": "临时救助", "agency": "health", "handle_days": 5})
        complete(case, "sign_for_referral", bob, decision="sign")
        handle = open_task(case, "handle_referral")
        from onedoor.deadlines.workdays import add_working_days

        due_day = add_working_days(signed_at.date(), 5).day
        assert handle.due_at == datetime.combine(
            due_day, datetime.max.time().replace(microsecond=0), SHANGHAI
        )
        assert handle.due_at.date() > datetime(2026, 10, 7).date()  # the golden week is not counted
        case.refresh_from_db()
        assert (
            case.next_timer_at is not None and case.next_timer_at < handle.due_at
        )  # reminder first

        clock.move_to(case.next_timer_at + timedelta(minutes=1))
        fire_due_timers()
        fired = list(
            ProcessEvent.objects.filter(instance=case, kind="timer_fired").values_list(
                "bpmn_id", flat=True
            )
        )
        assert fired == ["reminder_due"]

        clock.move_to(handle.due_at + timedelta(minutes=1))
        fire_due_timers()
        fire_due_timers()  # a second sweep fires nothing more
        fired = list(
            ProcessEvent.objects.filter(instance=case, kind="timer_fired").values_list(
                "bpmn_id", flat=True
            )
        )
        assert fired == ["reminder_due", "handling_overdue"]
        case.refresh_from_db()
        # Next: level-2 escalation if it stays overdue three more working days (the default).
        escalate_day = add_working_days(due_day, 3).day
        assert case.next_timer_at == datetime.combine(
            escalate_day, datetime.max.time().replace(microsecond=0), SHANGHAI
        )
        # Overdue is not the end: the agency still owes its feedback.
        still_open = open_task(case, "handle_referral")
        assert still_open.due_at is not None and still_open.due_at < datetime.now(SHANGHAI)
        complete(case, "handle_referral", bob, outcome="granted", amount_fen=50000, note="")
        assert open_task(case, "notify_applicant")


def test_completing_after_the_due_date_fires_the_overdue_timer_first(
    one_door: None, alice, bob
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        case = start_case(actor=alice)
        refer(case, alice, {"item": "临时救助", "agency": "health", "handle_days": 2})
        complete(case, "sign_for_referral", bob, decision="sign")
        handle = open_task(case, "handle_referral")
        assert handle.due_at is not None
        clock.move_to(handle.due_at + timedelta(hours=1))  # no sweeper ran
        complete(case, "handle_referral", bob, outcome="granted", amount_fen=1, note="")
        fired = set(
            ProcessEvent.objects.filter(instance=case, kind="timer_fired").values_list(
                "bpmn_id", flat=True
            )
        )
        assert fired == {"reminder_due", "handling_overdue"}


def test_a_finished_reminder_timer_does_not_fire_after_the_task_is_done(
    one_door: None, alice, bob
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        case = start_case(actor=alice)
        refer(case, alice, {"item": "临时救助", "agency": "health", "handle_days": 3})
        complete(case, "sign_for_referral", bob, decision="sign")
        complete(case, "handle_referral", bob, outcome="granted", amount_fen=1, note="")
        case.refresh_from_db()
        # What waits now is the window's own clock for telling the applicant.
        assert case.next_timer_at == open_task(case, "notify_applicant").due_at
        clock.move_to(datetime(2026, 12, 30, tzinfo=SHANGHAI))
        fire_due_timers()
        fired = ProcessEvent.objects.filter(instance=case, kind="timer_fired")
        assert list(fired.values_list("bpmn_id", flat=True)) == ["notify_overdue"]


def test_a_cancelled_task_cannot_be_completed(one_door: None, alice) -> None:
    case = start_case(actor=alice)
    row = open_task(case, "review_application")
    HumanTask.objects.filter(pk=row.pk).update(state=HumanTask.State.CANCELLED)
    with pytest.raises(TaskNotAvailable):
        engine.complete_task(row.task_id, actor=alice, data={"accepted": True})
