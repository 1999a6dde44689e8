"""A window clerk finds a returning applicant by the last digits of her ID number from the
header's search box and opens her case; the same box finds nothing of another township; the
agency officer finds the referred case by the applicant's name and opens his referral; on a
phone the box is there too. Screenshots: search-window.png, search-officer.png, search-phone.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from onedoor.cases import registration
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Division
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from tests.cases.conftest import refer_all
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files

SUN = "130302" + "19750607" + "321"
QIAN = "130302" + "19800101" + "456"


def _apply(people: dict[str, Any], clerk: str, township: str, name: str, first17: str) -> Case:
    where = Division.objects.get(code=township)
    return registration.register_application(
        actor=people[clerk],
        township=where,
        village=where.children.order_by("code")[0],
        members=[
            registration.MemberData(
                name=name, id_number=first17 + check_character(first17), relation="head"
            )
        ],
        items=[Item.objects.get(code="yiliao")],
        channel=Case.Channel.WALK_IN,
        statement="住院费用负担重",
        consent=True,
    )


@pytest.fixture
def world(transactional_db: None, settings: Settings) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from pathlib import Path

    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    people = seed_people(seed_county())
    sun = _apply(people, "window1", "130302001", "孙丽", SUN)
    refer_all(sun, people["window1"])
    qian = _apply(people, "window2", "130302101", "钱芳", QIAN)
    return {"sun": sun, "qian": qian}


def test_staff_find_cases_from_the_header_within_their_scope(
    page: Page, screenshot: Screenshot, world: dict[str, Any]
) -> None:
    sun: Case = world["sun"]
    log_in(page, "window1", PASSWORD)
    box = page.locator("header input[name=q]")
    box.fill(sun.applicant.id_number[-4:])
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("查找案件和家庭")
    row = page.get_by_role("row").filter(has_text=sun.reference)
    expect(row).to_contain_text("孙丽")
    screenshot("search-window")
    row.get_by_role("link", name=sun.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(sun.reference)
    # Another township's applicant is not found from this township's window.
    box = page.locator("header input[name=q]")
    box.fill("钱芳")
    box.press("Enter")
    expect(page.get_by_role("main")).to_contain_text("您的范围内没有找到案件")
    expect(page.get_by_role("main")).not_to_contain_text(world["qian"].reference)
    log_out(page)

    log_in(page, "officer-medical", PASSWORD)
    box = page.locator("header input[name=q]")
    box.fill("孙丽")
    box.press("Enter")
    row = page.get_by_role("row").filter(has_text=sun.reference)
    # While the referral is open with his agency, the officer reads the numbers in full (the
    # one masking rule, as on his referral page).
    expect(row).to_contain_text(sun.applicant.id_number)
    screenshot("search-officer")
    referral = Referral.objects.get(case=sun)
    row.get_by_role("link", name="医疗救助 → 县医疗保障局").click()
    expect(page).to_have_url(f"{page.url.split('/referrals/')[0]}/referrals/{referral.pk}/")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/search/?q=孙丽")
    expect(page.locator("header input[name=q]")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=sun.reference)).to_be_visible()
    # The table scrolls in its own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("search-phone")
