"""The header's search in a real browser: the coordinator finds a case by the last ID digits
(masked), the window clerk by name (in full, with the household). Screenshot: search.png."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from onedoor.cases.models import Case
from onedoor.home.demo import PASSWORD
from onedoor.households.idnumber import mask
from tests.e2e.support import Screenshot, log_in, log_out
from tests.e2e.test_returning_household import CHILD_ID, HEAD_ID, returning

__all__ = ["returning"]  # the fixture, shared


def test_the_header_search_finds_a_case_within_the_users_scope(
    page: Page, screenshot: Screenshot, returning: dict[str, Any]
) -> None:
    case: Case = returning["first"]
    log_in(page, "coordinator", PASSWORD)
    box = page.get_by_role("search").get_by_role("searchbox", name="查找案件和家庭")
    box.fill(CHILD_ID[-4:])
    box.press("Enter")
    expect(page.get_by_role("heading", name="查找案件和家庭")).to_be_visible()
    results = page.get_by_role("table").first
    expect(results).to_contain_text(case.reference)
    expect(results).to_contain_text(mask(HEAD_ID))
    expect(results).not_to_contain_text(HEAD_ID)
    expect(results.get_by_role("link", name="医疗救助 → 县医疗保障局")).to_be_visible()
    screenshot("search")
    results.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    log_out(page)

    log_in(page, "window1", PASSWORD)
    box = page.get_by_role("search").get_by_role("searchbox", name="查找案件和家庭")
    box.fill("王小明")
    box.press("Enter")
    expect(page.get_by_role("table").first).to_contain_text(HEAD_ID)
    page.get_by_role("table").nth(1).get_by_role("link", name="王建国").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王建国户")
