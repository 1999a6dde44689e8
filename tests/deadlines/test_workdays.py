"""Working days on real calendar dates: Spring Festival, the golden week, 调休 Saturdays,
a county's own closure, and a year the official calendar does not know yet."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from onedoor.deadlines.models import CalendarDay, CalendarYear
from onedoor.deadlines.workdays import (
    add_working_days,
    uncovered_years,
    working_days_between,
)
from onedoor.directory.models import Division

pytestmark = pytest.mark.django_db


def test_a_make_up_saturday_counts_and_spring_festival_does_not() -> None:
    # 2026: Saturday Feb 14 is a make-up working day; Feb 15-23 are the Spring Festival.
    assert add_working_days(date(2026, 2, 13), 1).day == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2).day == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 2).certain


def test_the_national_day_golden_week_is_skipped() -> None:
    assert add_working_days(date(2026, 9, 30), 1).day == date(2026, 10, 8)
    # Saturday Oct 10 is a make-up working day.
    assert add_working_days(date(2026, 10, 9), 1).day == date(2026, 10, 10)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4


def test_a_county_closure_counts_only_in_that_county(county: Division) -> None:
    CalendarDay.objects.create(
        day=date(2026, 2, 24), county=county, is_workday=False, note="县城区停水停电闭馆"
    )
    assert add_working_days(date(2026, 2, 14), 1, county="130302").day == date(2026, 2, 25)
    assert add_working_days(date(2026, 2, 14), 1, county="130303").day == date(2026, 2, 24)


def test_a_year_the_calendar_does_not_know_is_counted_mon_fri_and_said_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="onedoor.deadlines.workdays"):
        result = add_working_days(date(2026, 12, 30), 2)
    assert result.day == date(2027, 1, 1)  # a Friday, counted as a working day
    assert not result.certain
    assert "enter its holidays by hand" in caplog.text
    assert uncovered_years(date(2026, 11, 22)) == [2027]


def test_a_year_entered_by_hand_is_certain_and_its_holidays_count() -> None:
    CalendarYear.objects.create(year=2027, source="国务院办公厅关于2027年部分节假日安排的通知")
    CalendarDay.objects.create(day=date(2027, 1, 1), is_workday=False, note="元旦")
    result = add_working_days(date(2026, 12, 30), 2)
    assert result.day == date(2027, 1, 4)
    assert result.certain
    assert uncovered_years(date(2026, 11, 22)) == []
