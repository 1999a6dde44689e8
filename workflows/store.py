# ruff: noqa: S608 - identifiers come quoted from model metadata; every value is a parameter.
"""The engine's hot path in SQL: lock and read an instance, then write a whole step at once.

A step used to be eight statements through the ORM (about 7 ms of a 11 ms step). Here it
is two, besides BEGIN and COMMIT:

1. `lock_instance_of_task`: one SELECT ... FOR UPDATE finds the task's instance and returns
   the locked, current row (PostgreSQL re-reads a row it had to wait for).
2. `write_step`: one statement whose data-modifying CTEs save the instance, close the open
   task rows that are no longer READY, insert the rows of newly READY tasks and append the
   journal, returning the closed and opened rows for the instance_advanced signal.

Columns and values come from the models' own fields (get_db_prep_save, db converters), so
the SQL follows the models, and a field someone adds with a default is written as the ORM
would write it. What does not change between steps (quoted names, converters, the statement
text for each shape of step) is worked out once per process (ModelSQL, _statements).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql import base as postgresql
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Subquery
from psycopg import pq
from psycopg.adapt import Loader
from psycopg.postgres import types as postgres_types

from .models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance

M = TypeVar("M", bound=models.Model)
_JSONB_OID = postgres_types["jsonb"].oid
Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class ModelSQL:
    """What the SQL of one model needs on one database vendor, worked out once per process:
    quoting ~100 names and asking every field for its converters on each step was ~0.3 ms
    of a step. Models do not change while a process runs."""

    table: str  # quoted
    names: list[str]  # the concrete fields' attribute names, for Model.from_db
    column_names: list[str]  # their quoted columns, in the same order
    pk_index: int  # where the primary key is among them
    columns: str  # the same, comma-separated
    insert_fields: list[Field[Any, Any]]  # without the primary key
    insert_columns: str
    # Per column that needs it, what the ORM applies to a value read back (e.g. JSON). Each
    # is called with the connection at hand; the backend's own (none on PostgreSQL) are
    # the vendor's.
    converters: list[tuple[int, Any, list[Converter]]]


_model_sql: dict[tuple[type[models.Model], str], ModelSQL] = {}


def model_sql(model: type[models.Model], connection: BaseDatabaseWrapper) -> ModelSQL:
    """The cached ModelSQL of `model` for the connection's vendor."""
    key = (model, connection.vendor)
    found = _model_sql.get(key)
    if found is None:
        found = _model_sql[key] = _describe(model, connection)
    return found


def _describe(model: type[models.Model], connection: BaseDatabaseWrapper) -> ModelSQL:
    qn = connection.ops.quote_name
    fields: list[Field[Any, Any]] = list(model._meta.concrete_fields)
    insert_fields = [field for field in fields if not field.primary_key]
    converters: list[tuple[int, Any, list[Converter]]] = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        if found:
            converters.append((i, col, found))
    column_names = [qn(str(field.column)) for field in fields]
    return ModelSQL(
        table=qn(model._meta.db_table),
        names=[field.attname for field in fields],
        column_names=column_names,
        pk_index=next(i for i, field in enumerate(fields) if field.primary_key),
        columns=", ".join(column_names),
        insert_fields=insert_fields,
        insert_columns=", ".join(qn(str(field.column)) for field in insert_fields),
        converters=converters,
    )


def rows_to_models(
    model: type[M], rows: Sequence[Sequence[Any]], connection: BaseDatabaseWrapper
) -> list[M]:
    """Model instances from raw rows that list the model's concrete columns in order."""
    using = connection.alias
    described = model_sql(model, connection)
    objects: list[M] = []
    for row in rows:
        values = list(row)
        for i, col, column_converters in described.converters:
            for convert in column_converters:
                values[i] = convert(values[i], col, connection)
        objects.append(model.from_db(using, described.names, values))
    return objects


class _LoggedCursor(CursorDebugWrapper):
    """Logs a statement as its text with placeholders, where Django would rebuild it with the
    parameters written in by psycopg's client-side cursor (which knows no $1)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


class _RawCursor(postgresql.CursorMixin, psycopg.RawCursor):
    """Django's server-binding cursor, with the placeholders PostgreSQL itself reads ($1); its
    statements prepared where `prepare` says so (see _statement_cursor)."""

    prepare: bool | None = None

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any
    ) -> Any:
        return super().execute(
            query, params, prepare=self.prepare if prepare is None else prepare, **kwargs
        )


# A connection's prepare_threshold that no count of runs reaches: Django's own queries are
# never prepared (Django's default, None, kept for them), the engine's are (prepare=True, which
# psycopg honours only where the threshold is not None).
_BY_REQUEST_ONLY = sys.maxsize


def _prepare_engine_statements(raw_connection: Any) -> bool:
    """Whether the engine's statements are prepared on this connection (WORKFLOWS_PREPARED_
    STATEMENTS, default on): PostgreSQL then parses and plans the step's ~4 kB statement once
    per connection, not at every step (its backend's CPU per completion about halves). Off for
    a transaction-mode pooler older than PgBouncer 1.21, which loses prepared statements."""
    if not getattr(settings, "WORKFLOWS_PREPARED_STATEMENTS", True):
        return False
    if raw_connection.prepare_threshold is None:
        raw_connection.prepare_threshold = _BY_REQUEST_ONLY
    return True


class _JsonbAsText(Loader):
    """jsonb in binary results as the text Django's JSONField decodes itself: Django registers
    such a loader for text results only, and psycopg's own would hand JSONField a dict."""

    format = pq.Format.BINARY

    def load(self, data: Any) -> str:
        if data and data[0] != 1:  # the binary format's version byte, as psycopg checks it
            raise psycopg.DataError(f"unknown jsonb binary format: {data[0]}")
        return bytes(data[1:]).decode()


def _binary_results(raw_connection: Any) -> None:
    """Let the engine's statements ask for binary results on this psycopg connection (only
    they do; Django's own queries read text): the state's bytea comes back as is rather than
    as hex text, and timestamps and ids are read without parsing text (the lock statement's
    execute and fetch: ~70 -> ~35 us)."""
    adapters = raw_connection.adapters
    if adapters.get_loader(_JSONB_OID, pq.Format.BINARY) is not _JsonbAsText:
        adapters.register_loader("jsonb", _JsonbAsText)


def _statement_cursor(connection: BaseDatabaseWrapper) -> Any:
    """The cursor the engine's two statements run on: psycopg's RawCursor.

    Django's default cursor binds on the client: it writes every parameter into the SQL text
    (the state as a ~10 kB hex literal), and PostgreSQL parses it all back. Here the
    parameters travel apart from the statement (the extended protocol's unnamed statement,
    which every pooler passes), and the statement is written with PostgreSQL's own numbered
    placeholders: psycopg splits a %s statement at its placeholders on every run once it is
    longer than 4 kB or has over 50 parameters, as a step's statement is.
    Where the database's OPTIONS also allow prepared statements (`prepare_threshold`, e.g.
    `?prepare_threshold=2` on DATABASE_URL; Django leaves them off, because transaction-mode
    poolers before PgBouncer 1.21 break them), psycopg prepares a statement after that many
    runs on a connection, which spares parsing and planning the step's CTE on every step.
    """
    connection.ensure_connection()
    connection.validate_thread_sharing()
    _binary_results(connection.connection)
    raw: Any = _RawCursor(connection.connection)
    raw.format = pq.Format.BINARY
    if _prepare_engine_statements(connection.connection):
        raw.prepare = True
    if connection.queries_logged:
        return _LoggedCursor(raw, connection)
    return connection.make_cursor(raw)


def lock_instance_of_task(
    task_id: UUID, *, using: str
) -> tuple[ProcessInstance, str | None] | None:
    """Lock the instance that owns task_id; return it with its definition's content hash
    (for the spec cache), or None if no such task exists."""
    connection = connections[using]
    if connection.vendor != "postgresql":  # the embedded SQLite demo
        owner = HumanTask.objects.using(using).filter(task_id=task_id).values("instance_id")
        instance = (
            ProcessInstance.objects.using(using)
            .select_for_update()
            .filter(pk=Subquery(owner[:1]))
            .first()
        )
        return (instance, None) if instance is not None else None
    with _statement_cursor(connection) as cursor:
        cursor.execute(_lock_statement(connection), [task_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    [instance] = rows_to_models(ProcessInstance, [rows[0][:-1]], connection)
    return instance, rows[0][-1]


def _numbered(sql: str) -> str:
    """A statement written with %s placeholders, numbered as PostgreSQL has them ($1, $2, ...),
    for psycopg's RawCursor (see _statement_cursor)."""
    parts = sql.split("%s")
    if any("%" in part for part in parts):
        raise ValueError(f"a % other than a placeholder in {sql!r}")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))


# Statement texts by what shapes them (vendor, fields, numbers of rows): a few per process.
_statements: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def _lock_statement(connection: BaseDatabaseWrapper) -> str:
    key = ("lock", connection.vendor)
    found = _statements.get(key)
    if found is None:
        instances = model_sql(ProcessInstance, connection)
        tasks = model_sql(HumanTask, connection)
        definitions = model_sql(ProcessDefinition, connection)
        sql = (
            f"SELECT {instances.columns}, "
            f"(SELECT content_hash FROM {definitions.table} d WHERE d.id = definition_id) "
            f"FROM {instances.table} "
            f"WHERE id = (SELECT instance_id FROM {tasks.table} WHERE task_id = %s) FOR UPDATE"
        )
        found = _statements[key] = (_numbered(sql), [])
    return found[0]


def _insert_cte(name: str, described: ModelSQL, rows: int, *, returning: str = "") -> str:
    """One CTE inserting `rows` rows of a model, without their primary keys, returning the
    `returning` columns."""
    row = "(" + ", ".join(["%s"] * len(described.insert_fields)) + ")"
    back = f" RETURNING {returning}" if returning else ""
    return (
        f"{name} AS (INSERT INTO {described.table} ({described.insert_columns}) "
        f"VALUES {', '.join([row] * rows)}{back})"
    )


def _step_statement(
    connection: BaseDatabaseWrapper, update_fields: Sequence[str], opened: int, events: int
) -> tuple[str, list[Field[Any, Any]]]:
    """write_step's statement for this shape of step, and the instance fields it saves."""
    key = ("step", connection.vendor, tuple(update_fields), opened, events)
    found = _statements.get(key)
    if found is not None:
        return found
    qn = connection.ops.quote_name
    meta = ProcessInstance._meta
    saved_fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in update_fields]
    assignments = ", ".join(f"{qn(str(field.column))} = %s" for field in saved_fields)
    tasks = model_sql(HumanTask, connection)
    parts = [
        f"saved AS (UPDATE {model_sql(ProcessInstance, connection).table} SET {assignments} "
        f"WHERE id = %s RETURNING id)",
        f"closed AS (UPDATE {tasks.table} SET "
        "state = CASE WHEN task_id = %s::uuid THEN %s ELSE %s END, completed_at = %s, "
        "completed_by_id = CASE WHEN task_id = %s::uuid THEN %s ELSE completed_by_id END "
        "WHERE instance_id = %s AND state = %s AND NOT (task_id = ANY(%s::uuid[])) "
        f"RETURNING {tasks.columns})",
    ]
    select = f"SELECT 'closed', {tasks.columns} FROM closed"
    if opened:
        # The opened rows are the caller's objects: only their ids come back (in the order
        # of VALUES, as Django's bulk_create has them), in the id's column.
        pk = tasks.column_names[tasks.pk_index]
        ids = ", ".join(pk if name == pk else "NULL" for name in tasks.column_names)
        parts.append(_insert_cte("opened", tasks, opened, returning=pk))
        select += f" UNION ALL SELECT 'opened', {ids} FROM opened"
    if events:
        journal = model_sql(ProcessEvent, connection)
        parts.append(_insert_cte("journal", journal, events))
    sql = "WITH " + ", ".join(parts) + " " + select
    found = _statements[key] = (_numbered(sql), saved_fields)
    return found


def _insert_values(objects: Sequence[models.Model], connection: BaseDatabaseWrapper) -> list[Any]:
    """The parameters of _insert_cte's VALUES for `objects`, all of one model."""
    params: list[Any] = []
    if objects:
        fields = model_sql(type(objects[0]), connection).insert_fields
        for obj in objects:
            params.extend(
                field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields
            )
    return params


def write_step(
    instance: ProcessInstance,
    update_fields: list[str],
    *,
    ready: Sequence[UUID],
    completed_task_id: UUID | None,
    actor_id: int | None,
    now: datetime,
    opened: Sequence[HumanTask],
    events: Sequence[ProcessEvent],
    using: str,
) -> tuple[list[HumanTask], list[HumanTask]]:
    """Save the instance's `update_fields`, sync its task rows and append the journal, in one
    statement. Open rows whose task is not in `ready` are closed (completed if it is
    `completed_task_id`, else cancelled); `opened` rows are inserted. Returns (closed, opened):
    the closed rows as the statement read them back, the `opened` objects saved (with ids).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return _write_step_orm(
            instance,
            update_fields,
            ready=ready,
            completed_task_id=completed_task_id,
            actor_id=actor_id,
            now=now,
            opened=opened,
            events=events,
            using=using,
        )
    statement, saved_fields = _step_statement(connection, update_fields, len(opened), len(events))
    params: list[Any] = [
        field.get_db_prep_save(field.pre_save(instance, False), connection)
        for field in saved_fields
    ]
    params += [
        instance.pk,
        completed_task_id,
        HumanTask.State.COMPLETED.value,
        HumanTask.State.CANCELLED.value,
        now,
        completed_task_id,
        actor_id,
        instance.pk,
        HumanTask.State.OPEN.value,
        list(ready),
    ]
    params += _insert_values(opened, connection)
    params += _insert_values(events, connection)
    with _statement_cursor(connection) as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    closed = rows_to_models(HumanTask, [row[1:] for row in rows if row[0] == "closed"], connection)
    pk_index = 1 + model_sql(HumanTask, connection).pk_index
    ids = [row[pk_index] for row in rows if row[0] == "opened"]
    for new, pk in zip(opened, ids, strict=True):
        new.pk = pk
        new._state.adding = False
        new._state.db = using
    return closed, list(opened)


def _write_step_orm(
    instance: ProcessInstance,
    update_fields: list[str],
    *,
    ready: Sequence[UUID],
    completed_task_id: UUID | None,
    actor_id: int | None,
    now: datetime,
    opened: Sequence[HumanTask],
    events: Sequence[ProcessEvent],
    using: str,
) -> tuple[list[HumanTask], list[HumanTask]]:
    """write_step through the ORM, statement by statement, for databases without
    data-modifying CTEs (the embedded SQLite demo). Same rows, same result."""
    instance.save(using=using, update_fields=update_fields)
    tasks = HumanTask.objects.using(using)
    closed = list(
        tasks.filter(instance=instance, state=HumanTask.State.OPEN).exclude(task_id__in=ready)
    )
    for row in closed:
        row.completed_at = now
        if row.task_id == completed_task_id:
            row.state = HumanTask.State.COMPLETED
            row.completed_by_id = actor_id
        else:
            row.state = HumanTask.State.CANCELLED
    if closed:
        tasks.bulk_update(closed, ["state", "completed_at", "completed_by_id"])
    new = tasks.bulk_create(opened) if opened else []
    if events:
        ProcessEvent.objects.using(using).bulk_create(events)
    return closed, list(new)
