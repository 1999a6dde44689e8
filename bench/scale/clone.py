"""Clone captured cases into PostgreSQL with COPY, in chunks, on every core.

1. Plan (main process): for each case a template (by weight), a county, township and
   village, and how many whole weeks back it happened (finished cases over two years, open
   ones as recent as their next timer needs). Cases are sorted by registration time so ids
   grow with time, as they would in production; references are numbered per township and year.
2. Each chunk (a worker process, its own connection and transaction) writes its households
   and members, then every cloned table, with one COPY per table; each case's engine state
   is stored as the engine room stores it (bench/scale/state.py).
3. Sequences move past the ids used, reference counters catch up, and the tables are ANALYZEd.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from bench.scale.capture import CLONED, WEEK, Template, copy_escape
from bench.scale.geography import County
from bench.scale.state import stored_state
from onedoor.cases.models import ReferenceCounter
from onedoor.households.idnumber import check_character
from onedoor.households.models import Household, Member

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国 秀英 桂兰 志强 丽娟 海燕 国华 淑珍 小明 文静 玉梅 德胜 春生 秋菊 宏伟 晓东".split()
# (relation, first birth day, days in range): disjoint ranges, so ids never collide
# (see _id_number).
BIRTHS = {
    "head": (date(1955, 1, 1), 12784),
    "spouse": (date(1955, 1, 1), 12784),
    "parent": (date(1925, 1, 1), 10957),
    "child": (date(1992, 1, 1), 10957),
}
CLASSES = ["none"] * 4 + ["dibao"] * 3 + ["low_income"] * 2 + ["destitute", "spending"]
HOUSEHOLD_COLUMNS = [str(f.column) for f in Household._meta.concrete_fields]
MEMBER_COLUMNS = [str(f.column) for f in Member._meta.concrete_fields]
REUSE_SHARE = 0.15  # cases from a household that applied before
MEMBER_CAPACITY = 5  # member ids reserved per case (unused ones are gaps)


def _id_number(county_code: str, relation: str, member_id: int) -> str:
    """A valid 身份证 number, unique per member id: its birth day and sequence number are a
    one-to-one function of the id (the 3-digit sequence takes the overflow of the day range),
    and the birth ranges of heads, parents and children do not overlap."""
    start, span = BIRTHS[relation]
    born = start + timedelta(days=(member_id * 7919) % span)
    first17 = f"{county_code}{born:%Y%m%d}{(member_id // span) % 1000:03d}"
    return first17 + check_character(first17)


@dataclass
class Plan:
    """A chunk of cases to clone: ids start where the previous chunk's end."""

    first_clone: int
    cases: list[tuple[int, int, int, int, int, int]]  # template, county, township, village, k, ref
    starts: dict[str, int]  # db_table -> first id


# The worker processes inherit these (fork): templates and places are read-only there.
_TEMPLATES: list[Template] = []
_COUNTIES: list[County] = []
_SETTINGS: dict[str, Any] = {}


def plan_cases(
    n: int, templates: list[Template], counties: list[County], rng: random.Random
) -> list[tuple[int, int, int, int, int, int]]:
    """Choose each case's template, place and age, in order of registration."""
    weights = [t.weight for t in templates]
    # Every template at least once (a small data set still has every state), then by weight.
    every = list(range(len(templates)))[:n]
    chosen = every + rng.choices(range(len(templates)), weights=weights, k=n - len(every))
    rows = []
    for t_index in chosen:
        t = templates[t_index]
        c = rng.randrange(len(counties))
        township = rng.randrange(len(counties[c].townships))
        village = rng.randrange(len(counties[c].villages[counties[c].townships[township].pk]))
        k = rng.randint(t.k_min, t.k_max)
        rows.append((t_index, c, township, village, k))
    # Registration order: ids grow with time.
    rows.sort(key=lambda r: templates[r[0]].created_at - r[4] * WEEK)  # type: ignore[operator]
    # References continue each township's numbering (cases already there keep theirs).
    counters: Counter[tuple[int, int]] = Counter(
        {(r.township_id, r.year): r.last for r in ReferenceCounter.objects.all()}
    )
    planned = []
    for t_index, c, township, village, k in rows:
        created = templates[t_index].created_at
        assert created is not None
        key = (counties[c].townships[township].pk, timezone.localtime(created - k * WEEK).year)
        counters[key] += 1
        planned.append((t_index, c, township, village, k, counters[key]))
    return planned


def chunks(planned: list[Any], size: int, starts: dict[str, int]) -> Iterator[Plan]:
    """Split the plan; each chunk's first ids follow from its templates' row counts."""
    next_ids = dict(starts)
    for offset in range(0, len(planned), size):
        part = planned[offset : offset + size]
        yield Plan(offset, part, dict(next_ids))
        for model in CLONED:
            table = model._meta.db_table
            next_ids[table] += sum(_TEMPLATES[row[0]].counts[model] for row in part)
        next_ids[Household._meta.db_table] += len(part)
        next_ids[Member._meta.db_table] += len(part) * MEMBER_CAPACITY


def clone_chunk(plan: Plan) -> int:
    """Write one chunk in one transaction; returns the number of cases written."""
    buffers = {table: io.StringIO() for table in _copy_order()}
    rng = random.Random(plan.first_clone)
    ids = dict(plan.starts)
    households: dict[int, list[tuple[int, int]]] = {}  # village pk -> (household, head)
    salt = _SETTINGS["salt"]
    for i, (t_index, c, township_i, village_i, k, ref_seq) in enumerate(plan.cases):
        t = _TEMPLATES[t_index]
        county = _COUNTIES[c]
        township = county.townships[township_i]
        village = county.villages[township.pk][village_i]
        assert t.created_at is not None
        created: datetime = t.created_at - k * WEEK
        household, head = _household(buffers, ids, households, rng, county, village, created)
        values: list[str] = [""] * t.n_slots
        for slot, model, rank in t.pk_slots:
            values[slot] = str(ids[model._meta.db_table] + rank)
        g = plan.first_clone + i
        for slot, n in t.uuid_slots:
            values[slot] = (
                f"{salt:08x}-{(g >> 24) & 0xFFFF:04x}-4{(g >> 12) & 0xFFF:03x}-"
                f"{0x8000 | (g & 0xFFF):04x}-{n:012x}"
            )
        for (slot, _key), shifted in zip(t.time_slots, t.shifted(k), strict=True):
            values[slot] = shifted
        for slot, role in t.user_slots:
            values[slot] = str(_user(county, township.pk, village.pk, role))
        for slot, kind in t.agency_slots:
            values[slot] = str(county.agencies[kind].pk)
        year = timezone.localtime(created).year
        special = {
            "township:0": str(township.pk),
            "household:0": str(household),
            "applicant:0": str(head),
            "reference:0": f"{township.code}-{year}-{ref_seq:05d}",
            "county_code:0": county.division.code,
            "township_code:0": township.code,
            "village_code:0": village.code,
        }
        for name, slots in t.special.items():
            if name != "state:0":
                for slot in slots:
                    values[slot] = special[name]
        fmt, getter = t.compiled_state
        state = stored_state(json.loads(fmt % getter(values)), t.spec)
        values[t.state_slot] = "\\\\x" + state.hex()  # bytea in COPY text
        for table, (fmt, getter) in t.compiled.items():
            buffers[table].write(fmt % getter(values))
        for model in CLONED:
            ids[model._meta.db_table] += t.counts[model]
    _copy(buffers)
    return len(plan.cases)


def _user(county: County, township: int, village: int, role: str) -> int:
    if role == "window":
        return county.windows[township]
    if role == "village":
        return county.assistants[village]
    if role == "coordinator":
        return county.coordinator
    if role == "supervisor":
        return county.supervisor
    if role.startswith("officer:"):
        return county.officers[role.split(":", 1)[1]]
    return int(role.split(":", 1)[1])  # someone outside the county's roles: kept as is


def _household(
    buffers: dict[str, io.StringIO],
    ids: dict[str, int],
    known: dict[int, list[tuple[int, int]]],
    rng: random.Random,
    county: County,
    village: Any,
    created: datetime,
) -> tuple[int, int]:
    """A new household with members (or, sometimes, one of the village that applied before)."""
    hh_table, m_table = Household._meta.db_table, Member._meta.db_table
    household_id = ids[hh_table]
    ids[hh_table] += 1
    first_member = ids[m_table]
    ids[m_table] += MEMBER_CAPACITY
    earlier = known.get(village.pk)
    if earlier and rng.random() < REUSE_SHARE:
        return rng.choice(earlier)
    surname = rng.choice(SURNAMES)
    others = [
        [],
        ["spouse"],
        ["spouse", "child"],
        ["spouse", "child", "child"],
        ["child"],
        ["parent"],
    ]
    relations = ["head", *rng.choice(others)]
    code = county.division.code
    classification = rng.choice(CLASSES)
    buffers[hh_table].write(
        f"{household_id}\t{village.pk}\t{copy_escape(village.name)}{rng.randrange(1, 300)}号\t"
        f"{classification}\t{rng.randrange(0, 400) * 1000}\t{created.isoformat()}\t"
        f"{county.windows[village.parent_id]}\n"
    )
    for n, relation in enumerate(relations):
        member_id = first_member + n
        name = (surname if relation in {"head", "child"} else rng.choice(SURNAMES)) + rng.choice(
            GIVEN
        )
        capacity = "none" if relation == "parent" or rng.random() < 0.1 else "full"
        disability = rng.choice(["none"] * 12 + ["1", "2", "3", "4"])
        illness = "t" if rng.random() < 0.15 else "f"
        phone = f"13{rng.randrange(10**8, 10**9)}" if relation != "child" else ""
        student = "t" if relation == "child" and rng.random() < 0.6 else "f"
        buffers[m_table].write(
            f"{member_id}\t{household_id}\t{name}\t{_id_number(code, relation, member_id)}\t"
            f"{relation}\t{phone}\t{capacity}\t{disability}\t{illness}\t{student}\n"
        )
    known.setdefault(village.pk, []).append((household_id, first_member))
    return household_id, first_member


def _copy_order() -> list[str]:
    return [Household._meta.db_table, Member._meta.db_table] + [m._meta.db_table for m in CLONED]


def _columns(table: str) -> list[str]:
    if table == Household._meta.db_table:
        return HOUSEHOLD_COLUMNS
    if table == Member._meta.db_table:
        return MEMBER_COLUMNS
    return next(iter(_TEMPLATES)).columns[table]


def _copy(buffers: dict[str, io.StringIO]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if _SETTINGS.get("replica"):
            # The ids are made here and are consistent: skip the per-row FK triggers.
            cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.cursor  # psycopg's own cursor: COPY FROM STDIN
        for table in _copy_order():
            data = buffers[table].getvalue()
            if not data:
                continue
            columns = ", ".join(f'"{c}"' for c in _columns(table))
            with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                copy.write(data)
        if _SETTINGS.get("replica"):
            cursor.execute("SET LOCAL session_replication_role = origin")


def _worker_init() -> None:
    connections.close_all()  # a connection of its own, not the parent's socket


def clone_all(
    templates: list[Template],
    counties: list[County],
    n: int,
    *,
    seed: int,
    workers: int,
    chunk_size: int,
    progress: Any = None,
) -> int:
    """Clone `n` cases; returns how many were written."""
    rng = random.Random(seed)
    _TEMPLATES[:] = templates
    _COUNTIES[:] = counties
    _SETTINGS.update(salt=rng.getrandbits(32), replica=_is_superuser())
    planned = plan_cases(n, templates, counties, rng)
    plans = list(chunks(planned, chunk_size, _next_ids()))
    done = 0
    if workers <= 1:
        for plan in plans:
            done += clone_chunk(plan)
            if progress:
                progress(done)
    else:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_worker_init) as pool:
            for written in pool.imap_unordered(clone_chunk, plans):
                done += written
                if progress:
                    progress(done)
    _finish(planned, templates, counties)
    return done


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _sequence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        row = cursor.fetchone()
    assert row is not None and row[0]
    return str(row[0])


def _next_ids() -> dict[str, int]:
    """First free id of every table: past both its rows and its sequence, so an id a
    deleted template used (and a process's state cache may remember) is never reused."""
    starts = {}
    with connection.cursor() as cursor:
        for table in _copy_order():
            cursor.execute(
                f"SELECT GREATEST((SELECT last_value FROM {_sequence(table)}), "  # noqa: S608
                f'(SELECT COALESCE(MAX(id), 0) FROM "{table}")) + 1'
            )
            row = cursor.fetchone()
            assert row is not None
            starts[table] = int(row[0])
    return starts


def _finish(planned: list[Any], templates: list[Template], counties: list[County]) -> None:
    with connection.cursor() as cursor:
        for table in _copy_order():
            cursor.execute(
                f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 1) FROM "{table}"), '  # noqa: S608
                f"(SELECT last_value FROM {_sequence(table)})))",
                [_sequence(table)],
            )
    # New registrations continue each township's numbering after the cloned ones.
    last: dict[tuple[int, int], int] = {}
    for t_index, c, township_i, _v, k, seq in planned:
        made = templates[t_index].created_at
        assert made is not None
        key = (counties[c].townships[township_i].pk, timezone.localtime(made - k * WEEK).year)
        last[key] = max(last.get(key, 0), seq)
    for (township, year), seq in last.items():
        ReferenceCounter.objects.update_or_create(
            township_id=township, year=year, defaults={"last": seq}
        )
    with connection.cursor() as cursor:
        for table in _copy_order():
            cursor.execute(f'ANALYZE "{table}"')


def table_counts() -> dict[str, int]:
    found = {}
    with connection.cursor() as cursor:
        for table in _copy_order():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
            row = cursor.fetchone()
            found[table] = int(row[0]) if row else 0
    return found
