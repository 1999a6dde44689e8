"""The conference's figures, on the coordinator's board and the supervision figures page
(registered in cases.panels): plenaries held per year against the required number, topics by
source, decisions carried out on time per lead unit, and the working days from a topic's
first appearance to its decisions carried out.

A county's conference has a few meetings a year and tens of decisions: these read the
conference's own tables, not the cases'.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.cases.panels import BOARD, FIGURES, Panel, register_panel
from onedoor.deadlines.workdays import working_days_between

from .access import rights_for_panel
from .models import Conference, Decision, Meeting, Topic, TopicProposal


@dataclass(frozen=True)
class YearRow:
    year: int
    plenary: int
    topical: int
    required: int

    @property
    def short(self) -> bool:
        """Fewer plenaries than required (for the current year: so far)."""
        return self.plenary < self.required


@dataclass
class UnitRow:
    agency: str
    led: int = 0  # decisions in force it leads
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # open and past the deadline
    in_progress: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Carried out on time, of those carried out or past their deadline."""
        decided = self.on_time + self.late + self.overdue
        return self.on_time / decided if decided else None

    @property
    def on_time_percent(self) -> int | None:
        rate = self.on_time_rate
        return None if rate is None else round(rate * 100)


@dataclass
class ConferenceFigures:
    county: str
    year: int
    years: list[YearRow] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    # Working days from a topic's first appearance to its decisions all carried out (this year).
    resolved: int = 0
    median_days_to_resolution: float | None = None


def compute(conference: Conference, today: date | None = None) -> ConferenceFigures:
    """The figures of a conference for the year of `today` (and the meetings of every year)."""
    today = today or timezone.localdate()
    found = ConferenceFigures(county=str(conference.county), year=today.year)
    # 1. Meetings held (minutes issued) per year, plenary and topical.
    held = (
        Meeting.objects.filter(conference=conference, minutes_issued_at__isnull=False)
        .values("held_on__year")
        .annotate(
            plenary=Count("pk", filter=Q(kind=Meeting.Kind.PLENARY)),
            topical=Count("pk", filter=Q(kind=Meeting.Kind.TOPICAL)),
        )
    )
    by_year: dict[int, tuple[int, int]] = {
        row["held_on__year"]: (row["plenary"], row["topical"]) for row in held
    }
    first = min([*by_year, today.year])
    found.years = [
        YearRow(
            year,
            *by_year.get(year, (0, 0)),
            conference.minimum_meetings,
        )
        for year in range(today.year, first - 1, -1)
    ]
    # 2. Topics on this year's agendas by source (a topic found by two rules counts for both).
    counts: Counter[str] = Counter()
    for sources in Topic.objects.filter(
        meeting__conference=conference, meeting__held_on__year=today.year
    ).values_list("sources", flat=True):
        counts.update(set(sources))
    labels = dict(Topic.Source.choices)
    found.sources = [
        (str(labels.get(source, source)), n) for source, n in counts.most_common() if n
    ]
    # 3. Decisions in force this year per lead unit: on time, late, overdue, in progress.
    units: dict[str, UnitRow] = {}
    decisions = Decision.objects.filter(
        meeting__conference=conference,
        applied_at__isnull=False,
        meeting__held_on__year=today.year,
    ).select_related("lead")
    for d in decisions.order_by("lead__code"):
        row = units.setdefault(d.lead.name, UnitRow(d.lead.name))
        row.led += 1
        if d.done_at is not None:
            on_time = d.due_on is None or timezone.localdate(d.done_at) <= d.due_on
            row.on_time += on_time
            row.late += not on_time
        elif d.due_on is not None and d.due_on < today:
            row.overdue += 1
        else:
            row.in_progress += 1
    found.units = list(units.values())
    # 4. From a topic's first appearance (on an agenda, or proposed by a unit) to the day its
    #    last decision was carried out, for topics resolved this year.
    found.resolved, found.median_days_to_resolution = _days_to_resolution(conference, today)
    return found


def _days_to_resolution(conference: Conference, today: date) -> tuple[int, float | None]:
    first: dict[str, datetime] = {}
    for key, created in Topic.objects.filter(meeting__conference=conference).values_list(
        "key", "meeting__created_at"
    ):
        first[key] = min(created, first.get(key, created))
    for pk, proposed in TopicProposal.objects.filter(conference=conference).values_list(
        "pk", "proposed_at"
    ):
        key = f"proposal:{pk}"
        if key in first:
            first[key] = min(proposed, first[key])
    done: dict[str, list[datetime | None]] = {}
    for key, done_at in Decision.objects.filter(
        meeting__conference=conference, applied_at__isnull=False, topic__isnull=False
    ).values_list("topic__key", "done_at"):
        done.setdefault(key, []).append(done_at)
    county = conference.county.code
    days = []
    for key, moments in done.items():
        if key not in first or any(m is None for m in moments):
            continue
        resolved = timezone.localdate(max(m for m in moments if m is not None))
        if resolved.year == today.year:
            days.append(working_days_between(timezone.localdate(first[key]), resolved, county))
    return len(days), (float(median(days)) if days else None)


def panel(user: Any, now: datetime) -> Panel | None:
    """The figures for those who see the whole county's conference (office, supervisors)."""
    rights = rights_for_panel(user)
    if rights is None or not rights.sees_all:
        return None
    figures = compute(rights.conference, timezone.localdate(now))
    return Panel(
        title=_("Joint conference figures"),
        template="meetings/_figures.html",
        rows=figures.units,
        extra={"figures": figures},
    )


def register() -> None:
    register_panel(BOARD, "meetings.figures", panel)
    register_panel(FIGURES, "meetings.figures", panel)
