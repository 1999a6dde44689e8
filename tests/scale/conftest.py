"""One small scale data set for the tests of this folder, seeded once.

Seeding runs real cases through the one-door process (about a second each), so it happens
once for this folder, committed outside the per-test transactions, and is flushed afterwards.
Sixteen small counties make one township, agency or county a thin slice of each big table,
as in production (tests/scale/test_query_plans.py relies on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from onedoor.home.scale.build import Options, seed_scale


@pytest.fixture(scope="package")
def scale_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        figures = seed_scale(
            Options(cases=4000, counties=16, townships=4, villages=1, variants=1, workers=1),
            say=lambda _line: None,
        )
        try:
            yield figures
        finally:
            call_command("flush", interactive=False, verbosity=0)
