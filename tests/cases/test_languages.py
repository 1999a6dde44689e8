"""The case, referral and board pages in both languages, and the documents that must stay
Chinese whatever language the person at the keyboard reads.

Bob (medical-security officer) lets a referral run late; Dave (coordinator) chases it; Alice
(window) refuses another application while reading the UI in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from onedoor.cases import clock, services
from onedoor.cases.models import ApplicantNotice, Referral
from onedoor.deadlines.workdays import official_years
from onedoor.directory.models import Division
from workflows.timers import fire_due_timers

from .conftest import refer_all, register, task_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"accept-language": "en"}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _back_to_the_default_language() -> Iterator[None]:
    """LocaleMiddleware leaves a request's language active in the thread after the response;
    without this, tests run later in this process would get English service errors."""
    yield
    translation.deactivate()


@pytest.fixture
def late_referral(alice: Any, bob: Any) -> Referral:
    """Signed by Bob, past its handling time limit: level-1 督办 raised by the process."""
    with time_machine.travel(datetime.combine(date(2026, 11, 2), time(10), SHANGHAI), tick=False):
        case = register(alice, "yiliao")
        refer_all(case, alice)
        services.sign_referral(task_of(case, "sign_for_referral"), actor=bob, decision="sign")
        referral = Referral.objects.get(case=case)
        assert referral.handle_due_at is not None
    # Raised while English is active (as in an English reader's request): it stays Chinese.
    overdue = referral.handle_due_at + timedelta(minutes=5)
    with time_machine.travel(overdue, tick=False), translation.override("en"):
        fire_due_timers()
    referral.refresh_from_db()
    return referral


def test_the_referral_page_is_chinese_by_default_and_english_on_request(
    late_referral: Referral, bob: Any
) -> None:
    url = f"/referrals/{late_referral.pk}/"
    chinese = client_for(bob).get(url).content.decode()
    for text in ("转办事项：", "承办部门", "办理时限", "一级督办", "督办记录", "逾期，一级督办"):
        assert text in chinese
    assert "回复督办" in chinese and "提交：" in chinese

    english = client_for(bob).get(url, headers=ENGLISH).content.decode()
    for text in (
        "Referral: ",
        "Handling agency",
        "Handling due",
        "Level-1 supervision",
        "Supervision notices",
        "Answer the supervision notice",
        "Submit: ",
        "Reason for the delay",  # the answer form's label, from Python
        "Overdue: level-1 supervision",  # the timeline's audit label
    ):
        assert text in english
    # (The notice itself is stored Chinese text: data, not UI.)
    for text in ("承办部门", "督办记录", "回复督办", "提交：", "逾期，一级督办"):
        assert text not in english


def test_an_automatic_supervision_notice_is_written_in_chinese(late_referral: Referral) -> None:
    notice = late_referral.supervision_notices.get()
    due = late_referral.handle_due_at
    assert due is not None
    assert notice.text == (
        f"该事项办理已超过时限（{due.astimezone(SHANGHAI):%Y-%m-%d}），请立即办理，"
        "并说明逾期原因和承诺办结日期。"
    )


def test_the_board_in_both_languages(late_referral: Referral, dave: Any) -> None:
    chinese = client_for(dave).get("/board/").content.decode()
    for text in ("督办看板", "按部门", "在办", "逾期事项", "一级督办", "待审批的延期申请"):
        assert text in chinese
    # Lateness in working days, never in calendar units (“逾期1 月”, “逾期49 分钟”).
    assert "逾期" in chinese and "个工作日" in chinese
    assert "分钟" not in chinese and "小时" not in chinese
    english = client_for(dave).get("/board/", headers=ENGLISH).content.decode()
    for text in (
        "Supervision board",
        "By agency",
        "Overdue referrals",
        "Level-1 supervision",
        ">Supervise<",
    ):
        assert text in english
    assert "督办看板" not in english and "待审批的延期申请" not in english
    # The hidden remarks the 督办 button sends follow the coordinator's language too.
    assert "working days past its time limit" in english


def test_a_refusal_notice_for_the_applicant_is_chinese_even_from_an_english_session(
    alice: Any,
) -> None:
    case = register(alice, "yiliao")
    with translation.override("en"):
        services.review_application(
            task_of(case, "review_application"), actor=alice, accepted=False, reason="收入超标"
        )
    notice = ApplicantNotice.objects.get(case=case, kind="refusal")
    assert notice.text == (
        "经审查，您的救助申请不予受理。理由：收入超标。如有异议，可依法申请行政复议或者提起行政诉讼。"
    )


def test_the_timeline_and_the_notification_word_an_extension_request_for_their_reader(
    late_referral: Referral, bob: Any, dave: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        clock.request_extension(
            task_of(late_referral.case, "handle_referral"), actor=bob, days=3, reason="等待结算单"
        )
    timeline = client_for(dave).get(f"/referrals/{late_referral.pk}/").content.decode()
    history = timeline[timeline.index('class="timeline"') :]
    assert "申请延期" in history and "3 个工作日；" in history and "理由：等待结算单" in history
    # Told to the coordinator as news about the agency (部门申请延期), not as a bare step.
    assert "部门申请延期" in client_for(dave).get("/notifications/").content.decode()
    english = client_for(dave).get("/notifications/", headers=ENGLISH).content.decode()
    assert "Extension requested" in english and "部门申请延期" not in english


def test_errors_raised_by_the_services_follow_the_language() -> None:
    task: Any = type("Task", (), {"bpmn_id": "close_case"})()
    nobody: Any = None  # refused before anyone is named
    with translation.override("zh-hans"), pytest.raises(services.ActionError, match="该任务不能"):
        clock.request_extension(task, actor=nobody, days=1, reason="x")
    with translation.override("en"), pytest.raises(services.ActionError, match="cannot take"):
        clock.request_extension(task, actor=nobody, days=1, reason="x")


def test_the_calendar_banner_names_the_missing_years_in_both_languages(
    county: Division, dave: Any
) -> None:
    next_unknown = max(official_years()) + 1
    with time_machine.travel(datetime.combine(date(next_unknown - 1, 12, 1), time(10), SHANGHAI)):
        chinese = client_for(dave).get("/board/").content.decode()
        english = client_for(dave).get("/board/", headers=ENGLISH).content.decode()
    assert f"{next_unknown}年的法定节假日和调休安排尚未录入" in chinese
    assert "请管理员在“日历调整”中录入并标记该年已录入。" in chinese
    assert f"adjusted working days of {next_unknown} are not entered yet" in english
