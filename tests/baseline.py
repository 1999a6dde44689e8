"""The data every domain test stands on, built once per run rather than once per test.

海港区 (130302) with its townships, villages and ten member agencies, the item catalogue with
its time limits, and bpmn/one_door.bpmn deployed. tests/conftest.py seeds it into the test
database right after creating it, committed: a test in a transaction (`db`) sees it and rolls
back only its own rows. Two kinds of test empty the tables: those on `transactional_db` or
`live_server` (their rows deleted afterwards) and tests/scale (empties every table after its
data set). The fixtures that need the baseline call `ensure_baseline`, so a test never depends
on that order to be correct; after an emptying, the rows of the first seeding are copied back
(PostgreSQL's COPY, ~0.03 s) rather than seeded again.

Transactional tests were written for an empty database, and start from one: the first of them
empties the tables (tests/conftest.py, transactional_tests_start_empty).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction

from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Division
from onedoor.directory.seed import seed_county
from workflows.definitions import deploy_files
from workflows.models import ProcessDefinition

ONE_DOOR = Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn"
COUNTY = "130302"


def seed_baseline() -> Division:
    """Deploy the one-door process and seed the catalogue and 海港区 (each step idempotent).

    The first time in a process on empty tables, the rows it made are kept (`_rows_seeded`):
    after a transactional test has deleted them, they are copied back in ~0.03 s rather than
    made again (~0.35 s: deploying parses and validates the BPMN file). The same rows with the
    same ids, so the engine's spec cache by definition id still holds."""
    global _rows_seeded
    missing = not baseline_present()
    if missing and _rows_seeded is not None:
        _copy_in(_rows_seeded)
        return Division.objects.get(code=COUNTY)
    deploy_files([ONE_DOOR])
    seed_catalogue()
    county = seed_county()
    if missing:
        _rows_seeded = _copy_out()
    return county


# Each table's rows as PostgreSQL's COPY wrote them, right after the first seeding.
_rows_seeded: dict[str, bytes] | None = None


def _copy_out() -> dict[str, bytes] | None:
    if connection.vendor != "postgresql":
        return None
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            if table in KEPT_BY_EMPTYING:
                continue
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                data = b"".join(bytes(block) for block in copy)
            if data:
                rows[table] = data
    return rows


def _copy_in(rows: dict[str, bytes]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, data in rows.items():
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} FROM STDIN") as copy:
                copy.write(data)


def ensure_baseline() -> Division:
    """The baseline's county, seeding the baseline first if a flush has emptied the tables.

    Three queries when it is there: deploying alone parses and validates the BPMN file."""
    county = Division.objects.filter(code=COUNTY).first()
    if (
        county is None
        or not Item.objects.exists()
        or not ProcessDefinition.objects.filter(process_id="one_door").exists()
    ):
        return seed_baseline()
    return county


def baseline_present() -> bool:
    return Division.objects.filter(code=COUNTY).exists()


# What migrate made and no test changes: emptying these would only have post_migrate make
# the same rows again (~0.15 s each time).
KEPT_BY_EMPTYING = frozenset({"django_migrations", "django_content_type", "auth_permission"})


def empty_every_table() -> None:
    """Every row of the tests' making deleted, ids counting on: the engine caches parsed specs
    and workflow states by primary key for the life of the process, and a later test must never
    get a definition or instance id that an earlier one used.

    DELETE in one transaction (the foreign keys are deferred, so no order is needed), not
    `flush`'s TRUNCATE: a transactional test leaves a few hundred rows, and TRUNCATE gives each
    of the ~50 tables and their indexes new files, ~1 s each time against ~0.03 s for the
    DELETEs (measured here); the transactional tests' teardown empties this way too
    (tests/conftest.py). DELETE also waits on no lock a request still in the live server holds.
    For the scale data set, `truncate_every_table`."""
    tables = connection.introspection.django_table_names(only_existing=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            if table not in KEPT_BY_EMPTYING:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def truncate_every_table() -> None:
    """TRUNCATE as `flush` does (but for the rows migrate made, and ids counting on): for
    tables of many rows (tests/scale)."""
    tables = connection.introspection.django_table_names(only_existing=True)
    statements = connection.ops.sql_flush(
        no_style(),
        [table for table in tables if table not in KEPT_BY_EMPTYING],
        reset_sequences=False,
        allow_cascade=True,
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
