"""Working days on the Chinese official calendar: weekends, public holidays, 调休 days.

The one module that counts working days. The official calendar comes from the
`chinesecalendar` package, which knows a year only once the State Council has published
it; for a later year we fall back to Monday-Friday and say so (`CalendarResult.certain`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarResult:
    day: date
    # False when some day counted lies in a year the official calendar does not cover yet.
    certain: bool


def is_workday(day: date) -> tuple[bool, bool]:
    """(is it a working day, is that answer from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, days: int) -> CalendarResult:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted, certain = start, 0, True
    while counted < days:
        day += timedelta(days=1)
        workday, known = is_workday(day)
        certain = certain and known
        if workday:
            counted += 1
    if not certain:
        log.warning(
            "working days from %s to %s counted as Monday-Friday: the official calendar "
            "does not cover that year yet; enter its holidays by hand",
            start,
            day,
        )
    return CalendarResult(day, certain)


def previous_working_day(day: date) -> CalendarResult:
    certain = True
    while True:
        day -= timedelta(days=1)
        workday, known = is_workday(day)
        certain = certain and known
        if workday:
            return CalendarResult(day, certain)
