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
Both statements run on Django's own cursor, so they are logged, wrapped and bound as every
other query is (client-side, Django's default for psycopg; `server_side_binding` in the
database's OPTIONS sends the parameters apart instead).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Subquery

from .models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance

M = TypeVar("M", bound=models.Model)
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
    with connection.cursor() as cursor:
        cursor.execute(_lock_statement(connection), [task_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    [instance] = rows_to_models(ProcessInstance, [rows[0][:-1]], connection)
    return instance, rows[0][-1]


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
        found = _statements[key] = (sql, [])
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
    found = _statements[key] = (sql, saved_fields)
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
    with connection.cursor() as cursor:
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
