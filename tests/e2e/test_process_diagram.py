"""A case on its process diagram, in Chromium: a demo-like case 40 days old whose medical
referral ran past its time limit (督办 raised by the timers themselves) while the education
referral still waits to be signed for. Screenshots: var/screenshots/process-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
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
from tests.e2e.support import Screenshot, log_in
from workflows.definitions import deploy_files
from workflows.models import HumanTask
from workflows.timers import fire_due_timers

FIRST17 = "130302" + "19750505" + "321"


def _open(case: Case, bpmn_id: str, group: str = "") -> HumanTask:
    rows = HumanTask.objects.filter(
        subject_type="case", subject_id=str(case.pk), bpmn_id=bpmn_id, state="open"
    )
    return rows.get(candidate_group=group) if group else rows.get()


@pytest.fixture
def late_case(transactional_db: None, settings: Settings) -> Case:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    seed_catalogue()
    people = seed_people(seed_county())
    window = people["window1"]
    township = window.staff.division
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=True) as clock:
        case = registration.register_application(
            actor=window,
            township=township,
            village=Division.objects.filter(parent=township).order_by("code")[0],
            members=[
                registration.MemberData(
                    name="王建国", id_number=FIRST17 + check_character(FIRST17), relation="head"
                )
            ],
            items=[Item.objects.get(code="yiliao"), Item.objects.get(code="edu_compulsory")],
            channel=Case.Channel.WALK_IN,
            statement="户主患重病住院，子女上学负担重",
            consent=True,
        )
        services.review_application(_open(case, "review_application"), actor=window, accepted=True)
        clock.shift(timedelta(hours=1))
        choices = [
            (ci.item, Agency.objects.get(kind=ci.item.agency_kind))
            for ci in case.items.select_related("item")
        ]
        services.refer_case(_open(case, "split_case"), actor=window, choices=choices)
        clock.shift(timedelta(hours=3))
        medical = case.referrals.get(agency__kind="medical")
        services.sign_referral(
            _open(case, "sign_for_referral", medical.agency.code),
            actor=people["medical"],
            decision="sign",
        )
    # Back to today: the timers raise the reminder and the supervision notices themselves.
    fire_due_timers()
    medical.refresh_from_db()
    assert medical.escalation_level >= 1
    # The education referral was never signed for: give it a fresh clock, so it just waits.
    HumanTask.objects.filter(
        subject_id=str(case.pk), bpmn_id="sign_for_referral", state="open"
    ).update(due_at=timezone.now() + timedelta(days=2))
    return case


def _option(select: Any, word: str) -> str:
    return next(o for o in select.locator("option").all_inner_texts() if word in o)


def marked(page: Page, element: str, state: str) -> Any:
    return page.locator(f'#process-diagram .djs-element.od-{state}[data-element-id="{element}"]')


def test_a_case_on_its_diagram(page: Page, screenshot: Screenshot, late_case: Case) -> None:
    case = late_case
    log_in(page, "window1", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    section = page.locator("#process-diagram")
    expect(section.get_by_role("heading", name="流程图")).to_be_visible()
    expect(page.locator("[data-process-ready]")).to_have_count(1)
    # The window's steps are done; the referral subprocess carries the worst of its referrals.
    expect(marked(page, "review_application", "done")).to_have_count(1)
    expect(marked(page, "split_case", "done")).to_have_count(1)
    expect(marked(page, "referral_work", "escalated")).to_have_count(1)
    # Lanes in Chinese, though the document names them by role key.
    expect(section.locator('[data-element-id="lane_window"] text')).to_have_text("窗口工作人员")
    # The medical referral: signed for, then past its time limit with a 督办.
    select = section.get_by_label("部门协同办理中显示的转办事项")
    select.select_option(label=_option(select, "医疗"))
    expect(marked(page, "sign_for_referral", "done")).to_have_count(1)
    expect(marked(page, "handle_referral", "escalated")).to_have_count(1)
    expect(marked(page, "handling_overdue", "escalated")).to_have_count(1)
    expect(section.locator(".djs-overlay .od-badge.od-escalated").first).to_be_visible()
    # Hovering the step says who must act, and by when.
    section.locator('[data-element-id="handle_referral"]').hover(force=True)
    tip = section.locator(".od-tip")
    expect(tip).to_contain_text("办理并反馈：待县医疗保障局办理")
    expect(tip).to_contain_text("级督办")
    section.scroll_into_view_if_needed()
    screenshot("process-escalated", full_page=False)
    # The education referral: waiting to be signed for, nothing done yet.
    select.select_option(label=_option(select, "教育"))
    expect(marked(page, "sign_for_referral", "waiting")).to_have_count(1)
    expect(marked(page, "handle_referral", "escalated")).to_have_count(0)
    # The plain list says the same in words, for screen readers and print.
    steps = section.locator(".process-list")
    expect(steps).to_contain_text("受理审查：")
    expect(steps).to_contain_text("签收：待县教育局办理")
    # The whole diagram, and as printed.
    section.get_by_role("button", name="全图").click()
    page.emulate_media(media="print")
    screenshot("process-print")
