"""Smoke: a user signs in and the engine overview renders in a real Chromium, Chinese and all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from notifications.signals import notify
from playwright.sync_api import Page, expect

from tests.e2e.support import Screenshot, decode_png, log_in
from workflows.definitions import deploy_files


def test_engine_overview_after_login(
    page: Page, screenshot: Screenshot, django_user_model: Any
) -> None:
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])
    django_user_model.objects.create_superuser("root", password="smoke-pw")

    log_in(page, "root", "smoke-pw")
    page.goto("/engine/")

    expect(page.get_by_role("heading", name="流程引擎概况")).to_be_visible()
    expect(page.get_by_text("one_door").first).to_be_visible()
    shot = decode_png(page, screenshot("home"))
    # The overview as the browser laid it out: 1280 px wide, text and all (Chinese glyphs
    # anti-aliased give far more than the blank page's one colour).
    assert shot.width == 1280 and shot.height >= 900
    assert shot.colours > 8


def test_the_bell_shows_unread_notifications_as_soon_as_a_page_opens(page: Page) -> None:
    user = get_user_model().objects.create_user("reader", password="pw-reader")
    notify.send(user, recipient=user, verb="收到转办事项")
    log_in(page, "reader", "pw-reader")
    page.goto("/notifications/")
    expect(page.get_by_role("link", name="通知 1")).to_be_visible(timeout=3_000)
