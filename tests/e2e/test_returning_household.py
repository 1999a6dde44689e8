"""A household that applied before comes back: the window finds it, applies again, records the
applicant's consent late, and refers, all in a real browser.

Screenshots in var/screenshots/: registry.png (the search), household.png (its members and
history), apply_again.png (the pre-filled form), consent.png (the case page asking for
consent), referred.png (the case referred, each item naming whom it is for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings

from onedoor.cases import registration, services
from onedoor.cases.models import Case, CaseItem, Referral
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from onedoor.households.models import Household
from tests.e2e.support import Screenshot, log_in
from workflows.definitions import deploy_files
from workflows.models import HumanTask


def _id(birth: str, seq: str) -> str:
    first17 = f"130302{birth}{seq}"
    return first17 + check_character(first17)


HEAD_ID = _id("19780312", "211")
CHILD_ID = _id("20120905", "322")


def _open_task(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.get(
        subject_type="case", subject_id=str(case.pk), bpmn_id=bpmn_id, state="open"
    )


@pytest.fixture
def returning(transactional_db: None, settings: Settings) -> dict[str, Any]:
    """The demo staff, and 王建国's household of 红旗社区, whose medical-aid application of last
    time was granted 1,500 yuan (committed, so the live server sees it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    people = seed_people(seed_county())
    window, officer = people["window1"], people["medical"]
    first = registration.register_application(
        actor=window,
        township=Division.objects.get(code="130302001"),
        village=Division.objects.get(name="红旗社区"),
        members=[
            registration.MemberData(
                name="王建国",
                id_number=HEAD_ID,
                relation="head",
                phone="13812345678",
                serious_illness=True,
            ),
            registration.MemberData(
                name="王小明", id_number=CHILD_ID, relation="child", in_school=True
            ),
        ],
        address="红旗路12号3单元402",
        items=[Item.objects.get(code="yiliao")],
        channel=Case.Channel.WALK_IN,
        statement="户主患重病住院",
        consent=True,
    )
    services.review_application(
        _open_task(first, "review_application"), actor=window, accepted=True
    )
    medical = Agency.objects.get(kind="medical", county__code="130302")
    services.refer_case(
        _open_task(first, "split_case"),
        actor=window,
        choices=[(Item.objects.get(code="yiliao"), medical)],
    )
    referral = Referral.objects.get(case=first)
    services.sign_referral(referral.current_task, actor=officer, decision="sign")  # type: ignore[arg-type]
    referral.refresh_from_db()
    services.give_feedback(
        referral.current_task,  # type: ignore[arg-type]
        actor=officer,
        outcome="granted",
        amount_fen=150_000,
        note="已按标准救助",
    )
    return {"people": people, "first": first}


def messages(page: Page) -> Locator:
    return page.get_by_role("status")


def test_a_returning_household_applies_again_gives_consent_late_and_is_referred(
    page: Page, screenshot: Screenshot, returning: dict[str, Any]
) -> None:
    first: Case = returning["first"]
    household = first.household

    # 1. The clerk finds the household from the registry by the child's last ID digits.
    log_in(page, "window1", PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="家庭登记簿").click()
    expect(page.get_by_role("heading", name="家庭登记簿")).to_be_visible()
    page.get_by_role("main").get_by_role("searchbox").fill(CHILD_ID[-6:])
    page.get_by_role("button", name="查找家庭").click()
    expect(page.get_by_text("共 1 户")).to_be_visible()
    expect(page.get_by_role("link", name="王建国")).to_be_visible()
    screenshot("registry")

    # 2. Its page: the members, and last time's application with its outcome.
    page.get_by_role("link", name="王建国").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王建国户")
    history = page.get_by_role("table").filter(has_text=first.reference)
    expect(history).to_contain_text("医疗救助")
    expect(history).to_contain_text("予以救助")
    expect(history).to_contain_text("¥1,500.00")
    expect(page.get_by_role("cell", name="王小明", exact=True)).to_be_visible()
    screenshot("household")

    # 3. Apply again: nothing about the household is typed; education aid is for the student.
    page.get_by_role("link", name="为该家庭再次申请").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("再次申请")
    page.get_by_label("困难情况").fill("孩子上初中，学杂费和生活费负担重。")
    page.get_by_role("checkbox", name="教育救助（义务教育）", exact=True).check()
    for_whom = page.get_by_role("group", name="“教育救助（义务教育）”的救助对象")
    expect(for_whom).to_be_visible()
    expect(for_whom.get_by_role("checkbox", name="王小明")).to_be_checked()
    expect(for_whom.get_by_role("checkbox", name="王建国")).not_to_be_checked()
    # The applicant has not signed the consent form yet: left unticked.
    expect(page.get_by_label("申请人同意向有关部门共享家庭信息")).not_to_be_checked()
    screenshot("apply_again")
    page.get_by_role("button", name="登记并出具受理回执").click()
    expect(messages(page)).to_contain_text("受理编号")
    case = Case.objects.exclude(pk=first.pk).get()
    assert case.household == household and Household.objects.count() == 1
    assert not case.consent_to_share
    assert CaseItem.names_for(case.pk) == {Item.objects.get(code="edu_compulsory").pk: "王小明"}

    # 4. Accept; the split cannot go ahead without consent, and the page says what to do.
    review = page.get_by_role("form", name="受理审查", exact=True)
    review.get_by_role("radio", name="予以受理").check()
    review.get_by_role("button", name="提交：受理审查").click()
    expect(messages(page)).to_contain_text("已受理申请")
    consent = page.get_by_role("form", name="登记同意")
    expect(page.get_by_role("heading", name="下一步：登记申请人同意")).to_be_visible()
    page.get_by_role("form", name="分办转办", exact=True).get_by_role(
        "button", name="提交：分办转办"
    ).click()
    expect(messages(page)).to_contain_text("登记同意")
    assert not Referral.objects.filter(case=case).exists()
    expect(page.locator("[data-process-ready]")).to_have_count(1)  # the diagram is drawn
    screenshot("consent")

    # 5. The applicant signs the form: the clerk records it, and 分办转办 goes through.
    expect(consent.get_by_role("radio", name="签署授权书")).to_be_checked()
    expect(consent.get_by_label("同意人")).to_have_value("王建国")
    consent.get_by_label("说明（代为同意时必填）").fill("申请人当场签署授权书")
    consent.get_by_role("button", name="登记同意").click()
    expect(messages(page)).to_contain_text("已登记同意")
    expect(page.get_by_role("form", name="登记同意")).to_have_count(0)
    expect(page.get_by_text("同意（签署授权书，王建国）")).to_be_visible()
    split = page.get_by_role("form", name="分办转办", exact=True)
    expect(split.get_by_label("教育救助（义务教育）（为王小明）")).to_be_visible()
    split.get_by_role("button", name="提交：分办转办").click()
    expect(messages(page)).to_contain_text("已分办转办至各部门")
    referral = Referral.objects.get(case=case)
    assert referral.agency.kind == "education"
    expect(page.get_by_role("cell", name="教育救助（义务教育） （为王小明）")).to_be_visible()
    expect(page.locator("[data-process-ready]")).to_have_count(1)
    screenshot("referred")

    # 6. At intake, the household's ID number leads to the household, not to a dead end.
    page.goto("/cases/new/")
    page.get_by_label("村（社区）").select_option(label="红旗社区")
    page.get_by_label("困难情况").fill("再次申请")
    row = page.locator("#member-rows tr").first
    row.locator("[name$='-name']").fill("王建国")
    row.locator("[name$='-id_number']").fill(HEAD_ID)
    page.get_by_role("checkbox", name="临时救助", exact=True).check()
    page.get_by_role("button", name="登记并出具受理回执").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("已登记在王建国户")
    alert.get_by_role("link", name="为该家庭再次申请").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王建国户再次申请")
    assert Case.objects.count() == 2


def test_at_intake_each_item_is_ticked_for_the_members_it_serves(
    page: Page, screenshot: Screenshot, returning: dict[str, Any]
) -> None:
    """A new household: as the members are typed, the items name them from the catalogue
    (the disability subsidy for the member with a disability card), and the clerk's own
    choice is kept."""
    log_in(page, "window1", PASSWORD)
    page.goto("/cases/new/")
    page.get_by_label("村（社区）").select_option(label="红旗社区")
    page.get_by_label("困难情况").fill("子女残疾，需要康复和补贴。")
    rows = page.locator("#member-rows tr")
    rows.nth(0).locator("[name$='-name']").fill("刘德胜")
    rows.nth(0).locator("[name$='-id_number']").fill(_id("19750101", "431"))
    rows.nth(0).locator("[name$='-relation']").select_option(label="户主")
    page.get_by_role("button", name="增加成员").click()
    rows.nth(1).locator("[name$='-name']").fill("刘小玉")
    rows.nth(1).locator("[name$='-id_number']").fill(_id("20100601", "542"))
    rows.nth(1).locator("[name$='-relation']").select_option(label="子女")
    rows.nth(1).locator("[name$='-disability']").select_option(label="二级")
    page.get_by_role("checkbox", name="残疾人两项补贴", exact=True).check()
    page.get_by_role("checkbox", name="最低生活保障", exact=True).check()
    subsidy = page.get_by_role("group", name="“残疾人两项补贴”的救助对象")
    expect(subsidy.get_by_role("checkbox", name="刘小玉")).to_be_checked()
    expect(subsidy.get_by_role("checkbox", name="刘德胜")).not_to_be_checked()
    dibao = page.get_by_role("group", name="“最低生活保障”的救助对象")
    expect(dibao.get_by_role("checkbox", name="刘德胜")).not_to_be_checked()
    dibao.get_by_role("checkbox", name="刘德胜").check()  # the clerk's choice
    rows.nth(0).locator("[name$='-phone']").fill("13900001111")  # redrawn: the choice stays
    expect(dibao.get_by_role("checkbox", name="刘德胜")).to_be_checked()
    page.get_by_label("申请人同意向有关部门共享家庭信息").check()
    screenshot("intake_for_whom")
    page.get_by_role("button", name="登记并出具受理回执").click()
    expect(messages(page)).to_contain_text("受理编号")
    case = Case.objects.exclude(pk=returning["first"].pk).get()
    names = {Item.objects.get(pk=pk).code: n for pk, n in CaseItem.names_for(case.pk).items()}
    assert names == {"disability_subsidies": "刘小玉", "dibao": "刘德胜"}
