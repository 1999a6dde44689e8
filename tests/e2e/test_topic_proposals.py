"""Topics proposed by a member unit's liaison officer, in a real browser.

The medical-security liaison officer proposes two topics; the office accepts one (it becomes a
candidate, with the unit's reason, and goes on the draft agenda) and declines the other with a
reason, which the liaison officer reads. Screenshots: topic-proposals (the office's list with
its answer forms), topic-proposal-on-agenda (the draft agenda), topic-proposal-declined.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from onedoor.cases.models import Case
from onedoor.home.demo import PASSWORD
from onedoor.meetings.models import TopicProposal
from tests.e2e.support import Screenshot, log_in, log_out
from tests.e2e.test_joint_meeting import stuck_case

__all__ = ["stuck_case"]

ACCEPTED = "大病患者医疗救助与临时救助衔接"
DECLINED = "申请增加本局编制"


def _propose(page: Page, title: str, reason: str) -> None:
    form = page.get_by_role("form", name="提出议题")
    form.get_by_label("政策问题").check()
    form.get_by_label(re.compile(r"^议题\W?$")).fill(title)
    form.get_by_label("提请联席会议研究的理由").fill(reason)
    form.get_by_role("button", name="提交议题").click()
    expect(page.get_by_role("status")).to_contain_text("议题已提出")


def test_a_liaison_officer_proposes_and_the_office_accepts_one_and_declines_one(
    page: Page, screenshot: Screenshot, stuck_case: tuple[Case, dict[str, Any]]
) -> None:
    # 1. The liaison officer of medical security proposes two topics.
    log_in(page, "officer-medical", PASSWORD)
    page.goto("/meetings/proposals/")
    _propose(page, ACCEPTED, "多起大病支出型贫困家庭在两项救助之间无人牵头")
    _propose(page, DECLINED, "本局人手不足")
    expect(page.get_by_role("main")).to_contain_text("待联席办答复")
    log_out(page)
    assert TopicProposal.objects.filter(state=TopicProposal.State.PENDING).count() == 2

    # 2. The office answers: one accepted, one declined with a reason.
    log_in(page, "coordinator", PASSWORD)
    page.goto("/meetings/proposals/")
    screenshot("topic-proposals")
    accept = page.get_by_role("form", name=f"答复议题建议：{ACCEPTED}")
    accept.get_by_role("radio", name="采纳为候选议题").check()
    accept.get_by_role("button", name="发送答复").click()
    expect(page.get_by_role("status")).to_contain_text("答复已送成员单位")
    decline = page.get_by_role("form", name=f"答复议题建议：{DECLINED}")
    decline.get_by_role("radio", name="不予采纳").check()
    decline.get_by_role("button", name="发送答复").click()
    # Declining needs a reason: nothing changed, said in words.
    expect(page.get_by_role("alert").or_(page.locator(".errorlist"))).to_be_visible()
    assert TopicProposal.objects.get(title=DECLINED).state == TopicProposal.State.PENDING
    decline = page.get_by_role("form", name=f"答复议题建议：{DECLINED}")
    decline.get_by_role("radio", name="不予采纳").check()
    decline.get_by_role("textbox", name=re.compile("理由")).fill("编制事项不属联席会议职责")
    decline.get_by_role("button", name="发送答复").click()
    expect(page.get_by_role("status")).to_contain_text("答复已送成员单位")
    expect(page.locator(f"tr:has-text('{DECLINED}')")).to_contain_text("编制事项不属联席会议职责")

    # 3. The accepted one is a candidate for the next meeting, with the unit's reason; on the
    #    draft agenda once the office adds it. The declined one is no candidate.
    page.goto("/meetings/")
    today = timezone.localdate()
    page.get_by_label("会议类型").select_option("topical")
    page.get_by_label("日期").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("地点").fill("县民政局会议室")
    page.get_by_role("button", name="计划会议").click()
    expect(page.get_by_role("status")).to_contain_text("会议已计划")
    candidates = page.locator("#candidates")
    row = candidates.locator("tr", has_text=ACCEPTED)
    expect(row).to_contain_text("多起大病支出型贫困家庭在两项救助之间无人牵头")
    expect(candidates).not_to_contain_text(DECLINED)
    row.get_by_role("button", name="列入议程").click()
    expect(page.locator("#agenda")).to_contain_text(ACCEPTED)
    expect(page.locator("#candidates")).not_to_contain_text(ACCEPTED)
    screenshot("topic-proposal-on-agenda")
    log_out(page)

    # 4. The liaison officer reads both answers.
    log_in(page, "officer-medical", PASSWORD)
    page.goto("/meetings/proposals/")
    expect(page.locator(f"tr:has-text('{ACCEPTED}')")).to_contain_text("已采纳为候选议题")
    declined = page.locator(f"tr:has-text('{DECLINED}')")
    expect(declined).to_contain_text("未采纳")
    expect(declined).to_contain_text("编制事项不属联席会议职责")
    screenshot("topic-proposal-declined")
