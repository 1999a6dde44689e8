"""Types shared by the end-to-end tests and their fixtures (tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from playwright.sync_api import Page


class Screenshot(Protocol):
    """The ``screenshot`` fixture: saves var/screenshots/<name>.png and returns its path."""

    def __call__(
        self, name: str, target: Page | None = None, *, full_page: bool = True
    ) -> Path: ...
