"""Smoke: the home page renders in a real Chromium, Chinese text and all."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

from tests.e2e.support import Screenshot
from workflows.definitions import deploy_files


def test_home_page_shows_the_engine_overview(page: Page, screenshot: Screenshot) -> None:
    deploy_files([Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"])

    page.goto("/")

    expect(page.get_by_role("heading", name="流程引擎概况")).to_be_visible()
    expect(page.get_by_text("one_door").first).to_be_visible()
    shot = screenshot("home")
    assert shot.stat().st_size > 0
