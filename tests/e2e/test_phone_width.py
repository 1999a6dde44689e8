"""The pages clerks use all day at a phone's width (390 px) and a laptop's (1366 px): the
header, the inbox, the case and referral pages, the board and the audit log lay out with no
sideways scroll of the page (a wide table scrolls inside its own box). Screenshots of each
land in var/screenshots/phone-*.png and laptop-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.fixtures import Settings

from onedoor.cases import registration, services
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files
from workflows.models import HumanTask

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1366, "height": 768}


def _id(seq: int, born: str) -> str:
    first17 = f"130302{born}{seq:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def referred(transactional_db: None, settings: Settings) -> dict[str, Any]:
    """海港区's demo staff and one case of three items, referred and worked a little: the
    medical referral signed for, so the pages show history, steps and every column."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    people = seed_people(seed_county())
    window, officer = people["window1"], people["medical"]
    township = Division.objects.get(code="130302001")
    case = registration.register_application(
        actor=window,
        township=township,
        village=township.children.order_by("code")[0],
        members=[
            registration.MemberData(
                name="欧阳建国", id_number=_id(1, "19700101"), relation="head", phone="13800000000"
            ),
            registration.MemberData(
                name="欧阳小明", id_number=_id(2, "20120101"), relation="child"
            ),
        ],
        items=[Item.objects.get(code=c) for c in ("yiliao", "edu_compulsory", "dibao")],
        channel=Case.Channel.WALK_IN,
        statement="户主患重病住院，自付医疗费用约四万元，子女就读小学，家庭无力承担。" * 2,
        consent=True,
        address="红旗路12号3单元402室（老粮站家属院东侧第二排）",
    )
    open_task = HumanTask.objects.filter(subject_id=str(case.pk), state="open")
    services.review_application(
        open_task.get(bpmn_id="review_application"), actor=window, accepted=True
    )
    choices = [
        (ci.item, Agency.objects.get(county=township.parent, kind=ci.item.agency_kind))
        for ci in case.items.select_related("item")
    ]
    services.refer_case(open_task.get(bpmn_id="split_case"), actor=window, choices=choices)
    medical = Referral.objects.get(case=case, agency__kind="medical")
    services.sign_referral(
        open_task.get(bpmn_id="sign_for_referral", candidate_group=medical.agency.code),
        actor=officer,
        decision="sign",
    )
    return {"case": case, "medical": medical}


def assert_no_sideways_scroll(page: Page, what: str) -> None:
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " viewport: window.innerWidth})"
    )
    assert widths["page"] <= widths["viewport"], (what, widths)
    assert widths["body"] <= widths["viewport"], (what, widths)


def visit(page: Page, screenshot: Screenshot, url: str, name: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for size, prefix in ((PHONE, "phone"), (LAPTOP, "laptop")):
        page.set_viewport_size(size)
        # The case page loads its process diagram after the page (htmx): measure the page
        # as it finally stands, and once the diagram has been laid out at this width. (The
        # other pages are laid out again as the width is read.)
        if page.locator("#process-diagram").count():
            expect(page.locator("#process-diagram .djs-container")).to_have_count(1)
            page.wait_for_timeout(300)
        assert_no_sideways_scroll(page, f"{name} at {size['width']} px")
        screenshot(f"{prefix}-{name}")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(f"{prefix}-{name}-top", full_page=False)  # what the first screen shows


def test_the_work_pages_have_no_sideways_scroll_on_a_phone_or_a_laptop(
    page: Page, screenshot: Screenshot, referred: dict[str, Any]
) -> None:
    case, medical = referred["case"], referred["medical"]
    log_in(page, "window1", PASSWORD)
    visit(page, screenshot, f"/cases/{case.pk}/", "case")
    visit(page, screenshot, "/cases/", "case-list")
    log_out(page)

    log_in(page, "officer-medical", PASSWORD)
    visit(page, screenshot, "/inbox/", "inbox")
    visit(page, screenshot, f"/referrals/{medical.pk}/", "referral")
    log_out(page)

    log_in(page, "coordinator", PASSWORD)
    visit(page, screenshot, "/board/", "board")
    visit(page, screenshot, "/audit/", "audit")


def test_the_header_is_compact_on_a_phone(page: Page, referred: dict[str, Any]) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, "coordinator", PASSWORD)
    page.goto("/board/")
    header = page.locator("header.topbar").bounding_box()
    assert header is not None
    # The navigation stays one swipeable row: the header keeps to about a sixth of the
    # screen at most (it took a quarter before).
    assert header["height"] <= PHONE["height"] / 6, header
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link").first).to_be_visible()
