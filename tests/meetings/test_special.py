"""Special assistance (一事一议): a decision makes a new referral on the case to the lead unit.

The referral runs the referral process of one_door.bpmn (`referral_handling`) on its own: the
lead agency finds it in its inbox, signs for it (or returns / transfers it), handles it within
the item's limit on the county calendar with reminders, 督办 and extensions, and feeds back;
then the household is told, by the window on its own when the case's own notice went out
already, else with the case's notice. Held to the process (READY tasks, clocks, timers).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from onedoor.audit.models import AuditEvent
from onedoor.cases import clock
from onedoor.cases import services as case_services
from onedoor.cases.forms import drafted_notice
from onedoor.cases.models import ApplicantNotice, Case, Referral, SupervisionNotice
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Staff
from onedoor.meetings import agenda, decisions, services
from onedoor.meetings.models import Decision, Meeting, Topic
from onedoor.meetings.services import ActionError
from tests.cases.conftest import refer_all, register, task_of
from tests.cases.test_views import client_for
from tests.personas import make_staff
from workflows.models import HumanTask, ProcessInstance
from workflows.timers import fire_due_timers

from .test_cycle import SHANGHAI, _attend_all, _plan, at, step

pytestmark = pytest.mark.django_db

CIVIL = "130302-civil"


@pytest.fixture
def cindy(county: Any) -> Any:
    """An officer of the civil-affairs bureau (县民政局), the lead unit of the decisions here."""
    return make_staff("cindy", Staff.Role.AGENCY_OFFICER, "130302", "civil")


def _meeting_on(case: Case, conference: Any, alice: Any, dave: Any) -> tuple[Meeting, Topic]:
    agenda.flag_difficult(case, actor=alice, reason="家庭遭遇突发困难，常规救助不足")
    meeting = _plan(conference, dave)
    topic = agenda.add_topic(meeting, f"case:{case.pk}", actor=dave)
    services.submit_agenda(
        step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
    )
    for row in HumanTask.objects.filter(
        subject_id=str(meeting.pk), bpmn_id="submit_position", state=HumanTask.State.OPEN
    ):
        services.submit_positions(row, meeting, actor=dave, texts={})
    return meeting, topic


def _decide_special(meeting: Meeting, topic: Topic, dave: Any, frank: Any) -> Decision:
    services.decide_agenda(
        step(meeting, "approve_agenda"), meeting, actor=frank, approved=True, note=""
    )
    _attend_all(meeting, dave)
    decision = decisions.add_decision(
        topic,
        actor=dave,
        kind=Decision.Kind.SPECIAL,
        text="对该户实施一事一议临时救助，由县民政局办理",
        lead=Agency.objects.get(code=CIVIL),
        co_units=[],
        deadline_days=10,
        item=Item.objects.get(code="linshi"),
    )
    services.finish_meeting(step(meeting, "hold_meeting"), meeting, actor=dave)
    services.submit_minutes(
        step(meeting, "draft_minutes"),
        meeting,
        actor=dave,
        summary="",
        recorder="刘主任",
        observers="",
        copy_to="",
    )
    services.decide_minutes(
        step(meeting, "approve_minutes"), meeting, actor=frank, approved=True, note=""
    )
    decision.refresh_from_db()
    return decision


def _close(case: Case, alice: Any, bob: Any) -> None:
    """The case's own path to its end: Bob refuses his item, the household is told, closed."""
    medical = "130302-medical"
    case_services.sign_referral(
        task_of(case, "sign_for_referral", medical), actor=bob, decision="sign"
    )
    case_services.give_feedback(
        task_of(case, "handle_referral", medical),
        actor=bob,
        outcome=Referral.Outcome.REFUSED,
        amount_fen=None,
        note="不符合医疗救助条件",
    )
    case_services.notify_applicant(
        task_of(case, "notify_applicant"), actor=alice, channel="in_person", text="已告知"
    )
    case_services.close_case(task_of(case, "close_case"), actor=alice)


def test_special_assistance_is_a_new_referral_worked_like_any_other(
    conference: Any, alice: Any, bob: Any, cindy: Any, dave: Any, frank: Any
) -> None:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False) as traveller:
        case = register(alice, "yiliao")
        refer_all(case, alice)
        meeting, topic = _meeting_on(case, conference, alice, dave)
        _close(case, alice, bob)
        case.refresh_from_db()
        assert case.stage == "case_closed" and case.closed_at is not None
        decision = _decide_special(meeting, topic, dave, frank)

        # A new referral on the case, to the lead unit, for the item decided; its basis is the
        # decision and its process the referral process on its own.
        referral = decision.new_referral
        assert referral is not None and referral.case == case
        assert referral.agency.code == CIVIL and referral.item.code == "linshi"
        assert decision.process is not None
        assert decision.process.definition.process_id == "referral_handling"
        assert decision.process != case.process
        sign = task_of(case, "sign_for_referral", CIVIL)
        assert sign.instance_id == decision.process_id and sign.lane == "agency"
        assert sign.properties["referralId"] == referral.pk
        # Signed for within the county's limit (2 working days: Tue 1 → Thu 3 Dec).
        assert sign.due_at is not None and sign.due_at.astimezone(SHANGHAI).date() == date(
            2026, 12, 3
        )
        referral.refresh_from_db()
        assert referral.current_task == sign and referral.due_at == sign.due_at
        # The case's own process is closed and stays so; the timeline names the decision.
        case.refresh_from_db()
        assert case.stage == "case_closed"
        line = AuditEvent.objects.get(case=case, action="meeting.decision_applied")
        assert "第 1 次联席会议议定：对该户实施一事一议临时救助" in line.data["text"]
        assert line.referral_id == referral.pk

        # In the lead agency's inbox, and its page names the decision as its basis.
        cindys = client_for(cindy)
        assert f"/referrals/{referral.pk}/" in cindys.get("/inbox/").content.decode()
        page = cindys.get(f"/referrals/{referral.pk}/").content.decode()
        assert "依据" in page and "第 1 次联席会议议定" in page
        assert f"/meetings/decisions/{decision.pk}/" in page
        # Nothing to report by hand: the referral carries the decision out.
        page = cindys.get(f"/meetings/decisions/{decision.pk}/").content.decode()
        assert f"/referrals/{referral.pk}/" in page and "议定事项所作转办" in page
        assert "报告已落实" not in page
        with pytest.raises(ActionError):
            decisions.complete_decision(decision, actor=cindy, note="已办")

        # Signed for, it is handled against the item's own limit, reminded before, 督办 after.
        case_services.sign_referral(sign, actor=cindy, decision="sign")
        handle = task_of(case, "handle_referral", CIVIL)
        assert handle.instance_id == decision.process_id and handle.due_at is not None
        due = handle.due_at
        traveller.move_to(due.astimezone(SHANGHAI).replace(hour=9))
        fire_due_timers()
        assert AuditEvent.objects.filter(referral=referral, action="referral.reminder").exists()
        traveller.move_to(due + (at(date(2026, 12, 2)) - at(date(2026, 12, 1))))
        fire_due_timers()
        notice = SupervisionNotice.objects.get(referral=referral)
        assert notice.level == 1 and notice.step == "handle"
        # An extension through the coordinator, like any referral's.
        clock.request_extension(
            task_of(case, "handle_referral", CIVIL), actor=cindy, days=5, reason="需入户核实"
        )
        clock.decide_extension(
            task_of(case, "approve_extension"), actor=dave, approved=True, note="同意"
        )
        handle = task_of(case, "handle_referral", CIVIL)
        assert handle.due_at is not None and handle.due_at > due
        decision.refresh_from_db()
        assert decision.done_at is None

        # Fed back: the decision is carried out; the case's notice went out long ago, so the
        # window tells the household of this one on its own, on its own clock.
        case_services.give_feedback(
            handle, actor=cindy, outcome=Referral.Outcome.GRANTED, amount_fen=300000, note=""
        )
        decision.refresh_from_db()
        assert decision.done_at is not None and decision.done_by == cindy
        assert decision.done_note == "已反馈：予以救助"
        tell = task_of(case, "notify_household")
        assert tell.instance_id == decision.process_id and tell.lane == "window"
        assert tell.candidate_group == "130302001" and tell.due_at is not None
        page = client_for(alice).get(f"/cases/{case.pk}/").content.decode()
        assert f"/tasks/{tell.task_id}/" in page and "3,000.00" in page
        case_services.notify_applicant(
            tell, actor=alice, channel="in_person", text="已告知临时救助"
        )
        decision.process.refresh_from_db()
        assert decision.process.state == ProcessInstance.State.COMPLETED
        assert decision.process.end_event == "household_told"
        assert ApplicantNotice.objects.filter(case=case, text="已告知临时救助").exists()
        case.refresh_from_db()
        assert case.stage == "case_closed"


def test_while_the_cases_notice_is_still_to_come_the_household_is_told_with_it(
    conference: Any, alice: Any, bob: Any, carol: Any, cindy: Any, dave: Any, frank: Any
) -> None:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        case = register(alice, "yiliao", "edu_compulsory")
        refer_all(case, alice)
        meeting, topic = _meeting_on(case, conference, alice, dave)
        decision = _decide_special(meeting, topic, dave, frank)
        referral = decision.new_referral
        assert referral is not None
        # Transferred like any referral: civil affairs sends it on, medical signs anew.
        case_services.sign_referral(
            task_of(case, "sign_for_referral", CIVIL),
            actor=cindy,
            decision="transfer",
            reason="属医疗救助范围",
            transfer_to=Agency.objects.get(code="130302-medical"),
        )
        referral.refresh_from_db()
        assert referral.agency.kind == "medical" and referral.transfers == 1
        sign = HumanTask.objects.get(
            instance=decision.process, bpmn_id="sign_for_referral", state="open"
        )
        assert sign.candidate_group == "130302-medical"
        assert sign.instance_id == decision.process_id
        case_services.sign_referral(sign, actor=bob, decision="sign")
        case_services.give_feedback(
            HumanTask.objects.get(
                instance=decision.process, bpmn_id="handle_referral", state="open"
            ),
            actor=bob,
            outcome=Referral.Outcome.GRANTED,
            amount_fen=100000,
            note="",
        )
        # The case's own notice is still ahead: no notice of its own; the case's tells all.
        assert decision.process is not None
        decision.process.refresh_from_db()
        assert decision.process.state == ProcessInstance.State.COMPLETED
        assert decision.process.end_event == "told_with_case"
        assert not HumanTask.objects.filter(subject_id=str(case.pk), bpmn_id="notify_household")
        assert "临时救助" in drafted_notice(case)
        case.refresh_from_db()
        assert case.stage == "referral_work" and case.closed_at is None


def test_a_case_on_the_older_one_door_version_keeps_working_and_takes_a_special_referral(
    conference: Any, alice: Any, bob: Any, cindy: Any, dave: Any, frank: Any
) -> None:
    """A case started on a version whose referrals ran in an embedded subprocess (before the
    call activity) loads and runs on that version after the new one is deployed."""
    from tests.workflows.test_one_door_versions import deploy_current, deploy_embedded

    deploy_embedded()
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        case = register(alice, "yiliao")
        assert case.process is not None
        old = case.process.definition
        refer_all(case, alice)
        deploy_current()
        meeting, topic = _meeting_on(case, conference, alice, dave)
        decision = _decide_special(meeting, topic, dave, frank)
        assert decision.process is not None
        assert decision.process.definition.version > 0
        case.refresh_from_db()
        assert case.process is not None and case.process.definition == old
        _close(case, alice, bob)
        case.process.refresh_from_db()
        assert case.process.state == ProcessInstance.State.COMPLETED
        case_services.sign_referral(
            task_of(case, "sign_for_referral", CIVIL), actor=cindy, decision="sign"
        )
        case_services.give_feedback(
            task_of(case, "handle_referral", CIVIL),
            actor=cindy,
            outcome=Referral.Outcome.GRANTED,
            amount_fen=50000,
            note="",
        )
        assert task_of(case, "notify_household").instance_id == decision.process_id
        # The diagram of the case's (old) version marks the special referral's steps.
        page = client_for(alice).get(f"/cases/{case.pk}/process/").content.decode()
        assert "notify_household" in page or "handle_referral" in page
