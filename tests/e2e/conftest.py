"""End-to-end fixtures: Debian's Chromium, driven by Playwright, against the live server.

The live server is pytest-django's ``live_server`` (a threaded WSGI server on the same
PostgreSQL test database, transactional: what a test writes is committed, so the server
thread sees it, and the tables are flushed afterwards). ``make browser`` installs
/usr/bin/chromium and the CJK fonts; Playwright's own browser downloads are never used.

    def test_something(page: Page, screenshot: Screenshot) -> None:
        page.goto("/")            # relative to live_server.url
        screenshot("something")   # var/screenshots/something.png
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pytest_django.live_server_helper import LiveServer

from tests.e2e.support import Screenshot, decode_png

# Playwright's sync API runs an asyncio event loop in the test thread (it drives the browser
# from a greenlet). Django's async-safety guard sees that running loop and raises
# SynchronousOnlyOperation on every ORM call made in the test thread: fixtures creating users,
# deploy_files, assertions that read the database. The guard is a false alarm here: those
# calls are still ordinary blocking code, never awaited from a coroutine, and the server thread
# has no loop at all. Django reads this variable on each call; it is process-wide, so once this
# directory is collected it also holds for the other tests of the run, which never rely on the
# guard. setdefault: a value already in the environment is left as it is.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # we run as root in a container: Chromium's sandbox refuses root
    "--disable-gpu",
    "--disable-background-networking",  # the machine reaches no network but the test server
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is marked e2e (`pytest -m "not e2e"` skips the browser)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so `page` can tell a failed test at teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context per test (no cookies carried over), in Chinese, at 1280x900;
    relative URLs go to the live server. A failed test leaves var/screenshots/FAILED-<test>.png."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    in_flight: set[Any] = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=SCREENSHOTS / f"FAILED-{name}.png", full_page=True)
    # Let the last page's own requests (a diagram, the bell) finish first: one still running in
    # the live server while the test's rows are deleted could write after them. (Waiting for
    # Playwright's "networkidle" did the same but always waited 500 ms more.)
    with contextlib.suppress(PlaywrightError):
        for _ in range(100):
            if not in_flight:
                break
            page.wait_for_timeout(50)
    context.close()


@pytest.fixture
def screenshot(page: Page) -> Screenshot:
    """``screenshot(name, target=page, full_page=True)`` saves var/screenshots/<name>.png,
    and fails unless it is a PNG of the page as laid out: the viewport's width, at least the
    viewport's height (the whole page when full_page), and more than a blank page's colours."""

    def take(name: str, target: Page | None = None, *, full_page: bool = True) -> Path:
        shown = target or page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / (name if name.endswith(".png") else f"{name}.png")
        shown.screenshot(path=path, full_page=full_page)
        picture = decode_png(page, path)
        viewport = shown.viewport_size
        assert viewport is not None
        tall = shown.evaluate("document.documentElement.scrollHeight") if full_page else 0
        assert picture.width == viewport["width"], (path.name, picture)
        # A page whose height is fractional (rem-sized text) is captured rounded down: 1 px.
        assert picture.height >= max(viewport["height"] if not full_page else 0, tall - 1), (
            path.name,
            picture,
        )
        assert picture.colours > 8, f"{path.name} is nearly blank: {picture}"
        return path

    return take
