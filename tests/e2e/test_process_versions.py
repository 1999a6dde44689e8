"""Where cases pile up, and a process changed while cases run, in Chromium: the coordinator
sees the open tasks on the one-door diagram and follows a count to its list; the platform's
administrator uploads the 科长复核 variant, sees the difference on both diagrams, deploys it,
dry-runs the move of the running cases, moves them, and a moved case takes the new step.
Screenshots: var/screenshots/pile-up-*.png, version-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from onedoor.cases import registration, services
from onedoor.cases.models import Case
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files
from workflows.models import HumanTask, ProcessInstance

VARIANT = (
    Path(__file__).resolve().parent.parent / "workflows" / "bpmn" / "one_door_section_review.bpmn"
)


def _open(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.filter(subject_id=str(case.pk), bpmn_id=bpmn_id, state="open")[0]


def _register(window: Any, seq: int) -> Case:
    first17 = f"13030219750505{seq:03d}"
    township = window.staff.division
    return registration.register_application(
        actor=window,
        township=township,
        village=Division.objects.filter(parent=township).order_by("code")[0],
        members=[
            registration.MemberData(
                name=f"王建{seq}", id_number=first17 + check_character(first17), relation="head"
            )
        ],
        items=[Item.objects.get(code="yiliao"), Item.objects.get(code="edu_compulsory")],
        channel=Case.Channel.WALK_IN,
        statement="户主患重病住院",
        consent=True,
    )


@pytest.fixture
def running(transactional_db: None, settings: Settings) -> dict[str, Case]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    people = seed_people(seed_county())
    window = people["window1"]
    waiting = _register(window, 1)
    referred = _register(window, 2)
    services.review_application(_open(referred, "review_application"), actor=window, accepted=True)
    choices = [
        (ci.item, Agency.objects.get(kind=ci.item.agency_kind))
        for ci in referred.items.select_related("item")
    ]
    services.refer_case(_open(referred, "split_case"), actor=window, choices=choices)
    return {"waiting": waiting, "referred": referred}


def test_where_cases_pile_up(page: Page, screenshot: Screenshot, running: dict[str, Case]) -> None:
    log_in(page, "coordinator", PASSWORD)
    page.get_by_role("link", name="流程积压").click()
    page.get_by_role("link", name="一门受理、协同办理").click()
    expect(page.locator("[data-process-ready]")).to_have_count(1)
    section = page.locator("#process-load")
    expect(
        section.locator('.djs-element.od-waiting[data-element-id="sign_for_referral"]')
    ).to_have_count(1)
    badge = section.locator(".djs-overlay a.od-badge.od-waiting").filter(has_text="2")
    expect(badge).to_have_count(1)
    expect(section.locator(".load-table")).to_contain_text("签收")
    screenshot("pile-up-diagram", full_page=False)
    badge.click()
    expect(
        page.get_by_role("heading", name="一门受理、协同办理在“签收”环节的待办任务")
    ).to_be_visible()
    expect(page.locator(".tasks-table tbody tr")).to_have_count(2)
    expect(page.locator(".tasks-table")).to_contain_text(running["referred"].reference)
    screenshot("pile-up-tasks")
    # Narrowed to one agency: only its task.
    page.goto("/processes/one_door/")
    page.locator("#id_agency").select_option(label="县医疗保障局")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".load-table tbody tr")).to_have_count(1)


def test_a_new_version_previewed_deployed_and_running_cases_moved(
    page: Page, screenshot: Screenshot, running: dict[str, Case]
) -> None:
    log_in(page, "admin", PASSWORD)
    page.goto("/engine/")
    page.get_by_role("link", name="上传新版本").click()
    page.locator("#id_file").set_input_files(
        {"name": "one_door.bpmn", "mimeType": "application/xml", "buffer": VARIANT.read_bytes()}
    )
    page.get_by_role("button", name="检查并显示差异").click()
    expect(page.get_by_text("文件通过了 deploy_processes 的全部检查。")).to_be_visible()
    expect(page.locator(".diff-group")).to_contain_text(["科长复核"])
    expect(page.locator("[data-process-ready]")).to_have_count(2)
    expect(page.locator('.djs-element.od-added[data-element-id="section_review"]')).to_have_count(1)
    # Lanes in Chinese, though the document names them by role key.
    expect(page.locator('[data-element-id="lane_window"] text').first).to_have_text("窗口工作人员")
    screenshot("version-preview")
    page.get_by_role("button", name="部署此版本").click()
    expect(
        page.get_by_text("一门受理、协同办理第 2 版已部署：新申请将按此版本办理。")
    ).to_be_visible()
    # The file holds the referral steps one_door calls: they are stored as a version too.
    expect(
        page.get_by_text("转办事项协同办理第 2 版已部署：新申请将按此版本办理。")
    ).to_be_visible()
    screenshot("version-list")
    page.get_by_role("link", name="迁移在办申请到 v2").click()
    expect(page.locator("table.migration tbody tr")).to_have_count(2)
    expect(page.locator("table.migration")).not_to_contain_text("不能")
    screenshot("version-dry-run")
    page.get_by_role("button", name="将选中的申请迁移到第 2 版").click()
    expect(page.get_by_text("2 件在办申请已迁移到第 2 版。")).to_be_visible()
    assert ProcessInstance.objects.filter(definition__version=2, state="running").count() == 2
    log_out(page)
    # The moved case that waited for review now goes through 科长复核 after acceptance.
    waiting = running["waiting"]
    window = get_user_model().objects.get(username="window1")
    services.review_application(_open(waiting, "review_application"), actor=window, accepted=True)
    log_in(page, "window1", PASSWORD)
    page.goto(f"/cases/{waiting.pk}/process/")
    expect(page.locator("[data-process-ready]")).to_have_count(1)
    expect(
        page.locator('#process-diagram .djs-element.od-waiting[data-element-id="section_review"]')
    ).to_have_count(1)
    screenshot("version-moved-case", full_page=False)
