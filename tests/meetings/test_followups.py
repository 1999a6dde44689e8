"""Follow-ups worked from the lead unit's inbox like referrals: listed beside the referrals with
their clock, chased with 督办 (levels, answers, promises), reported carried out there."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases.services import ActionError
from onedoor.meetings import decisions, followups
from onedoor.meetings.models import Decision, DecisionNotice, Meeting
from tests.cases.test_views import client_for
from workflows.models import HumanTask

from .test_cycle import at
from .test_views import issued

__all__ = ["issued"]

pytestmark = pytest.mark.django_db

LATE = at(date(2026, 12, 21))  # the decision of `issued` is due 2026-12-15


def _carry_out(decision: Decision) -> HumanTask:
    return HumanTask.objects.get(instance_id=decision.process_id, bpmn_id="carry_out")


def test_the_lead_units_inbox_lists_its_follow_ups_beside_its_referrals(
    issued: Meeting, bob: Any, carol: Any
) -> None:
    decision = Decision.objects.get()
    assert decision.due_on == date(2026, 12, 15)
    with time_machine.travel(at(date(2026, 12, 10)), tick=False):
        page = client_for(bob).get("/inbox/").content.decode()
    assert "待落实的联席会议议定事项" in page
    assert f"/meetings/decisions/{decision.pk}/" in page
    assert "2026-12-15" in page and "还剩3个工作日" in page
    # Past the deadline: working days overdue on the county calendar (16th to 21st: 4).
    with time_machine.travel(LATE, tick=False):
        page = client_for(bob).get("/inbox/").content.decode()
        assert followups.open_follow_ups(decision.lead, issued.conference)[0].days_overdue == 4
    assert '<strong class="overdue">4</strong>' in page and "逾期4个工作日" in page
    # Carol's unit (education) leads nothing: no follow-up in her inbox, no follow-up page.
    carols = client_for(carol)
    assert f"/meetings/decisions/{decision.pk}/" not in carols.get("/inbox/").content.decode()
    assert carols.get(f"/meetings/decisions/{decision.pk}/").status_code == 404


def test_the_office_supervises_an_overdue_follow_up_in_two_levels(
    issued: Meeting, dave: Any, bob: Any, frank: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    decision = Decision.objects.get()
    # Not yet due: nothing to supervise.
    with time_machine.travel(at(date(2026, 12, 10)), tick=False):
        client_for(dave).post(
            f"/meetings/decisions/{decision.pk}/supervise/", {"text": "x", "notices_seen": 0}
        )
    assert not DecisionNotice.objects.exists()
    with time_machine.travel(LATE, tick=False):
        office = client_for(dave)
        page = office.get(f"/meetings/decisions/{decision.pk}/").content.decode()
        assert "supervise/" in page and "现已逾期 4 个工作日" in page
        with capture(execute=True):
            office.post(
                f"/meetings/decisions/{decision.pk}/supervise/",
                {"text": "请抓紧落实", "notices_seen": 0},
            )
        # The same form sent twice: the second sends nothing.
        office.post(
            f"/meetings/decisions/{decision.pk}/supervise/",
            {"text": "请抓紧落实", "notices_seen": 0},
        )
        first = DecisionNotice.objects.get()
        assert first.level == 1 and first.issued_by == dave
        event = AuditEvent.objects.get(action="meeting.decision_supervised")
        assert event.data["level"] == 1 and event.data["days_overdue"] == 4
        assert Notification.objects.filter(
            recipient=bob, target_object_id=str(issued.pk), verb__contains="Supervision notice"
        ).exists()
        assert not Notification.objects.filter(recipient=frank, verb__contains="Level-2").exists()
        # A second 督办 while the first stands is level 2, and the convenor hears of it.
        with capture(execute=True):
            followups.supervise_decision(decision, actor=dave, text="再次督办", notices_seen=1)
    second = DecisionNotice.objects.order_by("pk").last()
    assert second is not None and second.level == 2
    assert Notification.objects.filter(recipient=frank, verb__contains="Level-2").exists()


def test_the_office_picks_the_level_of_a_decisions_supervision_with_drafted_remarks(
    issued: Meeting, dave: Any, bob: Any, frank: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """As on a referral: the form offers level 1 or 2 with remarks drafted from the clock; a
    level-2 notice goes to the convenor at once; once a notice stands, level 1 is no choice."""
    decision = Decision.objects.get()
    url = f"/meetings/decisions/{decision.pk}/"
    with time_machine.travel(LATE, tick=False):
        office = client_for(dave)
        page = office.get(url).content.decode()
        assert 'name="level"' in page and 'value="1"' in page and 'value="2"' in page
        assert "一级督办：督促牵头单位" in page and "二级督办：督促牵头单位并报召集人" in page
        assert "4 个工作日" in page  # the drafted remarks say how late it is
        with django_capture_on_commit_callbacks(execute=True):
            office.post(
                f"{url}supervise/", {"level": "2", "text": "请分管领导督促落实", "notices_seen": 0}
            )
        notice = DecisionNotice.objects.get()
        assert notice.level == 2
        assert Notification.objects.filter(recipient=frank, verb__contains="Level-2").exists()
        assert Notification.objects.filter(recipient=bob).exists()
        event = AuditEvent.objects.get(action="meeting.decision_supervised")
        assert event.data["level"] == 2
        # Now only level 2 is offered: a level 1 posted is refused, nothing sent; the service
        # asked for level 1 sends it at level 2.
        page = office.get(url).content.decode()
        assert 'name="level" value="1"' not in page and 'value="2"' in page
        office.post(f"{url}supervise/", {"level": "1", "text": "再次督办", "notices_seen": 1})
        assert DecisionNotice.objects.count() == 1
        followups.supervise_decision(decision, actor=dave, text="再次督办", level=1, notices_seen=1)
    assert list(DecisionNotice.objects.order_by("pk").values_list("level", flat=True)) == [2, 2]
    # A level that is none is refused, nothing sent.
    with time_machine.travel(LATE, tick=False), pytest.raises(ActionError):
        followups.supervise_decision(decision, actor=dave, text="x", level=3, notices_seen=2)
    assert DecisionNotice.objects.count() == 2


def test_the_lead_unit_answers_and_then_carries_out_from_the_follow_up_page(
    issued: Meeting, dave: Any, bob: Any, carol: Any, django_capture_on_commit_callbacks: Any
) -> None:
    decision = Decision.objects.get()
    with time_machine.travel(LATE, tick=False):
        notice = followups.supervise_decision(decision, actor=dave, text="请抓紧", notices_seen=0)
        bobs = client_for(bob)
        assert "1 件待回复" in bobs.get("/inbox/").content.decode()
        # Carol is not the lead unit: she answers nothing.
        assert (
            client_for(carol)
            .post(
                f"/meetings/notices/{notice.pk}/answer/",
                {"answer": "x", "promised_date": "2026-12-25"},
            )
            .status_code
            == 404
        )
        with django_capture_on_commit_callbacks(execute=True):
            bobs.post(
                f"/meetings/notices/{notice.pk}/answer/",
                {"answer": "等待财政资金", "promised_date": "2026-12-25"},
            )
        notice.refresh_from_db()
        assert notice.answered_by == bob and notice.promised_date == date(2026, 12, 25)
        assert Notification.objects.filter(recipient=dave, verb__contains="answered").exists()
        with pytest.raises(ActionError):
            followups.answer_decision_notice(
                notice, actor=bob, answer="again", promised_date=date(2026, 12, 25)
            )
        assert _carry_out(decision).state == HumanTask.State.OPEN
        response = bobs.post(
            f"/meetings/decisions/{decision.pk}/done/",
            {"note": "已完成政策衔接", "next": f"/meetings/decisions/{decision.pk}/"},
        )
        assert response["Location"] == f"/meetings/decisions/{decision.pk}/"
        # The follow-up's process moved on, and the inbox no longer lists it.
        assert _carry_out(decision).state == HumanTask.State.COMPLETED
        assert f"/meetings/decisions/{decision.pk}/" not in bobs.get("/inbox/").content.decode()
        # Carried out: no more 督办.
        with pytest.raises(ActionError):
            followups.supervise_decision(decision, actor=dave, text="x", notices_seen=1)


def test_bad_input_on_the_follow_up_changes_nothing(issued: Meeting, dave: Any, bob: Any) -> None:
    decision = Decision.objects.get()
    with time_machine.travel(LATE, tick=False):
        office = client_for(dave)
        for data in ({}, {"text": "", "notices_seen": 0}, {"text": "x", "notices_seen": "abc"}):
            assert (
                office.post(f"/meetings/decisions/{decision.pk}/supervise/", data).status_code
                == 302
            )
        assert not DecisionNotice.objects.exists()
        # Bob is not the office: he issues no 督办.
        response = client_for(bob).post(
            f"/meetings/decisions/{decision.pk}/supervise/", {"text": "x", "notices_seen": 0}
        )
        assert response.status_code == 403
        notice = followups.supervise_decision(decision, actor=dave, text="请抓紧", notices_seen=0)
        for data in (
            {},
            {"answer": "x", "promised_date": "2026-12-01"},
            {"answer": "", "promised_date": "x"},
        ):
            client_for(bob).post(f"/meetings/notices/{notice.pk}/answer/", data)
        notice.refresh_from_db()
        assert notice.answered_at is None
        assert client_for(bob).post("/meetings/notices/999999/answer/", {}).status_code == 404


def test_a_broken_promise_to_a_decisions_supervision_is_a_topic_by_its_own_rule(
    issued: Meeting, dave: Any, bob: Any
) -> None:
    """The lead unit answers the 督办 with a date; once that date passes with the decision not
    carried out, the rule proposes it, saying who promised what, when, at which level."""
    from onedoor.meetings.models import Topic
    from onedoor.meetings.topics import candidates

    decision = Decision.objects.get()
    key = f"decision:{decision.pk}"
    with time_machine.travel(LATE, tick=False):
        notice = followups.supervise_decision(decision, actor=dave, text="请落实", notices_seen=0)
        followups.answer_decision_notice(
            notice, actor=bob, answer="需协调民政局", promised_date=date(2026, 12, 23)
        )
    # The promised day itself and before: carried over as overdue, the promise not yet broken.
    with time_machine.travel(at(date(2026, 12, 23)), tick=False):
        [found] = [c for c in candidates(issued.conference) if c.key == key]
        assert found.sources == [Topic.Source.DECISION_OVERDUE]
    with time_machine.travel(at(date(2026, 12, 24)), tick=False):
        [found] = [c for c in candidates(issued.conference) if c.key == key]
        assert found.sources == [
            Topic.Source.DECISION_OVERDUE,
            Topic.Source.DECISION_PROMISE_BROKEN,
        ]
        [reason] = [r for r in found.reasons if "2026-12-23" in r]
        assert "2026-12-21" in reason and "1" in reason and str(decision.lead) in reason
        # Carried out: no promise is broken any more, nor anything carried over.
        decisions.complete_decision(decision, actor=bob, note="已落实")
        assert key not in {c.key for c in candidates(issued.conference)}
