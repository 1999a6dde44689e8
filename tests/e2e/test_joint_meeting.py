"""The joint conference's whole cycle in a real browser.

The office (coordinator) builds the agenda from a long-overdue case, the medical-security
liaison officer sends a written position, the convenor approves, the meeting is held with
attendance and a decision naming civil affairs responsible, the convenor issues the minutes
(the .docx is opened with python-docx), and civil affairs finds the stuck referral in its
inbox and the follow-up beside it, and reports it carried out on the follow-up page.
Screenshots: meeting-agenda, meeting-minutes, meeting-follow-ups (the inbox), meeting-figures.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from onedoor.cases import registration
from onedoor.cases import services as case_services
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.meetings import membership
from onedoor.meetings.demo import _convenor
from onedoor.meetings.models import Decision
from tests.cases.conftest import make_id_number
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files
from workflows.models import HumanTask
from workflows.timers import fire_due_timers


@pytest.fixture
def stuck_case(transactional_db: None, settings: Settings) -> tuple[Case, dict[str, Any]]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bpmn = Path(settings.ONEDOOR_BPMN_DIR)
    deploy_files(
        [
            bpmn / n
            for n in (
                "one_door.bpmn",
                "joint_meeting.bpmn",
                "meeting_decision.bpmn",
                "plenary_watch.bpmn",
            )
        ]
    )
    seed_catalogue()
    county = seed_county()
    people = seed_people(county)
    people["convenor"] = _convenor(county)
    window = people["window1"]
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        case = registration.register_application(
            actor=window,
            township=Division.objects.get(code="130302001"),
            village=Division.objects.get(code="130302001001"),
            members=[
                registration.MemberData(name="赵大勇", id_number=make_id_number(7), relation="head")
            ],
            items=[Item.objects.get(code="yiliao")],
            channel=Case.Channel.WALK_IN,
            statement="因病致贫",
            consent=True,
        )
        review = HumanTask.objects.get(subject_id=str(case.pk), bpmn_id="review_application")
        case_services.review_application(review, actor=window, accepted=True)
        split = HumanTask.objects.get(subject_id=str(case.pk), bpmn_id="split_case")
        case_services.refer_case(
            split,
            actor=window,
            choices=[(Item.objects.get(code="yiliao"), Agency.objects.get(kind="medical"))],
        )
    fire_due_timers()
    from onedoor.meetings.access import conference_of

    conference = conference_of(county)
    office = people["coordinator"]
    membership.update_conference(
        conference,
        actor=office,
        convenor=people["convenor"],
        overdue_days=10,
        handovers=2,
        on_time_percent=80,
        on_time_period_days=90,
    )
    for kind in ("medical", "civil"):
        membership.set_member_unit(
            conference,
            Agency.objects.get(kind=kind),
            actor=office,
            liaison=people[kind],
            active=True,
        )
    get_user_model().objects.filter(pk=people["convenor"].pk)  # committed (transactional_db)
    return case, people


def submit_task(page: Page, button: str = "提交") -> None:
    page.locator("section.todo").get_by_role("button", name=button).click()


def test_a_meeting_cycle_moves_a_stuck_case(
    page: Page, screenshot: Screenshot, stuck_case: tuple[Case, dict[str, Any]]
) -> None:
    case, _people = stuck_case
    today = timezone.localdate()
    # 1. The office plans a plenary and builds the agenda from the proposed topics.
    log_in(page, "coordinator", PASSWORD)
    page.goto("/meetings/")
    page.get_by_label("会议类型").select_option("plenary")
    page.get_by_label("日期").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("地点").fill("县政府三楼会议室")
    page.get_by_role("button", name="计划会议").click()
    expect(page.get_by_role("status")).to_contain_text("会议已计划")
    row = page.locator("#candidates tr", has_text=case.reference)
    expect(row).to_contain_text("已逾期")
    row.get_by_role("button", name="列入议程").click()
    expect(page.locator("#agenda")).to_contain_text(case.reference)
    page.get_by_label("书面意见截止日期").fill((today + timedelta(days=3)).isoformat())
    screenshot("meeting-agenda")
    submit_task(page)
    expect(page.get_by_role("status")).to_contain_text("拟定议程")
    meeting_url = page.url
    log_out(page)
    # 2. The medical-security liaison officer sends the unit's written position.
    log_in(page, "officer-medical", PASSWORD)
    page.goto(meeting_url)
    page.locator("section.todo textarea").first.fill("该户情况应由民政部门牵头统筹救助")
    submit_task(page)
    expect(page.get_by_role("status")).to_contain_text("提交书面意见")
    log_out(page)
    # 3. The convenor approves the agenda: the notice goes out.
    log_in(page, "convenor", PASSWORD)
    page.goto(meeting_url)
    expect(page.locator("#agenda")).to_contain_text("该户情况应由民政部门牵头统筹救助")
    page.get_by_label("同意").check()
    submit_task(page)
    expect(page.get_by_role("status")).to_contain_text("审定议程")
    log_out(page)
    # 4. The meeting: attendance of both units, a decision naming civil affairs.
    log_in(page, "coordinator", PASSWORD)
    page.goto(meeting_url)
    for unit, status in (("县民政局", "attended"), ("县医疗保障局", "attended")):
        form = page.get_by_role("form", name=f"{unit}出席情况")
        form.locator("select[name=status]").select_option(status)
        form.get_by_role("button", name="保存").click()
        expect(page.get_by_role("status")).to_contain_text("已保存")
    page.locator("#agenda summary").first.click()
    decision = page.get_by_role("form", name="第 1 项议题的议定事项")
    decision.get_by_label("议定事项类型").select_option("assign")
    decision.get_by_label(re.compile(r"^议定事项\W?$")).fill("由县民政局牵头办理该户医疗救助")
    decision.get_by_label("牵头单位").select_option(label="县民政局")
    decision.get_by_label("完成时限（工作日）").fill("5")
    decision.get_by_role("button", name="记录议定事项").click()
    expect(page.get_by_role("status")).to_contain_text("议定事项已记录")
    submit_task(page, "结束会议")
    expect(page.get_by_role("status")).to_contain_text("召开会议")
    page.get_by_label("记录人").fill("联席办刘主任")
    page.get_by_label("抄送").fill("县政府办公室")
    submit_task(page)
    log_out(page)
    # 5. The convenor signs the minutes: the decision moves the case.
    log_in(page, "convenor", PASSWORD)
    page.goto(meeting_url)
    page.get_by_label("同意").check()
    submit_task(page)
    expect(page.get_by_role("status")).to_contain_text("审签会议纪要")
    with page.expect_download() as download:
        page.locator("p.actions a", has_text="Word").last.click()
    text = "\n".join(
        p.text for p in docx.Document(BytesIO(Path(download.value.path()).read_bytes())).paragraphs
    )
    assert "1. 由县民政局牵头办理该户医疗救助。牵头单位：县民政局" in text
    assert "抄送：县政府办公室" in text
    page.goto(meeting_url.rstrip("/") + "/minutes.html")
    expect(page.get_by_role("heading", level=1)).to_contain_text("纪要")
    screenshot("meeting-minutes")
    page.goto(meeting_url)
    log_out(page)
    # 6. Civil affairs: the referral is in its inbox to sign for anew, the follow-up listed.
    referral = Referral.objects.get(case=case)
    assert referral.agency.kind == "civil" and referral.step == "签收"
    log_in(page, "officer-civil", PASSWORD)
    page.goto("/inbox/")
    expect(page.get_by_role("main")).to_contain_text(case.reference)
    # The follow-up is in the same inbox, beside the referrals, with its due date.
    followed = Decision.objects.get()
    followups = page.locator("section.inbox-section")
    expect(followups).to_contain_text("待落实的联席会议议定事项")
    expect(followups).to_contain_text(f"{followed.due_on:%Y-%m-%d}")
    screenshot("meeting-follow-ups")
    followups.get_by_role("link", name=re.compile("由县民政局牵头办理该户医疗救助")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("议定事项督办落实")
    page.get_by_label("落实情况").fill("已签收并启动医疗救助")
    page.get_by_role("button", name="报告已落实").click()
    expect(page.get_by_role("status")).to_contain_text("已报告落实")
    expect(page.locator("#decision-state")).to_contain_text("已签收并启动医疗救助")
    assert not HumanTask.objects.filter(
        instance_id=followed.process_id, bpmn_id="carry_out", state=HumanTask.State.OPEN
    ).exists()
    # 7. The stuck case moves on: civil affairs signs for the referral the meeting gave it.
    page.goto("/inbox/")
    page.get_by_role("link", name=case.reference).first.click()
    sign = page.get_by_role("form", name="签收", exact=True)
    sign.get_by_role("radio", name="签收", exact=True).check()
    sign.get_by_role("button", name="提交：签收").click()
    expect(page.get_by_role("status")).to_contain_text("已签收")
    referral.refresh_from_db()
    assert referral.signed_at is not None and referral.step != "签收"
    # 8. The office reads the conference's figures on the board: one plenary of two required,
    #    civil affairs' decision carried out on time.
    log_out(page)
    log_in(page, "coordinator", PASSWORD)
    page.goto("/board/")
    figures = page.locator("section.conference-figures")
    expect(figures.locator("#conference-years")).to_contain_text("少于 2 次")
    expect(figures.locator("#conference-units")).to_contain_text("县民政局")
    figures.scroll_into_view_if_needed()
    screenshot("meeting-figures")
