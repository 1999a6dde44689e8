"""Demo data of the joint conference: its members, a plenary held last quarter whose decisions
are partly carried out (one overdue), a case flagged difficult, and the next meeting's draft
agenda built by the rules from the demo's own stuck cases. Worked through the services at
back-dated clock times, like the cases (home/demo.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from onedoor.cases.models import Case
from onedoor.directory.models import Agency, Division, Staff
from workflows.definitions import deploy_files
from workflows.models import HumanTask
from workflows.timers import fire_due_timers

from . import agenda, decisions, followups, membership, proposals, services
from .access import conference_of
from .models import Attendance, Decision, Meeting, MemberUnit
from .services import open_task
from .topics import candidates

PASSWORD = "onedoor-demo"  # noqa: S105  (demo data only; printed by make demo)


def _convenor(county: Division) -> Any:
    user, created = get_user_model().objects.get_or_create(
        username="convenor", defaults={"first_name": "张副县长"}
    )
    if created:
        user.set_password(PASSWORD)
        user.save()
        # A county leader: reads the whole county like a supervisor, convenes the conference.
        Staff.objects.create(user=user, role=Staff.Role.SUPERVISOR, division=county)
    return user


def _step(meeting: Meeting, bpmn_id: str) -> Any:
    task = open_task(meeting, bpmn_id)
    assert task is not None, f"demo meeting is not at {bpmn_id}"
    return task


def seed_meetings(people: dict[str, Any]) -> None:
    """Idempotent: does nothing once the county has a meeting."""
    bpmn = Path(settings.ONEDOOR_BPMN_DIR)
    deploy_files(
        [
            bpmn / name
            for name in ("joint_meeting.bpmn", "meeting_decision.bpmn", "plenary_watch.bpmn")
        ]
    )
    coordinator = people["coordinator"]
    county = coordinator.staff.division
    people["convenor"] = convenor = _convenor(county)
    conference = conference_of(county)
    if Meeting.objects.filter(conference=conference).exists():
        return
    membership.update_conference(
        conference,
        actor=coordinator,
        convenor=convenor,
        overdue_days=10,
        handovers=2,
        on_time_percent=80,
        on_time_period_days=90,
    )
    for agency in Agency.objects.filter(county=county):
        membership.set_member_unit(
            conference, agency, actor=coordinator, liaison=people.get(agency.kind), active=True
        )
    now = timezone.now()
    _past_plenary(conference, people, now)
    _chase(conference, people)
    _next_meeting(conference, people, now)


def _past_plenary(conference: Any, people: dict[str, Any], now: Any) -> None:
    """A plenary held about 75 days ago: three decisions, one carried out, one overdue."""
    office, convenor = people["coordinator"], people["convenor"]
    agency = {a.kind: a for a in Agency.objects.filter(county=conference.county)}
    with time_machine.travel(now - timedelta(days=80), tick=True) as clock:
        held_on = timezone.localdate() + timedelta(days=5)
        meeting = services.plan_meeting(
            conference,
            actor=office,
            kind=Meeting.Kind.PLENARY,
            held_on=held_on,
            place="县政府三楼第一会议室",
        )
        rules = agenda.add_free_topic(
            meeting,
            actor=office,
            title="修订县临时救助实施细则",
            reason="急难型临时救助审批时限与先行救助衔接不畅",
            units=[agency["civil"]],
        )
        sharing = agenda.add_free_topic(
            meeting,
            actor=office,
            title="建立低收入人口动态监测数据共享机制",
            reason="医保、人社数据未按月推送",
            units=[agency["medical"], agency["hr"]],
        )
        window = agenda.add_free_topic(
            meeting, actor=office, title="乡镇“一门受理”窗口转办时限执行情况", reason="", units=[]
        )
        services.submit_agenda(
            _step(meeting, "draft_agenda"),
            meeting,
            actor=office,
            positions_due=held_on - timedelta(days=2),
        )
        positions = {
            "civil": (rules, "同意修订，建议提高先行救助额度"),
            "medical": (sharing, "同意按月推送医疗费用结算数据"),
        }
        for row in list(
            HumanTask.objects.filter(
                subject_type="meeting",
                subject_id=str(meeting.pk),
                bpmn_id="submit_position",
                state=HumanTask.State.OPEN,
            )
        ):
            kind = row.candidate_group.split("-")[-1]
            if kind in positions:  # the others let the deadline pass
                topic, text = positions[kind]
                services.submit_positions(row, meeting, actor=people[kind], texts={topic.pk: text})
        clock.move_to(timezone.now() + timedelta(days=4))
        fire_due_timers()  # the units that did not answer: their tasks close at the deadline
        services.decide_agenda(
            _step(meeting, "approve_agenda"), meeting, actor=convenor, approved=True, note=""
        )
        clock.move_to(timezone.now() + timedelta(days=1))
        for unit in MemberUnit.objects.filter(conference=conference).select_related("agency"):
            absent = unit.agency.kind == "union"
            services.record_attendance(
                meeting,
                unit.agency,
                actor=office,
                status=Attendance.Status.ABSENT if absent else Attendance.Status.ATTENDED,
                person="" if absent else unit.agency.leader_in_charge,
                reason="参加市总工会会议" if absent else "",
            )
        services.record_topic_note(rules, actor=office, note="与会单位同意修订，由民政局起草")
        recorded = [
            decisions.add_decision(
                rules,
                actor=office,
                kind=Decision.Kind.ACTION,
                text="县民政局牵头修订县临时救助实施细则，报县政府审定",
                lead=agency["civil"],
                co_units=[agency["justice"]],
                deadline_days=20,
            ),
            decisions.add_decision(
                sharing,
                actor=office,
                kind=Decision.Kind.ACTION,
                text="县医疗保障局、县人社局每月5日前向县民政局推送低收入人口监测数据",
                lead=agency["medical"],
                co_units=[agency["hr"]],
                deadline_days=10,
            ),
            decisions.add_decision(
                window,
                actor=office,
                kind=Decision.Kind.ACTION,
                text="各成员单位落实转办事项2个工作日内签收，联席办每月通报",
                lead=agency["civil"],
                co_units=[],
                deadline_days=60,
            ),
        ]
        services.finish_meeting(_step(meeting, "hold_meeting"), meeting, actor=office)
        services.submit_minutes(
            _step(meeting, "draft_minutes"),
            meeting,
            actor=office,
            summary="会议听取了联席办关于一门受理工作情况的汇报，研究了三个议题。",
            recorder="联席办刘主任",
            observers="县纪委监委第三监督检查室",
            copy_to="县政府办公室，各成员单位",
        )
        services.decide_minutes(
            _step(meeting, "approve_minutes"), meeting, actor=convenor, approved=True, note=""
        )
        clock.move_to(timezone.now() + timedelta(days=18))
        decisions.complete_decision(
            recorded[0], actor=people["civil"], note="细则已修订并报县政府常务会审议通过"
        )
        # recorded[1] (10 working days) is left undone: overdue, carried to the next agenda.


def _next_meeting(conference: Any, people: dict[str, Any], now: Any) -> None:
    """The next plenary in two weeks, its draft agenda from the rules over the demo's cases."""
    office = people["coordinator"]
    stuck = Case.objects.filter(township__parent=conference.county, closed_at__isnull=True)
    case = stuck.filter(referrals__returns__gte=1).first() or stuck.first()
    if case is not None:
        window = Staff.objects.filter(role=Staff.Role.WINDOW, division=case.township).first()
        agenda.flag_difficult(
            case,
            actor=window.user if window else office,
            reason="户主重病、子女就学，多部门对救助责任有分歧",
        )
    _proposals(conference, people)
    meeting = services.plan_meeting(
        conference,
        actor=office,
        kind=Meeting.Kind.PLENARY,
        held_on=timezone.localdate() + timedelta(days=14),
        place="县政府三楼第一会议室",
    )
    # One of each source the rules found first (the worst of each), then the worst others.
    found = candidates(conference)
    picked: list[str] = []
    seen: set[str] = set()
    for candidate in found:
        if not set(candidate.sources) <= seen:
            picked.append(candidate.key)
            seen |= set(candidate.sources)
    picked += [c.key for c in found if c.key not in picked][: max(0, 8 - len(picked))]
    for key in picked:
        agenda.add_topic(meeting, key, actor=office)


def _proposals(conference: Any, people: dict[str, Any]) -> None:
    """Member units' proposed topics: one the office accepted, one waiting for its answer."""
    units = {u.agency.kind: u for u in MemberUnit.objects.filter(conference=conference)}
    if "education" in units and people.get("education") is not None:
        proposal = proposals.propose_topic(
            units["education"],
            actor=people["education"],
            kind="policy",
            title="困难家庭学生资助与低保认定结果衔接",
            reason="低保认定结果未及时推送，部分学生资助延误",
        )
        proposals.answer_proposal(proposal, actor=people["coordinator"], accept=True, reason="")
    if "housing" in units and people.get("housing") is not None:
        proposals.propose_topic(
            units["housing"],
            actor=people["housing"],
            kind="policy",
            title="住房救助对象认定标准统一",
            reason="各乡镇认定口径不一",
        )


def _chase(conference: Any, people: dict[str, Any]) -> None:
    """The office's 督办 on the overdue decision, answered by the unit with a promised date."""
    for late in Decision.objects.overdue().filter(meeting__conference=conference):
        notice = followups.supervise_decision(
            late, actor=people["coordinator"], text="请于5个工作日内落实并反馈", notices_seen=0
        )
        lead = people.get(late.lead.kind)
        if lead is not None:
            followups.answer_decision_notice(
                notice,
                actor=lead,
                answer="数据接口改造中，需市医保局配合",
                promised_date=timezone.localdate() + timedelta(days=7),
            )
