"""Time limits on real calendar dates, with a controlled clock: rules, reminders, level-1 and
level-2 督办, the agency's answer, extensions and suspensions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.test import Client
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases import clock as clock_services
from onedoor.cases import services
from onedoor.cases.models import ClockChange, Referral
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.deadlines.workdays import add_working_days
from onedoor.directory.models import Agency, Division, Staff
from workflows.timers import fire_due_timers

from .conftest import refer_all, register, task_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def referred(alice: Any, item: str = "yiliao", seq: int = 1) -> Referral:
    case = register(alice, item, seq=seq)
    refer_all(case, alice)
    return Referral.objects.get(case=case)


def sign(referral: Referral, bob: Any) -> Referral:
    services.sign_referral(task_of(referral.case, "sign_for_referral"), actor=bob, decision="sign")
    referral.refresh_from_db()
    return referral


def test_sign_and_handling_clocks_come_from_the_rules_across_spring_festival(
    alice: Any, bob: Any
) -> None:
    # Friday 2026-02-13; Saturday Feb 14 is a make-up working day, Feb 15-23 the holiday.
    with time_machine.travel(at(date(2026, 2, 13)), tick=False):
        referral = referred(alice)
        assert referral.sign_due_at == end_of(date(2026, 2, 24))  # general rule: 2 days
        referral = sign(referral, bob)
    # 医疗救助's own rule: 10 working days from the day it was signed for.
    assert referral.handle_due_at == end_of(add_working_days(date(2026, 2, 13), 10).day)
    # Feb 14 and Feb 28 are make-up Saturdays: Feb 14, 24-28, Mar 2-5.
    assert referral.handle_due_at == end_of(date(2026, 3, 5))
    handle = task_of(referral.case, "handle_referral")
    assert handle.due_at == referral.handle_due_at == referral.due_at


def test_a_new_rule_applies_to_steps_that_start_after_it_takes_effect(alice: Any, bob: Any) -> None:
    TimeLimitRule.objects.create(
        item=Item.objects.get(code="yiliao"),
        step=TimeLimitRule.Step.HANDLE,
        working_days=5,
        source="某市医疗救助经办规程（地方示例）",
        source_level=TimeLimitRule.SourceLevel.LOCAL,
        effective_from=date(2026, 11, 16),
    )
    with time_machine.travel(at(date(2026, 11, 13)), tick=False):
        before = sign(referred(alice), bob)
    with time_machine.travel(at(date(2026, 11, 16)), tick=False):
        after = sign(referred(alice, seq=2), bob)
    assert before.handle_due_at == end_of(add_working_days(date(2026, 11, 13), 10).day)
    assert after.handle_due_at == end_of(date(2026, 11, 23))  # 5 working days


def test_overdue_raises_level_one_then_level_two_to_the_leader(
    alice: Any, bob: Any, dave: Any, leader: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        referral = sign(referred(alice), bob)
        due = referral.handle_due_at
        assert due is not None
        with django_capture_on_commit_callbacks(execute=True):
            traveller.move_to(due + timedelta(minutes=5))
            fire_due_timers()
        referral.refresh_from_db()
        [notice] = referral.supervision_notices.all()
        assert (notice.level, notice.step, notice.issued_by) == (1, "handle", None)
        assert referral.escalation_level == 1
        for user in (bob, dave):
            assert Notification.objects.filter(
                recipient=user, data__action="referral.overdue"
            ).exists()
        # Answered or not, still open three more working days later: level 2 to the leader.
        level_two_at = end_of(add_working_days(due.astimezone(SHANGHAI).date(), 3).day)
        with django_capture_on_commit_callbacks(execute=True):
            traveller.move_to(level_two_at - timedelta(hours=1))
            fire_due_timers()
            assert referral.supervision_notices.count() == 1
            traveller.move_to(level_two_at + timedelta(minutes=1))
            fire_due_timers()
        referral.refresh_from_db()
        assert referral.escalation_level == 2
        assert referral.supervision_notices.filter(level=2, issued_by=None).count() == 1
        assert Notification.objects.filter(
            recipient=leader, data__action="referral.escalated"
        ).exists()
        assert not Notification.objects.filter(
            recipient=bob, data__action="referral.escalated"
        ).exists()
        assert Notification.objects.filter(
            recipient=dave, data__action="referral.escalated"
        ).exists()
        board = client_for(dave).get("/board/").content.decode()
        assert referral.case.reference in board and "二级" in board


def test_the_agency_answers_and_a_broken_promise_shows_on_the_board(
    alice: Any, bob: Any, dave: Any
) -> None:
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        referral = sign(referred(alice), bob)
        assert referral.handle_due_at is not None
        traveller.move_to(referral.handle_due_at + timedelta(minutes=5))
        fire_due_timers()
        notice = referral.supervision_notices.get()
        page = client_for(bob).get(f"/referrals/{referral.pk}/").content.decode()
        assert "回复督办" in page
        # A date in the past is refused, nothing is recorded.
        response = client_for(bob).post(
            f"/notices/{notice.pk}/answer/",
            {"answer": "等待医院结算单", "promised_date": "2026-11-01"},
            follow=True,
        )
        assert "承诺办结日期不能早于今天" in response.content.decode()
        notice.refresh_from_db()
        assert notice.answered_at is None
        client_for(bob).post(
            f"/notices/{notice.pk}/answer/",
            {"answer": "等待医院结算单", "promised_date": "2026-11-20"},
        )
        notice.refresh_from_db()
        assert notice.answer == "等待医院结算单" and notice.answered_by == bob
        assert AuditEvent.objects.filter(action="referral.supervision_answered").count() == 1
        traveller.move_to(at(date(2026, 11, 23)))
        board = client_for(dave).get("/board/").content.decode()
        broken = board.split("超过承诺日期仍未办结")[1]
        assert referral.case.reference in broken


def test_an_approved_extension_moves_the_due_date_on_by_working_days(
    alice: Any, bob: Any, dave: Any
) -> None:
    with time_machine.travel(at(date(2026, 9, 21)), tick=False) as traveller:
        referral = sign(referred(alice), bob)
        old_due = referral.handle_due_at
        assert old_due is not None
        traveller.move_to(at(date(2026, 9, 28)))
        clock_services.request_extension(
            task_of(referral.case, "handle_referral"),
            actor=bob,
            days=3,
            reason="需要调取住院病历",
        )
        referral.refresh_from_db()
        assert referral.step == "审批延期" and referral.due_at == old_due  # the clock runs on
        task = task_of(referral.case, "approve_extension")
        assert task.candidate_group == "130302"
        clock_services.decide_extension(task, actor=dave, approved=True, note="同意")
        referral.refresh_from_db()
        expected = end_of(add_working_days(old_due.astimezone(SHANGHAI).date(), 3).day)
        assert referral.handle_due_at == expected == referral.due_at
        change = ClockChange.objects.get(referral=referral)
        assert (change.approved, change.decided_by, change.due_before, change.due_after) == (
            True,
            dave,
            old_due,
            expected,
        )
        actions = list(
            AuditEvent.objects.filter(referral=referral).values_list("action", flat=True)
        )
        assert "referral.extension_requested" in actions
        assert "referral.extension_approved" in actions
        page = client_for(bob).get(f"/referrals/{referral.pk}/").content.decode()
        assert "需要调取住院病历" in page and "准予" in page


def test_the_boards_extension_requests_come_a_page_at_a_time_oldest_first(
    alice: Any, bob: Any, dave: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onedoor.cases import views_agency

    monkeypatch.setattr(views_agency, "BOARD_PAGE", 1)
    waiting = []
    with time_machine.travel(at(date(2026, 9, 21)), tick=False) as traveller:
        for seq in (1, 2):
            referral = sign(referred(alice, seq=seq), bob)
            clock_services.request_extension(
                task_of(referral.case, "handle_referral"), actor=bob, days=3, reason="需要调取病历"
            )
            waiting.append(referral.case.reference)
            traveller.shift(timedelta(hours=1))
        client = client_for(dave)
        first = client.get("/board/").content.decode().split("待审批的延期申请")[1]
        second = client.get("/board/", {"extensions_page": 2}).content.decode()
    first = first.split("</section>")[0]
    second = second.split("待审批的延期申请")[1].split("</section>")[0]
    assert waiting[0] in first and waiting[1] not in first
    assert "?extensions_page=2" in first
    assert waiting[1] in second and waiting[0] not in second
    assert "?extensions_page=1" in second


def test_a_refused_extension_keeps_the_due_date_and_raises_no_second_notice(
    alice: Any, bob: Any, dave: Any
) -> None:
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        referral = sign(referred(alice), bob)
        due = referral.handle_due_at
        assert due is not None
        traveller.move_to(due + timedelta(hours=1))
        fire_due_timers()
        clock_services.request_extension(
            task_of(referral.case, "handle_referral"), actor=bob, days=2, reason="人手不足"
        )
        with pytest.raises(services.ActionError, match="不予延期必须说明理由"):
            clock_services.decide_extension(
                task_of(referral.case, "approve_extension"), actor=dave, approved=False, note=""
            )
        clock_services.decide_extension(
            task_of(referral.case, "approve_extension"),
            actor=dave,
            approved=False,
            note="理由不充分",
        )
        referral.refresh_from_db()
        assert referral.handle_due_at == due and referral.step == "办理并反馈"
        # The overdue timer re-armed on an overdue step fires again, but raises nothing new.
        fire_due_timers()
        assert referral.supervision_notices.filter(level=1).count() == 1


def test_an_extension_beyond_the_rules_maximum_is_refused(alice: Any) -> None:
    # 最低生活保障: 20 working days, extendable by at most 10 (the seeded local example).
    with time_machine.travel(at(date(2026, 11, 2)), tick=False):
        referral = sign(referred(alice, "dibao"), _civil_officer())
        with pytest.raises(services.ActionError, match="最多可延长 10 个工作日"):
            clock_services.request_extension(
                task_of(referral.case, "handle_referral"),
                actor=_civil_officer(),
                days=11,
                reason="入户调查",
            )
        assert not ClockChange.objects.exists()
        assert task_of(referral.case, "handle_referral")


def _civil_officer() -> Any:
    user = get_user_model().objects.filter(username="cindy").first()
    if user is None:
        user = get_user_model().objects.create_user("cindy", password="pw-cindy")
        Staff.objects.create(
            user=user,
            role=Staff.Role.AGENCY_OFFICER,
            division=Division.objects.get(code="130302"),
            agency=Agency.objects.get(kind="civil"),
        )
    return user


def test_waiting_for_missing_materials_stops_the_clock(alice: Any, bob: Any) -> None:
    # Signed Monday 2026-11-02: 10 working days, due Monday 2026-11-16.
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        referral = sign(referred(alice), bob)
        assert referral.handle_due_at == end_of(date(2026, 11, 16))
        traveller.move_to(at(date(2026, 11, 4)))
        clock_services.request_materials(
            task_of(referral.case, "handle_referral"), actor=bob, materials="住院费用清单原件"
        )
        referral.refresh_from_db()
        assert referral.step == "补正材料" and referral.due_at is None
        # Well past the old due date, nothing fires: the clock is stopped.
        traveller.move_to(at(date(2026, 11, 20)))
        fire_due_timers()
        assert not referral.supervision_notices.exists()
        assert not Referral.objects.overdue().filter(pk=referral.pk).exists()
        page = Client()
        page.force_login(bob)
        html = page.get(f"/referrals/{referral.pk}/", headers={"accept-language": "zh-hans"})
        assert "补正材料中，暂停计时" in html.content.decode()
        # The window (not the agency) receives them; 8 working days were left (Nov 5-16).
        clock_services.receive_materials(
            task_of(referral.case, "await_materials"), actor=alice, note="已收到清单原件"
        )
        referral.refresh_from_db()
        assert referral.handle_due_at == end_of(add_working_days(date(2026, 11, 20), 8).day)
        assert referral.handle_due_at == end_of(date(2026, 12, 2))
        change = ClockChange.objects.get(referral=referral, kind="suspension")
        assert change.decided_by == alice and change.due_after == referral.handle_due_at


def test_the_same_time_limit_rule_submitted_twice_is_saved_once(county: Division) -> None:
    """The administrator's add form sent twice: the second is refused in Chinese, and only
    one rule (and one audit event) stands."""
    root = get_user_model().objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(root)
    item = Item.objects.get(code="yiliao")
    form = {
        "item": item.pk,
        "step": "handle",
        "working_days": 7,
        "remind_days_before": 1,
        "escalate_after_days": 3,
        "max_extension_days": 0,
        "source": "县政府办〔2027〕1号",
        "source_level": "local",
        "effective_from": "2027-01-01",
    }
    before = TimeLimitRule.objects.count()
    first = client.post("/admin/deadlines/timelimitrule/add/", form)
    assert first.status_code == 302
    second = client.post("/admin/deadlines/timelimitrule/add/", form)
    assert second.status_code == 200  # the form again, with the reason
    assert "时限规则已经存在" in second.content.decode()
    general = {**form, "item": ""}
    assert client.post("/admin/deadlines/timelimitrule/add/", general).status_code == 302
    assert (
        "时限规则已经存在"
        in client.post("/admin/deadlines/timelimitrule/add/", general).content.decode()
    )
    assert TimeLimitRule.objects.count() == before + 2
    assert AuditEvent.objects.filter(action="time_limit_rule.added").count() == 2


def test_the_database_refuses_a_second_rule_of_the_same_item_step_and_start(
    county: Division,
) -> None:
    """Two submits at the same moment pass the form's check together: the constraint holds."""
    rule = TimeLimitRule.objects.filter(item__isnull=True).first()
    assert rule is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeLimitRule.objects.create(
            item=None,
            step=rule.step,
            working_days=rule.working_days + 1,
            source="重复",
            effective_from=rule.effective_from,
        )


def test_two_submits_at_the_same_moment_save_one_rule_and_answer_the_other_in_chinese(
    county: Division,
) -> None:
    """Both pass the form's check before either saves: the rule the other request saved is
    written just before this one's INSERT (as if it committed in between), and the
    constraint's refusal comes back as the same message, not a 500."""
    root = get_user_model().objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(root)
    item = Item.objects.get(code="yiliao")
    form = {
        "item": item.pk,
        "step": "sign",
        "working_days": 2,
        "remind_days_before": 1,
        "escalate_after_days": 3,
        "max_extension_days": 0,
        "source": "县政府办〔2027〕2号",
        "source_level": "local",
        "effective_from": "2027-03-01",
    }
    inserted: list[bool] = []

    def the_other_request_first(execute: Any, sql: str, params: Any, many: bool, ctx: Any) -> Any:
        if sql.startswith('INSERT INTO "deadlines_timelimitrule"') and not inserted:
            inserted.append(True)
            TimeLimitRule.objects.create(
                item=item,
                step="sign",
                working_days=2,
                source="另一次提交",
                effective_from=date(2027, 3, 1),
            )
        return execute(sql, params, many, ctx)

    before = TimeLimitRule.objects.count()
    with connection.execute_wrapper(the_other_request_first):
        response = client.post("/admin/deadlines/timelimitrule/add/", form)
    assert inserted and response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "该事项、该环节自此生效日期起的时限规则已经存在（表单可能提交了两次），请修改已有的规则。"
        "本次未保存任何内容"
    ]
    # Nothing of this request remains, not even its audit event (the stand-in for the other
    # request's rule went with it: on one connection it could not commit on its own).
    assert TimeLimitRule.objects.count() == before
    assert not AuditEvent.objects.filter(action="time_limit_rule.added").exists()
