"""The one-door path in a real browser: window staff → agency officer → window staff.

Every step is done as a user does it: links, labels and button texts on the page, nothing
posted behind the page's back. The database is only read to check what the pages claim.
Screenshots of the three main pages land in var/screenshots/: intake.png, inbox.png, board.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings

from onedoor.audit.models import AuditEvent
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files

FIRST17 = "130302" + "19800101" + "123"
GOOD_ID = FIRST17 + check_character(FIRST17)
# Any other check character is wrong; "X" is a valid shape, so only the checksum fails.
BAD_ID = FIRST17 + ("0" if GOOD_ID[-1] != "0" else "1")
SPOUSE17 = "130302" + "19820315" + "246"
SPOUSE_ID = SPOUSE17 + check_character(SPOUSE17)

# The path registers a two-person household (head and spouse, the second row added with
# 增加成员); test_one_person_household covers a household of one (a blank extra row used to
# fail validation).


@pytest.fixture
def people(transactional_db: None, settings: Settings) -> dict[str, Any]:
    """The one-door process, the item catalogue, 海港区 and its demo staff, committed so the
    live server's thread sees them (transactional_db; the tables are flushed afterwards).

    Passwords are hashed with MD5 for the test (the server thread, in this process, follows):
    the default PBKDF2 spends about 5 seconds on the 17 demo users and the logins."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    return seed_people(seed_county())


def messages(page: Page) -> Locator:
    return page.get_by_role("status")


def task_form(page: Page, name: str) -> Locator:
    """A task's form on the case or referral page; its accessible name is the task's name."""
    return page.get_by_role("form", name=name, exact=True)


def member_cell(page: Page, row: int, column: str) -> Locator:
    """The input or select of a member row under the column header the clerk reads.

    The member rows' inputs have no <label> or aria-label of their own (templates/cases/
    intake.html renders the bare widgets), so they cannot be found by label: this finds the
    column by its header text instead, which is how a sighted clerk finds them too.
    """
    headers = page.locator("table.members thead th").all_inner_texts()
    column_index = [h.strip() for h in headers].index(column)
    cell = page.locator("#member-rows tr").nth(row).locator("td").nth(column_index)
    return cell.locator("input, select, textarea").first


def fill_intake(page: Page, head_id: str, *, spouse_id: str | None = None) -> None:
    page.get_by_label("村（社区）").select_option(label="红旗社区")
    page.get_by_label("详细地址").fill("红旗路12号3单元402")
    page.get_by_label("困难情况").fill("户主今年患重病住院，自付医疗费用约四万元，家庭无力承担。")
    member_cell(page, 0, "姓名").fill("王建国")
    member_cell(page, 0, "身份证号码").fill(head_id)
    member_cell(page, 0, "与户主关系").select_option(label="户主")
    if spouse_id is not None:
        if page.locator("#member-rows tr").count() < 2:
            page.get_by_role("button", name="增加成员").click()
        member_cell(page, 1, "姓名").fill("李秀英")
        member_cell(page, 1, "身份证号码").fill(spouse_id)
        member_cell(page, 1, "与户主关系").select_option(label="配偶")
    page.get_by_role("checkbox", name="医疗救助", exact=True).check()
    page.get_by_label("申请人同意向有关部门共享家庭信息").check()


def case_snapshot(case: Case) -> tuple[object, ...]:
    """What a second submit must leave alone: the stage, the audit trail, the referrals."""
    case.refresh_from_db()
    return (
        case.stage,
        case.stage_name,
        case.closed_at,
        AuditEvent.objects.for_case(case.pk).count(),
        Referral.objects.filter(case=case).count(),
    )


def test_one_door_path(page: Page, screenshot: Screenshot, people: dict[str, Any]) -> None:
    # 1. The window clerk of 文化路街道 signs in; the start page is the case list.
    log_in(page, "window1", PASSWORD)
    expect(page.get_by_role("heading", name="案件列表")).to_be_visible()

    # 2. Intake: the whole form filled in, as a clerk would, then photographed.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="登记申请").click()
    expect(page.get_by_role("heading", name="登记救助申请")).to_be_visible()
    fill_intake(page, GOOD_ID, spouse_id=SPOUSE_ID)
    screenshot("intake")

    # A mistyped check digit is refused with a message the clerk can act on; nothing is
    # registered, and what was typed is still there to be corrected.
    member_cell(page, 0, "身份证号码").fill(BAD_ID)
    page.get_by_role("button", name="登记并出具受理回执").click()
    expect(page.get_by_text("身份证号码校验位错误")).to_be_visible()
    assert Case.objects.count() == 0
    expect(member_cell(page, 0, "姓名")).to_have_value("王建国")
    expect(page.get_by_role("checkbox", name="医疗救助", exact=True)).to_be_checked()
    expect(page.get_by_label("申请人同意向有关部门共享家庭信息")).to_be_checked()

    member_cell(page, 0, "身份证号码").fill(GOOD_ID)
    page.get_by_role("button", name="登记并出具受理回执").click()
    expect(messages(page)).to_contain_text("受理编号")
    case = Case.objects.get()
    expect(messages(page)).to_contain_text(case.reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)

    # 3. 受理审查. A second tab holds the same page, to be submitted again once the first has
    # gone through: the double submit of a clerk who pressed Back, or two clerks at once.
    stale = page.context.new_page()
    stale.goto(page.url)
    review = task_form(page, "受理审查")
    review.get_by_role("radio", name="予以受理").check()
    review.get_by_role("button", name="提交：受理审查").click()
    expect(messages(page)).to_contain_text("已受理申请")

    before = case_snapshot(case)
    stale_review = task_form(stale, "受理审查")
    stale_review.get_by_role("radio", name="不予受理").check()
    stale_review.get_by_label("不予受理理由").fill("重复提交，应当被忽略")
    stale_review.get_by_role("button", name="提交：受理审查").click()
    expect(messages(stale)).to_contain_text("已由")
    expect(messages(stale)).to_contain_text("window1")
    expect(messages(stale)).to_contain_text("本次提交未作更改")
    assert case_snapshot(case) == before
    expect(task_form(stale, "受理审查")).to_have_count(0)
    expect(task_form(stale, "分办转办")).to_be_visible()
    stale.close()

    # 分办转办: the agency for 医疗救助 comes pre-filled from the catalogue.
    split = task_form(page, "分办转办")
    agency = split.get_by_label("医疗救助")
    expect(agency.locator("option:checked")).to_have_text("县医疗保障局")
    split.get_by_role("button", name="提交：分办转办").click()
    expect(messages(page)).to_contain_text("已分办转办")
    referral = Referral.objects.get(case=case)
    assert referral.agency.name == "县医疗保障局"

    # 4. The officer of 县医疗保障局 starts on the inbox, with the referral in it.
    log_out(page)
    log_in(page, "officer-medical", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("收件箱")
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    screenshot("inbox")

    page.get_by_role("link", name=case.reference).click()
    sign = task_form(page, "签收")
    sign.get_by_role("radio", name="签收", exact=True).check()
    sign.get_by_role("button", name="提交：签收").click()
    expect(messages(page)).to_contain_text("已签收")

    handle = task_form(page, "办理并反馈")
    handle.get_by_label(re.compile(r"^办理结果")).select_option(label="予以救助")
    handle.get_by_label("救助金额（元）").fill("1500")
    handle.get_by_role("button", name="提交：办理并反馈").click()
    # The outcome is final: it is shown back for confirmation, and nothing is sent before.
    expect(page.get_by_role("heading", level=1)).to_contain_text("确认：办理并反馈")
    expect(page.locator("dl.facts")).to_contain_text("¥1,500.00")
    screenshot("confirm-feedback")
    assert Referral.objects.get(pk=referral.pk).outcome == ""
    page.get_by_role("button", name="确认提交").click()
    expect(messages(page)).to_contain_text("办理结果已反馈窗口")
    expect(page.get_by_role("heading", level=1)).to_contain_text("予以救助")
    expect(task_form(page, "办理并反馈")).to_have_count(0)
    referral.refresh_from_db()
    assert (referral.outcome, referral.amount_fen) == (Referral.Outcome.GRANTED, 150_000)

    # 5. Back at the window: the case is found from the case list, the applicant told, closed.
    log_out(page)
    log_in(page, "window1", PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="案件列表").click()
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)

    notify = task_form(page, "告知申请人")
    notify.get_by_label("告知方式").select_option(label="电话告知")
    notify.get_by_label("告知内容").fill("您申请的医疗救助已获批准，救助金额1500元。")
    notify.get_by_role("button", name="提交：告知申请人").click()
    expect(messages(page)).to_contain_text("已记录告知申请人情况")

    close = task_form(page, "办结归档")
    close.get_by_label("各事项均已告知申请人，确认办结归档").check()
    close.get_by_role("button", name="提交：办结归档").click()
    expect(messages(page)).to_contain_text("已办结归档")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已办结")
    case.refresh_from_db()
    assert case.closed_at is not None

    # 6. The coordinator starts on the board; nothing is open, let alone overdue.
    log_out(page)
    log_in(page, "coordinator", PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="督办看板").click()
    expect(page).to_have_url(re.compile(r"/board/$"))
    expect(page.get_by_role("heading", name="督办看板")).to_be_visible()
    expect(page.get_by_text("没有逾期事项")).to_be_visible()
    screenshot("board")


def test_one_person_household(page: Page, people: dict[str, Any]) -> None:
    log_in(page, "window1", PASSWORD)
    page.goto("/cases/new/")
    fill_intake(page, GOOD_ID)
    page.get_by_role("button", name="登记并出具受理回执").click()
    expect(messages(page)).to_contain_text("受理编号", timeout=3_000)
    assert Case.objects.count() == 1
