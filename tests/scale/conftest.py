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
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

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
            _empty_every_table()


def _empty_every_table() -> None:
    """Like `flush`, but ids keep counting: the engine caches parsed specs and workflow
    states by primary key for the life of the process, and a later test must never get a
    definition or instance id that this data set used."""
    tables = connection.introspection.django_table_names(only_existing=True)
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=False, allow_cascade=True
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    # As `flush` does: content types and permissions back, and no cached content type id
    # left pointing at a deleted row (a later committed notification would fail on it).
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
