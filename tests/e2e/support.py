"""Types and helpers shared by the end-to-end tests and their fixtures (tests/e2e/conftest.py)."""

from __future__ import annotations

import base64
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from playwright.sync_api import Browser, Page, expect

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


@dataclass(frozen=True)
class Picture:
    """What a screenshot shows, as the browser decodes it."""

    width: int
    height: int
    colours: int  # distinct colours among every 7th pixel: 1 for a blank page


_decoders: weakref.WeakKeyDictionary[Browser, Page] = weakref.WeakKeyDictionary()


def decode_png(page: Page, path: Path) -> Picture:
    """Decode the PNG at `path` in the browser (a blank tab of a context of its own, so the
    page under test is left alone and stays in front) and count its colours: the browser's own
    decoder, no image library. A file that is not a PNG fails here."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path.name} is not a PNG"
    # One tab per browser decodes every screenshot (opening one for each was most of the time
    # a screenshot took; one in the test's own context would put the page under test behind
    # it, and a page behind is drawn late).
    browser = page.context.browser
    assert browser is not None
    tab = _decoders.get(browser)
    if tab is None or tab.is_closed():
        tab = _decoders[browser] = browser.new_context().new_page()
    found = tab.evaluate(
        """async (source) => {
                const image = new Image();
                image.src = source;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const pixels = context.getImageData(0, 0, image.width, image.height).data;
                const colours = new Set();
                for (let i = 0; i < pixels.length; i += 4 * 7) {
                    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
                }
                return {width: image.width, height: image.height, colours: colours.size};
            }""",
        "data:image/png;base64," + base64.b64encode(data).decode(),
    )
    return Picture(found["width"], found["height"], found["colours"])
