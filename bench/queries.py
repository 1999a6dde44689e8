"""Query and sweep benchmark on a scale data set (README "Scale").

    python -m bench.queries [--cases N] [--repeat R] [--due D] [--waiting W ...] [--explain]

`make bench-queries CASES=1000000` runs it on PostgreSQL (.ci/with-postgres). On an empty
database it migrates and seeds N cases (bench.seed_scale); on a database that already
holds cases (DATABASE_URL pointing at one seeded before) it measures those.

1. Pages: the real views rendered through Django's test Client, logged in as the busiest
   persona of each kind (the agency officer with the most open referrals, the window clerk
   of the township with most cases, that county's coordinator): agency inbox, case list
   (default and each filter: stage, item, agency, overdue), the header's search (by ID digits,
   name, phone, reference), the coordinator's overdue board,
   the county administrator's engine overview (/engine/), where cases pile up on the one-door
   diagram (the county, one township, one agency, a step's overdue tasks), and the
   supervision figures for a year (page and `figures.compute` alone). p50/p95 ms over
   R runs after warm-up; `--explain` prints EXPLAIN ANALYZE of each SQL statement slower than
   5 ms in those pages.
2. Sweep: D instances with due timers are cloned in, then fired by the real sweeper
   (workflows.timers.fire_due_timers) in 1 and then 2 worker processes; timers fired per
   second, with W not-due instances waiting (the population is topped up by cloning, so the
   claim query's cost can be compared across W).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scale import build, clone  # noqa: E402
from bench.scale.geography import build_geography  # noqa: E402
from bench.scale.scenarios import OPEN  # noqa: E402
from onedoor.cases.models import Case, Referral  # noqa: E402
from onedoor.directory.models import Agency, Division, Staff  # noqa: E402
from onedoor.households.models import Member  # noqa: E402
from workflows.models import ProcessInstance  # noqa: E402
from workflows.timers import fire_due_timers  # noqa: E402

try:  # written alongside this benchmark; measured when present
    from onedoor.supervision import figures as supervision_figures
except ImportError:  # pragma: no cover
    supervision_figures = None  # type: ignore[assignment]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(run: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def report(name: str, samples: list[float], target: float | None, extra: str = "") -> dict:
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    verdict = "" if target is None else ("met" if p95 < target else "NOT MET")
    print(
        f"  {name:42s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms"
        + (f"  (target p95 < {target:.0f} ms: {verdict})" if target else "")
        + (f"  {extra}" if extra else "")
    )
    return {"name": name, "p50": p50, "p95": p95, "target": target}


class Statements:
    """Every SQL statement run while active, with its duration (an execute wrapper: the
    test Client's request_started signal resets connection.queries, this survives it)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, float]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seen.append((sql, params, (time.perf_counter() - began) * 1000))


def statements_of(client: Client, url: str) -> Statements:
    found = Statements()
    with connection.execute_wrapper(found):
        client.get(url)
    return found


def explain_slow(client: Client, url: str, threshold_ms: float = 5.0) -> None:
    """EXPLAIN ANALYZE every statement of one page view that took longer than threshold_ms."""
    for sql, params, ms in statements_of(client, url).seen:
        if ms < threshold_ms:
            continue
        print(f"\n-- {url}: {ms:.1f} ms\n{sql[:800]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))


def personas() -> dict[str, Any]:
    User = get_user_model()
    busiest_agency = (
        Referral.objects.filter(current_task__isnull=False)
        .values("agency")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert busiest_agency is not None, "no open referrals: seed first"
    agency = Agency.objects.get(pk=busiest_agency["agency"])
    officer = User.objects.filter(staff__agency=agency, staff__role=Staff.Role.AGENCY_OFFICER)[0]
    busiest_township = (
        Case.objects.values("township").annotate(n=Count("id")).order_by("-n").first()
    )
    assert busiest_township is not None
    township = Division.objects.get(pk=busiest_township["township"])
    window = User.objects.filter(staff__division=township, staff__role=Staff.Role.WINDOW)[0]
    county = township.county
    coordinator = User.objects.filter(staff__division=county, staff__role="coordinator")[0]
    # The scale data set has no administrators: the county's own, made once.
    admin, _created = User.objects.get_or_create(username=f"admin-{county.code}")
    Staff.objects.get_or_create(
        user=admin, defaults={"role": Staff.Role.ADMINISTRATOR, "division": county}
    )
    # Nor leaders in charge: the busiest agency's, made once.
    leader, _created = User.objects.get_or_create(username=f"leader-{agency.code}")
    Staff.objects.get_or_create(
        user=leader,
        defaults={
            "role": Staff.Role.AGENCY_OFFICER,
            "division": agency.county,
            "agency": agency,
            "is_agency_leader": True,
        },
    )
    return {
        "leader": leader,
        "officer": officer,
        "agency": agency,
        "window": window,
        "township": township,
        "coordinator": coordinator,
        "admin": admin,
        "county": county,
    }


def bench_pages(repeat: int, explain: bool) -> list[dict]:
    who = personas()
    results = []
    open_referrals = Referral.objects.filter(agency=who["agency"], current_task__isnull=False)
    county_cases = Case.objects.filter(township__parent=who["county"])
    print(
        f"personas: officer of {who['agency']} ({open_referrals.count()} open referrals); "
        f"window of {who['township']} ({Case.objects.filter(township=who['township']).count()} "
        f"cases); coordinator of {who['county']} ({county_cases.count()} cases)"
    )
    pages: list[tuple[str, str, str, float | None]] = [
        ("inbox (agency officer)", "officer", "/inbox/", 50),
        ("case list, default (window)", "window", "/cases/", 50),
        ("case list, stage=referral_work", "window", "/cases/?stage=referral_work", 50),
        ("case list, item=yiliao", "window", "/cases/?item=yiliao", 50),
        (
            "case list, agency",
            "window",
            f"/cases/?agency={who['county'].code}-medical",
            50,
        ),
        ("case list, overdue", "window", "/cases/?overdue=1", 50),
        ("case list, page 20", "window", "/cases/?page=20", 50),
        # The same rows as Excel, up to 20,000 of them with their referrals (streamed out).
        ("case list as Excel (window)", "window", "/cases/export.xlsx", 5000),
        ("overdue board (coordinator)", "coordinator", "/board/", 150),
        ("engine overview (county administrator)", "admin", "/engine/", 150),
        ("where cases pile up, one-door (coordinator)", "coordinator", "/processes/one_door/", 300),
        (
            "where cases pile up, one township (coordinator)",
            "coordinator",
            f"/processes/one_door/?township={who['township'].code}",
            300,
        ),
        (
            "where cases pile up, one agency (administrator)",
            "admin",
            f"/processes/one_door/?agency={who['county'].code}-medical",
            300,
        ),
        (
            "open tasks of a step, overdue (coordinator)",
            "coordinator",
            "/processes/one_door/tasks/?step=handle_referral&overdue=1",
            300,
        ),
        ("audit log, newest (coordinator)", "coordinator", "/audit/", 200),
        ("audit log, one action (coordinator)", "coordinator", "/audit/?action=case.referred", 200),
    ]
    # The household registry: the township's newest households, and a search by a member's
    # name and by an ID number's last six digits (what a clerk types for a returning family).
    member = Member.objects.filter(household__village__parent=who["township"]).first()
    if member is not None:
        pages += [
            ("household registry, default (window)", "window", "/households/", 50),
            ("household registry, by name", "window", f"/households/?q={member.name}", 100),
            (
                "household registry, by last ID digits",
                "window",
                f"/households/?q={member.id_number[-6:]}",
                100,
            ),
        ]
    # The header's search, as the county's coordinator (the widest scope): an ID number's
    # last four and six digits, a name, a phone's last eight digits and a reference.
    searched = Case.objects.filter(township=who["township"]).select_related("applicant").first()
    if searched is not None:
        applicant = searched.applicant
        for label, text in [
            ("by last 4 ID digits", applicant.id_number[-4:]),
            ("by last 6 ID digits", applicant.id_number[-6:]),
            ("by name", applicant.name),
            ("by phone", (applicant.phone or applicant.id_number)[-8:]),
            ("by reference", searched.reference),
        ]:
            pages.append(
                (f"search {label} (coordinator)", "coordinator", f"/search/?q={text}", 100)
            )
        pages.append(
            (
                "search by last 4 ID digits (window)",
                "window",
                f"/search/?q={applicant.id_number[-4:]}",
                100,
            )
        )
    year_start = date(timezone.localdate().year - 1, timezone.localdate().month, 1)
    year_end = year_start.replace(year=year_start.year + 1) - timedelta(days=1)
    if supervision_figures is not None:
        pages.append(
            (
                "supervision figures page, one year",
                "coordinator",
                f"/supervision/?start={year_start}&end={year_end}",
                1000,
            )
        )
    clients = {}
    pages.append(
        ("agency figures, this year (leader in charge)", "leader", "/supervision/agency/", 1000)
    )
    for role in ("officer", "window", "coordinator", "admin", "leader"):
        clients[role] = Client()
        clients[role].force_login(who[role])
    for name, role, url, target in pages:
        client = clients[role]
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        statements = statements_of(client, url).seen
        samples = timed(partial(client.get, url), repeat)
        sql_ms = sum(ms for _sql, _params, ms in statements)
        extra = f"{len(statements)} queries, {sql_ms:.1f} ms in SQL"
        results.append(report(name, samples, target, extra))
        if explain:
            explain_slow(client, url)
    if supervision_figures is not None:
        county = who["county"]
        samples = timed(
            lambda: supervision_figures.compute(county, year_start, year_end), max(3, repeat // 3)
        )
        results.append(report("supervision figures.compute, one year", samples, 1000))
    else:
        print("  supervision figures: onedoor.supervision.figures not present (hook left here)")
    from onedoor.meetings.access import conference_of
    from onedoor.meetings.topics import candidates

    conference = conference_of(who["county"])
    samples = timed(lambda: candidates(conference), max(3, repeat // 3))
    results.append(report("joint-conference topic candidates, one county", samples, 1000))
    return results


# --- sweep ------------------------------------------------------------------------------


def _templates(names: set[str]) -> list[Any]:
    """Real runs of the open scenarios named, captured like seed_scale's."""
    counties = build_geography(1)
    rng = random.Random(7)
    now = timezone.now()
    found = []
    for scenario in OPEN:
        if scenario.name in names:
            found.append(
                build._template(scenario, counties[0], _items(counties[0]), rng, now, _o())
            )
    return found


def _items(county: Any) -> list[Any]:
    from onedoor.catalogue.models import Item

    return list(Item.objects.filter(code__in=["yiliao", "edu_compulsory"]))


def _o() -> build.Options:
    return build.Options(cases=0, variants=1)


def _counties() -> list[Any]:
    n = Division.objects.filter(level=Division.Level.COUNTY, code__startswith="13").count()
    return build_geography(max(1, n))


def add_cases(template: Any, n: int, k: int | None, seed: int) -> None:
    """Clone `n` more cases of `template`, `k` weeks back (None: as recent as it allows)."""
    t = replace(template, weight=1.0, _shifted={})
    if k is not None:
        t.k_min = t.k_max = k
    clone.clone_all([t], _counties(), n, seed=seed, workers=2, chunk_size=5000)
    connections.close_all()


def fresh_seed() -> int:
    """A clone seed not used before on this database: clones of one seed share their task
    UUIDs, so a second run of the benchmark on the same data must not repeat one."""
    return ProcessInstance.objects.count() + 1


def waiting_count() -> int:
    return ProcessInstance.objects.filter(
        state=ProcessInstance.State.RUNNING, next_timer_at__gt=timezone.now()
    ).count()


def _sweep_worker(_: int) -> tuple[int, int]:
    connections.close_all()
    result = fire_due_timers()
    connections.close_all()
    return result.claimed, result.fired


class Transactions:
    """Statements and commits while active (one process): explicit COMMITs, and writes run
    outside a transaction (autocommit: each is one)."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        if not connection.in_atomic_block and not sql.lstrip().upper().startswith("SELECT"):
            self.commits += 1
        return execute(sql, params, many, context)

    @contextmanager
    def counting(self) -> Iterator[None]:
        commit = connection._commit  # type: ignore[attr-defined]

        def counted() -> None:
            self.commits += 1
            commit()

        connection._commit = counted  # type: ignore[attr-defined]
        try:
            with connection.execute_wrapper(self):
                yield
        finally:
            del connection._commit  # type: ignore[attr-defined]


def sweep(workers: int, counted: Transactions | None = None) -> tuple[int, int, float]:
    """Fire every due timer with `workers` processes; (instances, timers, seconds). With one
    worker, `counted` counts its statements and commits."""
    connections.close_all()
    began = time.perf_counter()
    if workers == 1:
        if counted is not None:
            with counted.counting():
                result = fire_due_timers()
        else:
            result = fire_due_timers()
        claimed, fired = result.claimed, result.fired
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_sweep_worker, range(workers))
        claimed, fired = sum(p[0] for p in parts), sum(p[1] for p in parts)
    return claimed, fired, time.perf_counter() - began


def bench_sweep(due: int, waiting_levels: list[int]) -> list[dict]:
    backlog = sweep(1)
    print(f"  backlog fired first: {backlog[0]} instances, {backlog[1]} timers")
    # A case being handled, cloned back far enough that its reminder and overdue are due.
    [handling] = _templates({"handling"})
    results = []
    for level in waiting_levels:
        have = waiting_count()
        if have < level:
            print(f"  adding {level - have} waiting cases (cloned, timers not due) ...")
            add_cases(handling, level - have, None, seed=fresh_seed())
        waiting = waiting_count()
        for workers in (1, 2):
            add_cases(handling, due, handling.k_max + 6, seed=fresh_seed())
            counted = Transactions() if workers == 1 else None
            claimed, fired, seconds = sweep(workers, counted)
            rate = fired / seconds
            per = (
                f"; per instance {counted.statements / claimed:.1f} statements, "
                f"{counted.commits / claimed:.2f} commits"
                if counted is not None and claimed
                else ""
            )
            print(
                f"  {waiting:>9,} waiting, {workers} worker(s): {claimed} instances, {fired} "
                f"timers in {seconds:.1f} s = {rate:.0f} timers/s "
                f"({rate / workers:.0f} per worker; {claimed / seconds:.0f} instances/s{per})"
            )
            results.append(
                {"waiting": waiting, "workers": workers, "timers_per_s": rate, "fired": fired}
            )
    return results


def ensure_data(cases: int) -> None:
    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        print(f"seeding {cases} cases (bench.seed_scale) ...")
        build.seed_scale(build.Options(cases=cases))
        connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="seeded if the DB is empty")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--due", type=int, default=1000, help="due instances per sweep run")
    parser.add_argument("--waiting", type=int, nargs="*", default=[10_000])
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench.queries measures PostgreSQL: set DATABASE_URL (make bench-queries does)")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Pages are measured as a deployment serves them, on a kept connection (DB_CONN_MAX_AGE),
    # not with a new PostgreSQL connection per request.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 600
    ensure_data(args.cases)
    print(
        f"data: {Case.objects.count():,} cases, {Referral.objects.count():,} referrals, "
        f"{Referral.objects.open().count():,} open, {Referral.objects.overdue().count():,} overdue"
    )
    if not args.skip_pages:
        print(f"pages (Django test Client, real views and templates, {args.repeat} runs each):")
        bench_pages(args.repeat, args.explain)
    if not args.skip_sweep:
        print(f"sweep (workflows.timers.fire_due_timers, {args.due} due instances per run):")
        bench_sweep(args.due, args.waiting)


if __name__ == "__main__":
    main()
