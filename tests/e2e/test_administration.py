"""The county's administrator opens an account for a new window clerk, who signs in, finds a
case of her township and keeps its materials: ticks what the household brought, attaches a
scan, and opens it again from the case page. Screenshots: admin-staff.png, materials.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from onedoor.audit.models import AuditEvent
from onedoor.cases import registration
from onedoor.cases.models import Attachment, Case, CaseMaterial
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Division, Staff
from onedoor.directory.seed import seed_county
from onedoor.home.demo import PASSWORD, seed_people
from onedoor.households.idnumber import check_character
from tests.e2e.support import Screenshot, log_in, log_out
from workflows.definitions import deploy_files

FIRST17 = "130302" + "19750607" + "321"


@pytest.fixture
def world(transactional_db: None, settings: Settings, tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    field = Attachment._meta.get_field("file")
    from django.core.files.storage import FileSystemStorage

    field.storage = FileSystemStorage(location=tmp_path)  # restored below
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    county = seed_county()
    people = seed_people(county)
    township = Division.objects.get(code="130302001")
    case = registration.register_application(
        actor=people["window1"],
        township=township,
        village=township.children.order_by("code")[0],
        members=[
            registration.MemberData(
                name="孙丽", id_number=FIRST17 + check_character(FIRST17), relation="head"
            )
        ],
        items=[Item.objects.get(code="yiliao")],
        channel=Case.Channel.WALK_IN,
        statement="住院费用负担重",
        consent=True,
    )
    yield {"case": case, "township": township, "scans": tmp_path}
    from onedoor.cases.models import attachments_storage

    field.storage = attachments_storage()


def test_a_new_clerk_is_given_an_account_and_keeps_a_cases_materials(
    page: Page, screenshot: Screenshot, world: dict[str, Any], tmp_path: Path
) -> None:
    log_in(page, "admin", PASSWORD)
    page.get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", name="海港区系统管理")).to_be_visible()
    page.get_by_role("link", name="新增账号").first.click()
    page.get_by_label("登录名").fill("zhao.min")
    page.get_by_label("姓名").fill("赵敏")
    page.get_by_label("岗位").select_option(value="window")
    page.get_by_label("工作区划").select_option(value=str(world["township"].pk))
    page.locator("#id_password").fill("Window-Start-2026")
    page.locator("#id_password_again").fill("Window-Start-2026")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("status")).to_contain_text("账号已创建")
    page.get_by_role("link", name="工作人员").first.click()
    expect(page.get_by_role("link", name="赵敏")).to_be_visible()
    screenshot("admin-staff")
    assert Staff.objects.get(user__username="zhao.min").division == world["township"]
    log_out(page)

    log_in(page, "zhao.min", "Window-Start-2026")
    case = world["case"]
    page.goto(f"/cases/{case.pk}/")
    materials = page.locator("#materials")
    expect(materials).to_contain_text("住院或门诊费用票据")
    materials.get_by_role("form", name="户口簿").get_by_role("button", name="登记收件").click()
    expect(page.get_by_role("status")).to_contain_text("“户口簿”已登记收件")
    scan = tmp_path / "hukou.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scan of the household register\n%%EOF\n")
    page.locator("#materials").get_by_label("扫描件（PDF、JPEG 或 PNG）").set_input_files(scan)
    page.locator('#materials select[name="material"]').select_option("户口簿")
    page.locator("#materials").get_by_role("button", name="上传").click()
    expect(page.get_by_role("status")).to_contain_text("“hukou.pdf”已上传")
    link = page.locator("#materials").get_by_role("link", name="hukou.pdf")
    expect(link).to_be_visible()
    expect(page.locator("[data-process-ready]")).to_have_count(1)  # the diagram is drawn
    screenshot("materials")
    response = page.request.get(link.get_attribute("href") or "")
    assert response.ok and response.body().startswith(b"%PDF")
    assert CaseMaterial.objects.get(case=case).name == "户口簿"
    assert AuditEvent.objects.filter(action="staff.created").exists()
    assert AuditEvent.objects.filter(action="case.attachment_added", case=case).exists()
