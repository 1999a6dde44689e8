"""PostgreSQL's ordered-set aggregates, for checking and measuring the histogram percentiles."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)` (PostgreSQL only).

    The figures compute percentiles from a histogram instead (figures.percentile), which
    rolls up across tables in one scan and runs on SQLite too; this is the reference it must
    agree with (tests/supervision/test_figures.py) and the alternative bench/ measures.
    """

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        # A number interpolated into the SQL, checked above: never user text.
        super().__init__(expression, fraction=float(fraction), **extra)
