"""Supervision figures: how each agency, township and item keeps its time limits.

Everything here reads the Referral projections (cases/projection.py and the services keep
them), never the engine's serialized state. Every figure is about the referrals *received* in
the period (``referred_at`` within it), so a period's numbers do not move when later work is
added, except for what is still open:

- signed on time: ``signed_at <= sign_due_at``;
- completed: feedback given (``feedback_at``); a withdrawn referral is neither completed nor late;
- completed on time: ``feedback_at <= handle_due_at``;
- overdue: still open and past its current step's due time (the board's definition), with its
  age in working days on the county's official calendar;
- on-time rate: completed on time / (completed + overdue). Work still open and not yet due is
  left out: whether it will be on time is not known yet, and counting it either way would
  flatter or punish an agency for work it still has time to do;
- median and 90th percentile of working days from referral to feedback (``working_days_taken``),
  PostgreSQL's ``percentile_cont`` (linear interpolation between the two nearest values).

How it stays fast (README "Measured"): one grouped scan of the period's referrals returns, per
(agency, township, item, working days taken), the counts; the three tables and the percentiles
are rolled up from it in Python. Percentiles do not roll up, but a histogram of a small integer
(working days) does, exactly, and the same code runs on SQLite (the demo) and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import ceil, floor
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from onedoor.cases.access import staff_of
from onedoor.cases.models import Handover, Referral, ReferralQuerySet
from onedoor.catalogue.models import Item
from onedoor.deadlines.workdays import SPAN, WorkingCalendar
from onedoor.directory.models import Agency, Division

# The overdue list on the page and in the export: the oldest first, this many at most.
OVERDUE_LIST_LIMIT = 200
# Memory PostgreSQL may use for the grouped scan's hash tables, for this transaction only.
# At the server default (4MB) a year of a large county spills its sort to disk: measured at
# 1M cases, 2.5 s with 4MB against 1.7 s with 32-64MB (README "Measured").
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Row:
    """One line of a table: an agency, a township, an item, or the whole county."""

    code: str
    name: str
    received: int
    signed_on_time: int
    completed: int
    completed_on_time: int
    overdue: int
    # Working days the oldest overdue referral is past its due day (None: nothing overdue).
    longest_overdue: int | None
    returns: int
    transfers: int
    median_days: float | None
    p90_days: float | None
    # Referrals granted (予以救助) and the money they paid, in fen.
    granted: int = 0
    amount_fen: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Completed on time / (completed + overdue); None when nothing is decided yet."""
        decided = self.completed + self.overdue
        return self.completed_on_time / decided if decided else None


@dataclass(frozen=True)
class OverdueReferral:
    referral_id: int
    reference: str
    item: str
    agency: str
    township: str
    step: str
    due_at: datetime
    days_overdue: int
    escalation_level: int


@dataclass(frozen=True)
class Figures:
    start: date
    end: date
    today: date
    county: str
    # The 慢作为 threshold, as a fraction (0.8 = 80 %).
    threshold: float
    total: Row
    by_agency: list[Row]
    by_township: list[Row]
    by_item: list[Row]
    # Oldest first, at most OVERDUE_LIST_LIMIT of `total.overdue`.
    overdue: list[OverdueReferral]

    @property
    def slow_agencies(self) -> list[Row]:
        """Agencies whose on-time rate is below the threshold (慢作为), worst first."""
        slow = [
            r
            for r in self.by_agency
            if r.on_time_rate is not None and r.on_time_rate < self.threshold
        ]
        return sorted(slow, key=lambda r: (r.on_time_rate or 0.0, r.code))


def threshold() -> float:
    """The on-time rate below which an agency is listed as slow, from settings (percent)."""
    return float(getattr(settings, "SUPERVISION_ON_TIME_THRESHOLD", 80)) / 100


# Periods.

PRESETS = ("month", "quarter", "year")


def preset_period(name: str, today: date) -> tuple[date, date]:
    """This month / quarter / year, up to today."""
    if name == "month":
        return today.replace(day=1), today
    if name == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if name == "year":
        return date(today.year, 1, 1), today
    raise ValueError(f"unknown period preset {name!r}")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the local time zone (days are local days)."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


# Percentiles from a histogram.


def percentile(histogram: Counter[int], fraction: float) -> float | None:
    """`percentile_cont(fraction)` of the values a histogram counts (value -> how many)."""
    n = sum(histogram.values())
    if n == 0:
        return None
    position = fraction * (n - 1)
    low_rank, high_rank = floor(position), ceil(position)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None and high is not None
    return low + (high - low) * (position - low_rank)


# The roll-up.


@dataclass
class _Tally:
    received: int = 0
    signed_on_time: int = 0
    completed: int = 0
    completed_on_time: int = 0
    overdue: int = 0
    longest_overdue: int | None = None
    returns: int = 0
    transfers: int = 0
    granted: int = 0
    amount_fen: int = 0
    days: Counter[int] = field(default_factory=Counter)

    def add(self, group: Mapping[str, Any]) -> None:
        self.received += group["received"]
        self.signed_on_time += group["signed_on_time"]
        self.completed += group["completed"]
        self.completed_on_time += group["completed_on_time"]
        self.overdue += group["overdue"]
        self.granted += group["granted"]
        self.amount_fen += group["amount_fen"] or 0
        if group["working_days_taken"] is not None and group["completed"]:
            self.days[group["working_days_taken"]] += group["completed"]

    def age(self, days_overdue: int) -> None:
        self.longest_overdue = max(self.longest_overdue or 0, days_overdue)

    def row(self, code: str, name: str) -> Row:
        return Row(
            code=code,
            name=name,
            received=self.received,
            signed_on_time=self.signed_on_time,
            completed=self.completed,
            completed_on_time=self.completed_on_time,
            overdue=self.overdue,
            longest_overdue=self.longest_overdue,
            returns=self.returns,
            transfers=self.transfers,
            median_days=percentile(self.days, 0.5),
            p90_days=percentile(self.days, 0.9),
            granted=self.granted,
            amount_fen=self.amount_fen,
        )


def _scope(who: Any) -> tuple[ReferralQuerySet, Division]:
    """The referrals a user may see (visible_to decides), or a whole county's (benchmarks)."""
    if isinstance(who, Division):
        county = who.county
        return Referral.objects.filter(township__parent=county), county
    staff = staff_of(who)
    if staff is None:
        raise ValueError("figures need a user with a role, or a county")
    return Referral.objects.visible_to(who), staff.county


def working_days_overdue(due_days: Iterable[date], today: date, county: str) -> dict[date, int]:
    """Working days from each due day to today (0 for today or later), on the county calendar.

    Walks backwards from today through the distinct due days, so the calendar is read once
    over the whole span instead of once per overdue referral.
    """
    days = set(due_days)
    ordered = sorted((d for d in days if d < today), reverse=True)
    ages = dict.fromkeys(days, 0)
    later, age = today, 0
    calendar: WorkingCalendar | None = None
    for day in ordered:
        # A calendar holds the overrides of SPAN around where it was loaded.
        if calendar is None or calendar.start is None or day < calendar.start - SPAN / 2:
            calendar = WorkingCalendar.load(day, county)
        age += calendar.between(day, later)
        ages[day] = age
        later = day
    return ages


def compute(
    who: Any,
    start: date,
    end: date,
    *,
    now: datetime | None = None,
    limit: int = OVERDUE_LIST_LIMIT,
) -> Figures:
    """The figures of the referrals received from `start` to `end` (local days, inclusive).

    `who` is a user (a coordinator or supervisor: their scope, as `Referral.objects.visible_to`
    decides) or a county `Division` (the whole county; for benchmarks and reports).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        return _compute(who, start, end, now=now, limit=limit)


def _compute(who: Any, start: date, end: date, *, now: datetime | None, limit: int) -> Figures:
    now = now or timezone.now()
    today = timezone.localdate(now)
    referrals, county = _scope(who)
    low, high = period_bounds(start, end)
    cohort = referrals.filter(referred_at__gte=low, referred_at__lt=high).order_by()
    withdrawn = Q(outcome=Referral.Outcome.WITHDRAWN)
    completed = Q(feedback_at__isnull=False) & ~withdrawn
    late = Q(current_task__isnull=False, due_at__lt=now)

    # 1. One grouped scan: counts per agency x township x item x working days taken.
    groups = cohort.values("agency_id", "item_id", "working_days_taken", "township_id").annotate(
        received=Count("id"),
        signed_on_time=Count("id", filter=Q(signed_at__lte=F("sign_due_at"))),
        completed=Count("id", filter=completed),
        completed_on_time=Count("id", filter=completed & Q(feedback_at__lte=F("handle_due_at"))),
        overdue=Count("id", filter=late),
        granted=Count("id", filter=Q(outcome=Referral.Outcome.GRANTED)),
        amount_fen=Sum("amount_fen", filter=Q(outcome=Referral.Outcome.GRANTED)),
    )
    total = _Tally()
    agencies: dict[int, _Tally] = {}
    townships: dict[int, _Tally] = {}
    items: dict[int, _Tally] = {}
    for group in groups:
        for tallies, key in (
            (agencies, group["agency_id"]),
            (townships, group["township_id"]),
            (items, group["item_id"]),
        ):
            tallies.setdefault(key, _Tally()).add(group)
        total.add(group)

    # Returns and transfers, credited to the agency that sent the referral on (the
    # referral's own agency has moved on to the next one by then).
    handovers = (
        Handover.objects.filter(referral__in=cohort.values("pk"))
        .values("kind", "from_agency_id", "referral__township_id", "referral__item_id")
        .annotate(n=Count("id"))
    )
    for moved in handovers:
        attribute = "returns" if moved["kind"] == Handover.Kind.RETURN else "transfers"
        for tallies, key in (
            (agencies, moved["from_agency_id"]),
            (townships, moved["referral__township_id"]),
            (items, moved["referral__item_id"]),
        ):
            tally = tallies.setdefault(key, _Tally())
            setattr(tally, attribute, getattr(tally, attribute) + moved["n"])
        setattr(total, attribute, getattr(total, attribute) + moved["n"])

    # 2. Overdue ages: the distinct due days of what is late, counted on the county calendar.
    tz = timezone.get_current_timezone()
    late_groups = list(
        cohort.filter(late)
        .annotate(due_day=TruncDate("due_at", tzinfo=tz))
        .values("agency_id", "item_id", "due_day", "township_id")
        .annotate(n=Count("id"))
    )
    ages = working_days_overdue([g["due_day"] for g in late_groups], today, county.code)
    for late_group in late_groups:
        days = ages[late_group["due_day"]]
        agencies[late_group["agency_id"]].age(days)
        townships[late_group["township_id"]].age(days)
        items[late_group["item_id"]].age(days)
        total.age(days)

    # 3. Rows with names: every member agency and township of the county, items with work.
    agency_rows = [
        agencies.get(a.pk, _Tally()).row(a.code, a.name)
        for a in Agency.objects.filter(county=county).order_by("code")
    ]
    agency_rows += [
        tally.row(a.code, a.name)
        for a in Agency.objects.filter(pk__in=set(agencies)).exclude(county=county)
        for tally in [agencies[a.pk]]
    ]
    township_rows = [
        townships.get(t.pk, _Tally()).row(t.code, t.name)
        for t in Division.objects.filter(parent=county, level=Division.Level.TOWNSHIP)
    ]
    item_rows = [items[i.pk].row(i.code, i.name) for i in Item.objects.filter(pk__in=set(items))]
    item_rows.sort(key=lambda r: r.code)

    # 4. The overdue list, oldest first.
    oldest = (
        cohort.filter(late)
        .select_related("case", "township", "agency", "item")
        .order_by("due_at", "pk")[:limit]
    )
    overdue = [
        OverdueReferral(
            referral_id=r.pk,
            reference=r.case.reference,
            item=r.item.name,
            agency=r.agency.name,
            township=r.township.name,
            step=r.step,
            due_at=r.due_at,
            days_overdue=ages.get(timezone.localdate(r.due_at), 0),
            escalation_level=r.escalation_level,
        )
        for r in oldest
        if r.due_at is not None
    ]
    return Figures(
        start=start,
        end=end,
        today=today,
        county=county.name,
        threshold=threshold(),
        total=total.row(county.code, county.name),
        by_agency=agency_rows,
        by_township=township_rows,
        by_item=item_rows,
        overdue=overdue,
    )
