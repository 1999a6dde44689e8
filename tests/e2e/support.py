"""Types and helpers shared by the end-to-end tests and their fixtures (tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from playwright.sync_api import Page, expect


class Screenshot(Protocol):
    """The ``screenshot`` fixture: saves var/screenshots/<name>.png and returns its path."""

    def __call__(
        self, name: str, target: Page | None = None, *, full_page: bool = True
    ) -> Path: ...


def log_in(page: Page, username: str, password: str) -> None:
    """Sign in on /login/ as a user does, and wait for the start page."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def log_out(page: Page) -> None:
    """Press 退出 in the top bar and wait for the login page."""
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
