"""One small scale data set for the tests of this folder, seeded once.

Seeding runs real cases through the one-door process (about a second each), so it happens
once for this folder, committed outside the per-test transactions, on emptied tables, and
flushed afterwards (the run's baseline, tests/baseline.py, is seeded again then).
Sixteen small counties make one township, agency or county a thin slice of each big table,
as in production (tests/scale/test_query_plans.py relies on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.scale.build import Options, seed_scale
from tests.baseline import empty_every_table, seed_baseline, truncate_every_table

# Enough for the planner to choose as on a province's tables (test_query_plans.py): 125 cases
# a county; the data set's every state is still among them (test_seed_scale.py).
CASES = 2000


@pytest.fixture(scope="package")
def scale_data(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        empty_every_table()  # the data set alone, as a benchmark database holds it
        figures = seed_scale(
            Options(cases=CASES, counties=16, townships=4, villages=1, variants=1, workers=1),
            say=lambda _line: None,
        )
        try:
            yield figures
        finally:
            # The tests after this folder stand on the run's baseline again.
            truncate_every_table()
            seed_baseline()
