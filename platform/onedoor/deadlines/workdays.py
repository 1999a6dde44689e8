"""Working days on the Chinese official calendar: weekends, public holidays, 调休 days.

The one module that counts working days. In order of precedence a day is decided by
1. an administrator's override for the county (a local closure),
2. an administrator's override for everyone (e.g. the holidays of a year entered by hand),
3. the official calendar from the `chinesecalendar` package, which knows a year only once the
   State Council has published it,
4. else Monday-Friday, and the answer is marked uncertain (`CalendarResult.certain`) unless
   the year was entered by hand (`CalendarYear`), and a warning is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

# How far ahead overrides are loaded for one computation (limits are weeks, not years).
SPAN = timedelta(days=400)


@dataclass(frozen=True)
class CalendarResult:
    day: date
    # False when some day counted lies in a year neither the official calendar nor an
    # administrator covers: the day was counted as Monday-Friday.
    certain: bool


def official_years() -> range:
    """The years the installed `chinesecalendar` knows."""
    holidays = chinese_calendar.holidays
    years = sorted({d.year for d in holidays})
    return range(years[0], years[-1] + 1)


_OFFICIAL_YEARS = official_years()


def _official(day: date) -> bool | None:
    # chinese_calendar.is_workday's answer without its range check, which takes the min and
    # max of every holiday it knows on each call: ~30 us a day, ~25 days looked at per clock.
    if day.year not in _OFFICIAL_YEARS:
        return None
    return day in chinese_calendar.workdays or (
        day.weekday() < 5 and day not in chinese_calendar.holidays
    )


@dataclass
class WorkingCalendar:
    """The calendar of one county (or of the whole platform), with overrides preloaded."""

    county: str = ""
    start: date | None = None
    _overrides: dict[date, bool] = field(default_factory=dict)
    _hand_years: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, start: date, county: str = "") -> WorkingCalendar:
        from .models import CalendarDay, CalendarYear

        cal = cls(county=county, start=start)
        rows = CalendarDay.objects.filter(day__gte=start - SPAN, day__lte=start + SPAN)
        rows = rows.filter(county__isnull=True) | rows.filter(county__code=county)
        # County rows override platform rows: apply those last.
        for day, is_workday, _county in sorted(
            rows.values_list("day", "is_workday", "county_id"), key=lambda r: r[2] is not None
        ):
            cal._overrides[day] = is_workday
        cal._hand_years = set(CalendarYear.objects.values_list("year", flat=True))
        return cal

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that answer known rather than guessed)."""
        if day in self._overrides:
            return self._overrides[day], True
        official = _official(day)
        if official is not None:
            return official, True
        return day.weekday() < 5, day.year in self._hand_years

    def add(self, start: date, days: int) -> CalendarResult:
        """The date `days` working days after `start` (start itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day, counted, certain = start, 0, True
        while counted < days:
            day += timedelta(days=1)
            workday, known = self.is_workday(day)
            certain = certain and known
            if workday:
                counted += 1
        if not certain:
            _warn(start, day)
        return CalendarResult(day, certain)

    def previous(self, day: date, days: int = 1) -> CalendarResult:
        """The working day `days` working days before `day`."""
        certain, counted = True, 0
        while counted < days:
            day -= timedelta(days=1)
            workday, known = self.is_workday(day)
            certain = certain and known
            if workday:
                counted += 1
        return CalendarResult(day, certain)

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        counted, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day)[0]:
                counted += 1
        return counted


def _warn(start: date, end: date) -> None:
    log.warning(
        "working days from %s to %s counted as Monday-Friday: the official calendar does not "
        "cover that year yet; enter its holidays by hand (日历调整) and mark the year entered",
        start,
        end,
    )


# These read the calendar through the process's cache (deadlines.cache).


def add_working_days(start: date, days: int, county: str = "") -> CalendarResult:
    from .cache import working_calendar

    return working_calendar(start, county).add(start, days)


def previous_working_day(day: date, county: str = "") -> CalendarResult:
    from .cache import working_calendar

    return working_calendar(day, county).previous(day)


def working_days_between(start: date, end: date, county: str = "") -> int:
    from .cache import working_calendar

    return working_calendar(start, county).between(start, end)


def uncovered_years(start: date, horizon_days: int = 90) -> list[int]:
    """Years between `start` and `start + horizon` that no calendar covers (for the banner)."""
    from .cache import hand_entered_years

    known = set(_OFFICIAL_YEARS) | hand_entered_years()
    end = start + timedelta(days=horizon_days)
    return [y for y in range(start.year, end.year + 1) if y not in known]
