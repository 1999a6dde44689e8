"""Conference pages: every URL against every role and the other county, the papers, the flag."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import docx
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from notifications.models import Notification

from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency, Division, Staff
from onedoor.meetings import agenda, decisions, services
from onedoor.meetings.models import Decision, DecisionNotice, DifficultFlag, Meeting, Topic
from onedoor.meetings.services import open_task
from onedoor.meetings.urls import urlpatterns
from tests.cases.conftest import refer_all, register
from tests.cases.test_views import client_for
from workflows.models import ProcessInstance

from .test_cycle import _attend_all, _plan, at, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(conference: Any, alice: Any, bob: Any, dave: Any, frank: Any) -> Meeting:
    """A meeting whose minutes are issued: a topic on Alice's case (medical), an action."""
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        case = register(alice, "yiliao")
        refer_all(case, alice)
        agenda.flag_difficult(case, actor=alice, reason="多部门推诿")
        meeting = _plan(conference, dave)
        topic = agenda.add_topic(meeting, f"case:{case.pk}", actor=dave)
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
        )
        services.submit_positions(
            step(meeting, "submit_position"), meeting, actor=bob, texts={topic.pk: "建议由民政牵头"}
        )
        services.decide_agenda(
            step(meeting, "approve_agenda"), meeting, actor=frank, approved=True, note=""
        )
        _attend_all(meeting, dave)
        decisions.add_decision(
            topic,
            actor=dave,
            kind=Decision.Kind.ACTION,
            text="县医疗保障局会同县民政局研究该户大病救助政策衔接",
            lead=Agency.objects.get(kind="medical"),
            co_units=[Agency.objects.get(kind="civil")],
            deadline_days=10,
        )
        services.finish_meeting(step(meeting, "hold_meeting"), meeting, actor=dave)
        services.submit_minutes(
            step(meeting, "draft_minutes"),
            meeting,
            actor=dave,
            summary="",
            recorder="刘主任",
            observers="县纪委监委",
            copy_to="县政府办公室",
        )
        services.decide_minutes(
            step(meeting, "approve_minutes"), meeting, actor=frank, approved=True, note=""
        )
    return meeting


def _urls(meeting: Meeting) -> list[tuple[str, str]]:
    """(method, url) of every conference URL, with this meeting's objects."""
    topic = Topic.objects.filter(meeting=meeting).first()
    decision = Decision.objects.filter(meeting=meeting).first()
    case = topic.case if topic else None
    assert topic is not None and decision is not None and case is not None
    referral = Referral.objects.filter(case=case).first()
    assert referral is not None
    found = []
    for pattern in urlpatterns:
        name = f"meetings:{pattern.name}"
        converters = pattern.pattern.converters
        kwargs: dict[str, Any] = {}
        if "step" in converters:
            task = open_task(meeting, "draft_agenda")
            from workflows.models import HumanTask

            row = HumanTask.objects.filter(subject_type="meeting").first()
            assert row is not None
            kwargs = {"step": row.task_id if task is None else task.task_id}
        elif pattern.name == "document":
            kwargs = {"pk": meeting.pk, "name": "minutes", "fmt": "docx"}
        elif pattern.name == "flag":
            kwargs = {"kind": "referral", "pk": referral.pk}
        elif pattern.name == "change_topic":
            kwargs = {"pk": topic.pk, "change": "remove"}
        elif pattern.name in {"topic", "add_decision"}:
            kwargs = {"pk": topic.pk}
        elif pattern.name in {
            "remove_decision",
            "complete_decision",
            "decision",
            "supervise_decision",
        }:
            kwargs = {"pk": decision.pk}
        elif pattern.name == "dossier":
            kwargs = {"pk": topic.pk, "fmt": "docx"}
        elif pattern.name == "answer_proposal":
            kwargs = {"pk": 1}
        elif pattern.name == "answer_decision_notice":
            notice = DecisionNotice.objects.filter(decision=decision).first()
            kwargs = {"pk": notice.pk if notice else 1}
        elif "pk" in converters:
            kwargs = {"pk": meeting.pk}
        get_views = {
            "index",
            "members",
            "follow_ups",
            "meeting",
            "document",
            "topic",
            "flag",
            "decision",
            "proposals",
            "dossier",
            "decisions_export",
        }
        found.append(("get" if pattern.name in get_views else "post", reverse(name, kwargs=kwargs)))
    return found


def test_every_url_refuses_those_outside_the_conference(
    issued: Meeting, walter: Any, zoe: Any
) -> None:
    """Walter (a window of another township) and Zoe (another county's office) see nothing and
    change nothing; a window clerk has no conference pages at all."""
    urls = _urls(issued)
    assert len(urls) == len(urlpatterns)
    own = {
        "/meetings/",
        "/meetings/members/",
        "/meetings/follow-ups/",
        "/meetings/plan/",
        "/meetings/proposals/",
        "/meetings/proposals/new/",
        "/meetings/decisions.xlsx",  # an empty workbook: tests/meetings/test_papers.py
    }
    for outsider in (walter, zoe):
        client = client_for(outsider)
        for method, url in urls:
            response = getattr(client, method)(url, {})
            if outsider == zoe and url in own:
                if url.endswith(".xlsx"):
                    continue
                # Zoe's own county's pages: nothing of this county on them.
                assert issued.place not in response.content.decode()
                assert "大病救助" not in response.content.decode()
                continue
            assert response.status_code in {403, 404}, f"{outsider} {method} {url}: {response}"
    assert Decision.objects.get().done_at is None
    assert Topic.objects.count() == 1


def test_a_unit_sees_what_concerns_it_and_changes_nothing_of_the_office(
    issued: Meeting, bob: Any, carol: Any
) -> None:
    topic = Topic.objects.get()
    # Bob's unit (medical) is concerned; Carol's (education) is a member, not concerned.
    bobs = client_for(bob)
    assert bobs.get(f"/meetings/{issued.pk}/").status_code == 200
    assert bobs.get(f"/meetings/topics/{topic.pk}/").status_code == 200
    assert bobs.get("/meetings/members/").status_code == 403
    assert bobs.post(f"/meetings/{issued.pk}/topics/free/", {"title": "x"}).status_code == 403
    carols = client_for(carol)
    assert carols.get(f"/meetings/{issued.pk}/").status_code == 404
    assert carols.get(f"/meetings/topics/{topic.pk}/").status_code == 404
    decision = Decision.objects.get()
    assert carols.post(f"/meetings/decisions/{decision.pk}/done/", {"note": "x"}).status_code == 404
    # The dossier shows ID numbers masked.
    page = bobs.get(f"/meetings/topics/{topic.pk}/").content.decode()
    member = topic.case.household.members.first() if topic.case else None
    assert member is not None and member.id_number not in page and member.masked_id_number in page


def test_pages_open_for_the_office_convenor_and_supervisor(
    issued: Meeting, dave: Any, frank: Any, erin: Any
) -> None:
    for user in (dave, frank, erin):
        client = client_for(user)
        for method, url in _urls(issued):
            if method == "get" and "/flag/" not in url:
                response = client.get(url)
                assert response.status_code == 200, f"{user} {url}"
    board = client_for(dave).get("/meetings/").content.decode()
    assert "本年度已召开 1 次（要求不少于 2 次）" in board


def test_the_minutes_in_word_carry_the_numbered_decisions(issued: Meeting, dave: Any) -> None:
    response = client_for(dave).get(f"/meetings/{issued.pk}/minutes.docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(BytesIO(response.content)).paragraphs)
    assert "纪要" in text.splitlines()[0]
    for label in ("时间：", "地点：", "主持：", "出席：", "列席：县纪委监委", "记录：刘主任"):
        assert label in text
    assert (
        "1. 县医疗保障局会同县民政局研究该户大病救助政策衔接。牵头单位：县医疗保障局；配合单位：县民政局"
        in text
    )
    assert "抄送：县政府办公室" in text
    page = client_for(dave).get(f"/meetings/{issued.pk}/agenda.html").content.decode()
    assert "议程" in page and "@media print" in page


def test_the_window_refers_a_case_to_the_conference_and_the_office_hears(
    conference: Any, alice: Any, carol: Any, dave: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case: Case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    client = client_for(alice)
    assert "提请联席会议研究" in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(f"/meetings/flag/case/{case.pk}/", {"reason": "  "})
    assert response.status_code == 200 and not DifficultFlag.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/meetings/flag/case/{case.pk}/", {"reason": "家庭情况复杂"})
    assert response.status_code == 302
    flag = DifficultFlag.objects.get()
    assert flag.reason == "家庭情况复杂" and flag.flagged_by == alice
    assert Notification.objects.filter(recipient=dave, verb__contains="joint conference").exists()
    # Carol's agency has nothing of this referral: she cannot flag it.
    assert client_for(carol).post(
        f"/meetings/flag/referral/{referral.pk}/", {"reason": "x"}
    ).status_code in {403, 404}
    # A second flag of the same case says so and adds nothing.
    client.post(f"/meetings/flag/case/{case.pk}/", {"reason": "再次"})
    assert DifficultFlag.objects.count() == 1


def test_bad_input_gets_a_message_not_an_error(conference: Any, dave: Any) -> None:
    client = client_for(dave)
    response = client.post(
        "/meetings/plan/",
        {"kind": "plenary", "held_on": "2020-01-01", "place": "会议室"},
        follow=True,
    )
    assert response.status_code == 200 and "会议日期不能早于今天" in response.content.decode()
    response = client.post("/meetings/plan/", {"kind": "x", "held_on": "nope"}, follow=True)
    assert response.status_code == 200
    assert not Meeting.objects.exists()


def test_a_unit_sees_no_draft_until_the_office_sends_it(
    conference: Any, bob: Any, dave: Any, alice: Any
) -> None:
    with time_machine.travel(at(date(2026, 12, 1)), tick=False):
        case = register(alice, "yiliao")
        refer_all(case, alice)
        agenda.flag_difficult(case, actor=alice, reason="多部门推诿")
        meeting = _plan(conference, dave)
        topic = agenda.add_topic(meeting, f"case:{case.pk}", actor=dave)
        bobs = client_for(bob)
        assert bobs.get(f"/meetings/{meeting.pk}/").status_code == 404
        assert bobs.get(f"/meetings/topics/{topic.pk}/").status_code == 404
        services.submit_agenda(
            step(meeting, "draft_agenda"), meeting, actor=dave, positions_due=date(2026, 12, 4)
        )
        page = bobs.get(f"/meetings/{meeting.pk}/").content.decode()
        assert "提交书面意见" in page and case.reference in page


def test_a_county_administrator_counts_the_conferences_processes_and_another_county_none(
    issued: Meeting, zoe: Any
) -> None:
    """The engine overview's county scope covers the meetings', decisions' and the plenary
    watch's processes (registered by the conference), not only cases'."""

    def administrator(name: str, county: str) -> Any:
        user = get_user_model().objects.create_user(name, password="x")
        Staff.objects.create(
            user=user, role=Staff.Role.ADMINISTRATOR, division=Division.objects.get(code=county)
        )
        return user

    kinds = {"meeting", "decision", "plenary_watch"}
    conference_running = ProcessInstance.objects.filter(
        subject_type__in=kinds, state="running"
    ).count()
    assert conference_running >= 2  # the decision's follow-up and the plenary watch
    cases_running = ProcessInstance.objects.filter(subject_type="case", state="running").count()
    ours = client_for(administrator("adam", "130302")).get("/engine/").context
    assert ours["running"] == conference_running + cases_running
    theirs = client_for(administrator("yvonne", "130303")).get("/engine/").context
    assert theirs["running"] == 0 and list(theirs["lanes"]) == []
