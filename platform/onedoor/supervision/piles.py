"""Where cases pile up: a process's open tasks per step, for a county, from the projections.

Read from the HumanTask rows (open, their candidate group, created and due times), never from
the engine's serialized state. A county's open tasks are found by their candidate groups (the
county, its townships, its agencies: task_open_group_due_idx), a few thousand rows even at a
million cases, and grouped by BPMN step in one statement. Waiting is counted in working days
on the official calendar (deadlines.workdays) from the day a task opened to today.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, CharField, Count, DateTimeField, Max, Min, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.cases.models import SUBJECT_CASE, Case
from onedoor.deadlines.cache import working_calendar
from onedoor.directory.models import Agency, Division
from workflows.models import HumanTask


class MedianTime(Aggregate):
    """PostgreSQL's `percentile_disc(0.5) WITHIN GROUP (ORDER BY t)`: the median time itself
    (not interpolated), so its working days are the median working days."""

    function = "percentile_disc"
    name = "MedianTime"
    output_field = DateTimeField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass(frozen=True)
class LoadFilters:
    """What the figures are narrowed to: a township's cases, an agency's hands, and the days
    the tasks opened on (local days, inclusive)."""

    township: Division | None = None
    agency: Agency | None = None
    start: date | None = None
    end: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as the page's query string takes them (for the links to the lists)."""
        pairs = {
            "township": self.township.code if self.township else "",
            "agency": self.agency.code if self.agency else "",
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
        }
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True)
class StepLoad:
    bpmn_id: str
    name: str
    open: int
    overdue: int
    median_days: int
    oldest_days: int
    oldest_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "open": self.open,
            "overdue": self.overdue,
            "lines": [
                _("%(open)s open, %(overdue)s overdue")
                % {"open": self.open, "overdue": self.overdue},
                _("waiting %(median)s working days (median), the oldest %(oldest)s")
                % {"median": self.median_days, "oldest": self.oldest_days},
            ],
        }


def scope_groups(county: Division) -> list[str]:
    """The candidate groups a county's tasks carry: the county, its townships, its agencies."""
    townships = Division.objects.filter(parent=county).values_list("code", flat=True)
    agencies = Agency.objects.filter(county=county).values_list("code", flat=True)
    return [county.code, *townships, *agencies]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def open_tasks(
    process_id: str, county: Division | None, filters: LoadFilters
) -> QuerySet[HumanTask]:
    """The open tasks of `process_id` in the county (every county's when None), filtered."""
    tasks = HumanTask.objects.filter(state=HumanTask.State.OPEN, process_id=process_id)
    if county is not None:
        tasks = tasks.filter(candidate_group__in=scope_groups(county))
    if filters.agency is not None:
        tasks = tasks.filter(candidate_group=filters.agency.code)
    if filters.township is not None:
        cases = Case.objects.filter(township=filters.township).annotate(sid=Cast("pk", CharField()))
        tasks = tasks.filter(subject_type=SUBJECT_CASE, subject_id__in=cases.values("sid"))
    if filters.start is not None:
        tasks = tasks.filter(created_at__gte=_local_midnight(filters.start))
    if filters.end is not None:
        tasks = tasks.filter(created_at__lt=_local_midnight(filters.end + timedelta(days=1)))
    return tasks


class WaitingDays:
    """Working days from the local day a task opened to today, per county calendar."""

    def __init__(self, county: Division | None, today: date) -> None:
        self.county = county.code if county is not None else ""
        self.today = today

    def __call__(self, opened: datetime) -> int:
        start = timezone.localdate(opened)
        return working_calendar(start, self.county).between(start, self.today)


def _medians(tasks: QuerySet[HumanTask]) -> dict[str, datetime]:
    if connection.vendor == "postgresql":
        rows = tasks.order_by().values("bpmn_id").annotate(median=MedianTime("created_at"))
        return {row["bpmn_id"]: row["median"] for row in rows}
    # SQLite (the embedded demo) has no ordered-set aggregates: sort in Python.
    times: dict[str, list[datetime]] = defaultdict(list)
    for bpmn_id, created in tasks.order_by().values_list("bpmn_id", "created_at"):
        times[bpmn_id].append(created)
    return {k: sorted(v)[(len(v) - 1) // 2] for k, v in times.items()}


def step_loads(
    process_id: str,
    county: Division | None,
    filters: LoadFilters,
    *,
    now: datetime | None = None,
) -> list[StepLoad]:
    """Per step with open tasks: how many, how many overdue, median and oldest working days
    waiting; the steps with most overdue, then most open, first."""
    now = now or timezone.now()
    tasks = open_tasks(process_id, county, filters)
    rows = (
        tasks.order_by()
        .values("bpmn_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_at__lt=now)),
            oldest=Min("created_at"),
            name=Max("name"),
        )
    )
    medians = _medians(tasks) if rows else {}
    waiting = WaitingDays(county, timezone.localdate(now))
    loads = [
        StepLoad(
            bpmn_id=row["bpmn_id"],
            name=row["name"] or row["bpmn_id"],
            open=row["open"],
            overdue=row["overdue"],
            median_days=waiting(medians.get(row["bpmn_id"], row["oldest"])),
            oldest_days=waiting(row["oldest"]),
            oldest_at=row["oldest"],
        )
        for row in rows
    ]
    return sorted(loads, key=lambda s: (-s.overdue, -s.open, s.bpmn_id))
