"""seed_scale's steps: places and people, real template runs, then the clones."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from bench.scale.capture import CLONED, Template, capture
from bench.scale.clone import clone_all
from bench.scale.geography import County, build_geography
from bench.scale.scenarios import SCENARIOS, Scenario, run_scenario
from onedoor.cases.models import Case
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.households.models import Household, Member
from workflows.definitions import deploy_files
from workflows.models import ProcessInstance

HISTORY_WEEKS = 104  # finished cases spread over two years
CASES_PER_COUNTY = 25_000  # two years of a county of ~300k people (see README "Scale")


@dataclass
class Options:
    cases: int
    counties: int = 0  # 0: one per CASES_PER_COUNTY cases
    townships: int = 8
    villages: int = 6
    variants: int = 4  # template runs per scenario (each with other items and weekdays)
    workers: int = 2
    chunk_size: int = 5000
    seed: int = 20261122


def deploy_bpmn() -> None:
    folder = settings.ONEDOOR_BPMN_DIR
    deploy_files(sorted([*folder.glob("*.bpmn"), *folder.glob("*.dmn")]))


def make_templates(
    counties: list[County], options: Options, rng: random.Random, now: datetime
) -> list[Template]:
    """Run every scenario `variants` times through the real services and capture each."""
    items = [
        i for i in Item.objects.filter(is_active=True) if i.agency_kind in counties[0].agencies
    ]
    templates = []
    for scenario in SCENARIOS:
        for _ in range(options.variants):
            picked = rng.sample(items, k=rng.choice([1, 1, 2, 2, 2, 3]))
            templates.append(_template(scenario, counties[0], picked, rng, now, options))
    return templates


def _template(
    scenario: Scenario,
    county: County,
    items: list[Item],
    rng: random.Random,
    now: datetime,
    options: Options,
) -> Template:
    case = run_scenario(scenario, county, items, rng, now)
    case.refresh_from_db()
    template = capture(
        scenario.name, scenario.weight / options.variants, case, county, now, HISTORY_WEEKS
    )
    # The template's own case is deleted below; until then no later run's sweep may touch it.
    ProcessInstance.objects.filter(subject_type="case", subject_id=str(case.pk)).update(
        next_timer_at=None
    )
    return template


def clear_cases() -> None:
    """Remove every case and household (the templates' too): the data set replaces them."""
    models: list[type[Model]] = [*CLONED, Household, Member]
    tables = [m._meta.db_table for m in models]
    tables.append("cases_referencecounter")
    tables.append("notifications_notification")
    with connection.cursor() as cursor:
        # Pending deferred FK checks of this transaction (a test's) would block TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


def seed_scale(options: Options, say: Callable[[str], Any] = print) -> dict[str, Any]:
    """Build the data set; returns figures about what was made and how long it took."""
    if connection.vendor != "postgresql":
        raise RuntimeError("seed_scale writes with PostgreSQL COPY: set DATABASE_URL")
    started = timezone.now()
    rng = random.Random(options.seed)
    deploy_bpmn()
    seed_catalogue()
    n_counties = options.counties or max(1, -(-options.cases // CASES_PER_COUNTY))
    counties = build_geography(n_counties, options.townships, options.villages)
    say(f"{n_counties} counties, {n_counties * options.townships} townships")
    templates = make_templates(counties, options, rng, started)
    made = timezone.now()
    say(f"{len(templates)} templates from real runs in {(made - started).total_seconds():.1f} s")
    clear_cases()
    written = clone_all(
        templates,
        counties,
        options.cases,
        seed=options.seed,
        workers=options.workers,
        chunk_size=options.chunk_size,
        progress=lambda done: (
            say(f"  {done} cases") if done % 100_000 < options.chunk_size else None
        ),
    )
    finished = timezone.now()
    seconds = (finished - made).total_seconds()
    say(f"{written} cases cloned in {seconds:.1f} s ({written / max(seconds, 1e-9):.0f} cases/s)")
    return {
        "counties": n_counties,
        "templates": len(templates),
        "cases": Case.objects.count(),
        "template_seconds": (made - started).total_seconds(),
        "clone_seconds": seconds,
    }
