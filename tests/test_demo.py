"""`make demo` runs on the embedded default (SQLite): its setup steps must keep working there.

The rest of the suite runs on PostgreSQL; this runs the demo's own commands in a subprocess
on a throwaway SQLite file, so a PostgreSQL-only statement in the engine's hot path, a seed
that no longer matches the process, or a sweeper that cannot start is caught here.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
from collections import defaultdict
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from django.conf import global_settings
from django.contrib.auth.hashers import check_password
from django.test import override_settings

from onedoor.directory.models import Staff
from onedoor.home.demo import SCENARIOS, demo_members
from onedoor.households.idnumber import validate_id_number
from onedoor.households.plausibility import implausible
from tests.demo_setup import demo_copy, manage


def test_the_demo_sets_up_on_sqlite_and_the_sweeper_escalates_by_itself(
    demo_setup: tuple[Path, str], tmp_path: Path
) -> None:
    db = demo_copy(demo_setup, tmp_path)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    out = demo_setup[1]
    # It prints a login for every role, and each signs in with the password it prints.
    [password] = re.findall(r"密码均为 (\S+?)）", out)
    printed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    with sqlite3.connect(db) as conn:
        staff = dict(
            conn.execute(
                "SELECT u.username, s.role FROM auth_user u"
                " JOIN directory_staff s ON s.user_id = u.id"
            ).fetchall()
        )
        hashes = dict(conn.execute("SELECT username, password FROM auth_user").fetchall())
    assert printed == set(staff)
    assert set(staff.values()) == set(Staff.Role.values)
    # The demo hashes as production does (PBKDF2 by default, ~0.5 s a check): one login checked.
    with override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS):
        assert check_password(password, hashes["coordinator"])
    manage("run_timers", "--once", env=env)
    with sqlite3.connect(db) as conn:
        levels = dict(
            conn.execute(
                "SELECT level, count(*) FROM cases_supervisionnotice"
                " WHERE issued_by_id IS NULL GROUP BY level"
            ).fetchall()
        )
        pending = conn.execute(
            "SELECT count(*) FROM cases_clockchange WHERE decided_at IS NULL"
        ).fetchone()[0]
        answered = conn.execute(
            "SELECT count(*) FROM cases_supervisionnotice WHERE answered_at IS NOT NULL"
        ).fetchone()[0]
    # Back-dated cases: the sweeper raised level-1 and level-2 督办 by itself.
    assert levels.get(1, 0) > 0 and levels.get(2, 0) > 0, levels
    assert pending >= 4  # extensions awaiting the coordinator, materials awaiting the window
    assert answered >= 1
    # The joint conference: a 督办 on the overdue decision answered, units' proposed topics.
    with sqlite3.connect(db) as conn:
        chased = conn.execute(
            "SELECT count(*) FROM meetings_decisionnotice WHERE answered_at IS NOT NULL"
        ).fetchone()[0]
        proposed = dict(
            conn.execute("SELECT state, count(*) FROM meetings_topicproposal GROUP BY state")
        )
    assert chased == 1 and proposed == {"accepted": 1, "pending": 1}
    # Every demo household fits its relations (a child younger than its parents, ...).
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT household_id, name, relation, id_number FROM households_member"
        ).fetchall()
    households = defaultdict(list)
    for household, name, relation, number in rows:
        households[household].append(
            SimpleNamespace(name=name, relation=relation, id_number=number)
        )
    assert len(households) >= 30
    assert {h: implausible(m) for h, m in households.items() if implausible(m)} == {}


def test_demo_households_are_plausible_families() -> None:
    """Heads of 35 to 70, children born when the head was 20 to 38, parents older, ID
    numbers valid and unique, and students only at school age, over many draws."""
    rng = random.Random(1)
    today = date(2026, 12, 4)
    numbers: set[str] = set()
    relations: set[str] = set()
    for n in range(len(SCENARIOS) * 20):
        members = demo_members(rng, n, today)
        assert implausible(members) == [], members
        assert [m.relation for m in members].count("head") == 1
        for m in members:
            validate_id_number(m.id_number)
            assert m.id_number not in numbers
            numbers.add(m.id_number)
            relations.add(m.relation)
            born = date(int(m.id_number[6:10]), int(m.id_number[10:12]), int(m.id_number[12:14]))
            age = (today - born).days // 365
            if m.relation == "head":
                assert 35 <= age <= 70
            if m.in_school:
                assert 3 <= age <= 22
    assert relations == {"head", "spouse", "child", "parent"}
