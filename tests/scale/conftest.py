"""One small scale data set for the tests of this folder, seeded once per module.

Seeding runs real cases through the one-door process (about a second each), so it happens
once per module, committed outside the per-test transactions, and is flushed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from onedoor.home.scale.build import Options, seed_scale


@pytest.fixture(scope="module")
def scale_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        figures = seed_scale(
            Options(cases=4000, counties=8, townships=4, villages=2, variants=1, workers=1),
            say=lambda _line: None,
        )
        try:
            yield figures
        finally:
            call_command("flush", interactive=False, verbosity=0)
