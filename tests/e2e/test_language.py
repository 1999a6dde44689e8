"""The language switcher in a real Chromium: Chinese by default, English at one click, and back."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect


def test_a_user_switches_to_english_and_back(page: Page, django_user_model: Any) -> None:
    django_user_model.objects.create_superuser("root", password="lang-pw")

    # The browser asks for Chinese (zh-CN): the login page is in Chinese.
    page.goto("/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    # One click before signing in; the choice holds through the login.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("lang-pw")
    page.get_by_role("button", name="Log in").click()
    page.goto("/engine/")
    expect(page.get_by_role("heading", name="Process engine overview")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Back to Chinese on the same page.
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="流程引擎概况")).to_be_visible()
    assert page.url.endswith("/engine/")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
