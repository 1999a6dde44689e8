"""The meeting's cycle through joint_meeting.bpmn, every branch, and its decisions' effects.

Cases are made through the real services at controlled clock times (time-machine); the
topics come from the rules over the projections; each decision is held to what it does to
the case's process (its READY task and clock), not to a status field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases import services as case_services
from onedoor.cases.models import Case, ClockChange, Referral
from onedoor.deadlines.workdays import working_days_between
from onedoor.directory.models import Agency
from onedoor.meetings import agenda, decisions, services
from onedoor.meetings.models import Attendance, Decision, Meeting, MemberUnit, Topic
from onedoor.meetings.services import ActionError, open_task
from onedoor.meetings.topics import candidates
from tests.cases.conftest import refer_all, register, task_of
from workflows.models import HumanTask, ProcessInstance
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def step(meeting: Meeting, bpmn_id: str) -> HumanTask:
    task = open_task(meeting, bpmn_id)
    assert task is not None, f"{bpmn_id} is not open"
    return task


def _plan(conference: Any, dave: Any, held_on: date = date(2026, 12, 10)) -> Meeting:
    return services.plan_meeting(
        conference, actor=dave, kind=Meeting.Kind.PLENARY, held_on=held_on, place="县政府三楼会议室"
    )


def _attend_all(meeting: Meeting, dave: Any) -> None:
    for unit in MemberUnit.objects.filter(conference=meeting.conference):
        services.record_attendance(
            meeting,
            unit.agency,
            actor=dave,
            status=Attendance.Status.ATTENDED,
            person="",
            reason="",
        )


@pytest.fixture
def stuck(alice: Any, bob: Any, carol: Any) -> Case:
    """Registered on 2 Nov 2026 and referred to medical (Bob) and education (Carol); by 1 Dec
    Bob has not signed for his (overdue by more than 10 working days), Carol signed and is past due."""
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        case = register(alice, "yiliao", "edu_compulsory")
        refer_all(case, alice)
        case_services.sign_referral(
            task_of(case, "sign_for_referral", "130302-education"), actor=carol, decision="sign"
        )
        traveller.move_to(at(date(2026, 12, 1)))
        fire_due_timers()
    return case


def test_a_whole_cycle_moves_the_stuck_case(
    conference: Any,
    stuck: Case,
    dave: Any,
    frank: Any,
    bob: Any,
    carol: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    medical = Referral.objects.get(case=stuck, agency__kind="medical")
    education = Referral.objects.get(case=stuck, agency__kind="education")
    civil = Agency.objects.get(kind="civil")
    with time_machine.travel(at(date(2026, 12, 1), 11), tick=False) as traveller:
        found = {c.key: c for c in candidates(conference)}
        assert f"referral:{medical.pk}" in found
        assert medical.due_at is not None
        late = working_days_between(medical.due_at.astimezone(SHANGHAI).date(), date(2026, 12, 1))
        assert late >= 10
        assert any(f" {late} " in r for r in found[f"referral:{medical.pk}"].reasons)
        meeting = _plan(conference, dave)
        assert meeting.number == 1 and meeting.stage == "draft_agenda"
        agenda.add_topic(meeting, f"referral:{medical.pk}", actor=dave)
        agenda.add_topic(meeting, f"referral:{education.pk}", actor=dave)
        # Once on an agenda it is no longer proposed.
        assert f"referral:{medical.pk}" not in {c.key for c in candidates(conference)}
        with django_capture_on_commit_callbacks(execute=True):
            services.submit_agenda(
                step(meeting, "draft_agenda"),
                meeting,
                actor=dave,
                positions_due=date(2026, 12, 4),
            )
        meeting.refresh_from_db()
        assert meeting.stage == "liaison_round"
        bobs = step(meeting, "submit_position")
        rows = HumanTask.objects.filter(subject_id=str(meeting.pk), bpmn_id="submit_position")
        assert {r.candidate_group for r in rows} == {"130302-medical", "130302-education"}
        assert Notification.objects.filter(recipient=bob, verb__startswith="Draft agenda").exists()
        [topic, other] = list(meeting.topics.all())
        for row in rows:
            liaison = bob if row.candidate_group == "130302-medical" else carol
            services.submit_positions(
                row, meeting, actor=liaison, texts={topic.pk: "应由民政部门牵头", other.pk: ""}
            )
        assert bobs is not None
        meeting.refresh_from_db()
        assert meeting.stage == "approve_agenda"
        # A unit answers only on the topics that concern it.
        assert [p.agency.kind for p in topic.positions.all()] == ["medical"]
        assert not other.positions.exists()
        services.decide_agenda(
            step(meeting, "approve_agenda"), meeting, actor=frank, approved=True, note=""
        )
        meeting.refresh_from_db()
        assert meeting.stage == "hold_meeting" and meeting.notice_issued_at is not None
        _attend_all(meeting, dave)
        assign = decisions.add_decision(
            topic,
            actor=dave,
            kind=Decision.Kind.ASSIGN,
            text="由县民政局牵头办理该户医疗救助",
            lead=civil,
            co_units=[Agency.objects.get(kind="medical")],
            deadline_days=5,
        )
        deadline = decisions.add_decision(
            other,
            actor=dave,
            kind=Decision.Kind.DEADLINE,
            text="县教育局于10个工作日内办结",
            lead=Agency.objects.get(kind="education"),
            co_units=[],
            deadline_days=10,
        )
        services.finish_meeting(step(meeting, "hold_meeting"), meeting, actor=dave)
        services.submit_minutes(
            step(meeting, "draft_minutes"),
            meeting,
            actor=dave,
            summary="会议研究了两个议题",
            recorder="刘主任",
            observers="县纪委监委",
            copy_to="县政府办公室",
        )
        applied = services.decide_minutes(
            step(meeting, "approve_minutes"), meeting, actor=frank, approved=True, note=""
        )
        assert len(applied) == 2
        meeting.refresh_from_db()
        assert meeting.stage == "minutes_issued" and meeting.minutes_issued_at is not None
        assert meeting.process is not None
        assert meeting.process.state == ProcessInstance.State.COMPLETED

        # Assign: the referral was transferred to civil affairs, to be signed for anew.
        medical.refresh_from_db()
        assert medical.agency == civil and medical.transfers == 1
        sign = task_of(stuck, "sign_for_referral", civil.code)
        assert sign.due_at is not None and sign.due_at > at(date(2026, 12, 1))
        # Deadline: education's handling clock is now the decision's deadline.
        education.refresh_from_db()
        deadline.refresh_from_db()
        assert deadline.due_on is not None
        assert education.handle_due_at is not None
        assert education.handle_due_at.astimezone(SHANGHAI).date() == deadline.due_on
        handle = task_of(stuck, "handle_referral", "130302-education")
        assert handle.due_at == education.handle_due_at
        change = ClockChange.objects.get(referral=education)
        assert change.approved and "联席会议" in change.reason
        # Both on the case's timeline.
        lines = AuditEvent.objects.filter(case=stuck, action="meeting.decision_applied")
        assert lines.count() == 2
        assert all("第 1 次联席会议议定" in e.data["text"] for e in lines) or all(
            "no. 1" in e.data["text"] for e in lines
        )
        # The follow-up: a task for the lead unit with the decision's deadline, reminded the
        # working day before and raised overdue at the deadline, by the process's timers.
        assign.refresh_from_db()
        follow = HumanTask.objects.get(instance=assign.process, bpmn_id="carry_out")
        assert follow.candidate_group == civil.code and follow.lane == "agency"
        assert follow.due_at is not None
        assert follow.due_at.astimezone(SHANGHAI).date() == assign.due_on
        traveller.move_to(at(date(2026, 12, 31)))
        fire_due_timers()
        raised = AuditEvent.objects.filter(case=stuck, action__startswith="meeting.decision_")
        assert {"meeting.decision_reminder", "meeting.decision_overdue"} <= set(
            raised.values_list("action", flat=True)
        )
        # Overdue and not done: carried over to the next meeting's agenda by itself.
        keys = {c.key for c in candidates(conference)}
        assert f"decision:{assign.pk}" in keys
        decisions.complete_decision(assign, actor=dave, note="已办结")
        follow.refresh_from_db()
        assert follow.state == HumanTask.State.COMPLETED
        assert assign.process is not None
        assign.process.refresh_from_db()
        assert assign.process.state == ProcessInstance.State.COMPLETED
        assert f"decision:{assign.pk}" not in {c.key for c in candidates(conference)}
        with pytest.raises(ActionError):
            decisions.complete_decision(assign, actor=dave, note="再次")


def test_the_convenor_sends_agenda_and_minutes_back(
    conference: Any, dave: Any, frank: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        meeting = _plan(conference, dave)
        topic = agenda.add_free_topic(
            meeting, actor=dave, title="修订临时救助实施细则", reason="", units=[]
        )
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
        )
        # No unit concerned: straight to the convenor.
        meeting.refresh_from_db()
        assert meeting.stage == "approve_agenda"
        with pytest.raises(ActionError):
            services.decide_agenda(
                step(meeting, "approve_agenda"), meeting, actor=frank, approved=False, note=""
            )
        services.decide_agenda(
            step(meeting, "approve_agenda"),
            meeting,
            actor=frank,
            approved=False,
            note="补充议题",
        )
        meeting.refresh_from_db()
        assert meeting.stage == "draft_agenda" and meeting.notice_issued_at is None
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
        )
        services.decide_agenda(
            step(meeting, "approve_agenda"), meeting, actor=frank, approved=True, note=""
        )
        with pytest.raises(ActionError, match="attendance|出席"):
            services.finish_meeting(step(meeting, "hold_meeting"), meeting, actor=dave)
        _attend_all(meeting, dave)
        decisions.add_decision(
            topic,
            actor=dave,
            kind=Decision.Kind.ACTION,
            text="县民政局牵头修订细则",
            lead=Agency.objects.get(kind="civil"),
            co_units=[],
            deadline_days=20,
        )
        services.finish_meeting(step(meeting, "hold_meeting"), meeting, actor=dave)
        minutes = {"summary": "", "recorder": "刘主任", "observers": "", "copy_to": ""}
        services.submit_minutes(step(meeting, "draft_minutes"), meeting, actor=dave, **minutes)
        services.decide_minutes(
            step(meeting, "approve_minutes"), meeting, actor=frank, approved=False, note="改"
        )
        meeting.refresh_from_db()
        assert meeting.stage == "draft_minutes" and meeting.minutes_issued_at is None
        assert not Decision.objects.filter(applied_at__isnull=False).exists()
        services.submit_minutes(step(meeting, "draft_minutes"), meeting, actor=dave, **minutes)
        services.decide_minutes(
            step(meeting, "approve_minutes"), meeting, actor=frank, approved=True, note=""
        )
        [decision] = Decision.objects.all()
        assert decision.applied_at is not None and decision.due_on is not None
    # No plenary in the six months after this one: the watch's timer reminds the county.
    with time_machine.travel(at(date(2027, 6, 9)), tick=False):
        fire_due_timers()
        assert not AuditEvent.objects.filter(action="conference.plenary_due").exists()
    with (
        time_machine.travel(at(date(2027, 6, 11)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        fire_due_timers()
    assert AuditEvent.objects.filter(action="conference.plenary_due").count() == 1
    assert Notification.objects.filter(recipient=frank, verb__contains="six months").exists()


def test_the_liaison_round_closes_by_itself_at_its_deadline(
    conference: Any, stuck: Case, dave: Any, bob: Any
) -> None:
    medical = Referral.objects.get(case=stuck, agency__kind="medical")
    with time_machine.travel(at(date(2026, 12, 1), 11), tick=False) as traveller:
        meeting = _plan(conference, dave)
        agenda.add_topic(meeting, f"referral:{medical.pk}", actor=dave)
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 3)
        )
        task = step(meeting, "submit_position")
        assert task is not None and task.due_at is not None
        traveller.move_to(at(date(2026, 12, 4)))
        fire_due_timers()
        meeting.refresh_from_db()
        assert meeting.stage == "approve_agenda"
        task.refresh_from_db()
        assert task.state != HumanTask.State.OPEN
        # Too late: the round is closed, the submission changes nothing.
        with pytest.raises(ActionError):
            services.submit_positions(task, meeting, actor=bob, texts={})


def test_topics_cannot_change_after_the_agenda_is_sent(conference: Any, dave: Any) -> None:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        meeting = _plan(conference, dave)
        with pytest.raises(ActionError):
            services.submit_agenda(
                step(meeting, "draft_agenda"),
                meeting,
                actor=dave,
                positions_due=date(2026, 12, 4),
            )
        topic = agenda.add_free_topic(meeting, actor=dave, title="政策问题", reason="", units=[])
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
        )
        with pytest.raises(ActionError):
            agenda.remove_topic(topic, actor=dave)
        with pytest.raises(ActionError):
            agenda.add_free_topic(meeting, actor=dave, title="又一个", reason="", units=[])
        assert Topic.objects.filter(meeting=meeting).count() == 1
