"""Lateness told in working days, and 督办 levels in words: one way on every page."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from onedoor.deadlines.words import days_late, lateness, supervision_level

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


# Friday 27 November 2026 at 17:00: no holiday near it.
DUE = at(date(2026, 11, 27), 17)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now, told, late",
    [
        (at(date(2026, 11, 27), 17, 49), "已逾期，不足1个工作日", 0),  # 49 minutes late
        (at(date(2026, 11, 29), 10), "已逾期，不足1个工作日", 0),  # Sunday: no working day yet
        (at(date(2026, 11, 30), 9), "逾期1个工作日", 1),  # Monday
        (at(date(2026, 12, 28), 9), "逾期21个工作日", 21),  # a month on: never "1 月"
        (at(date(2026, 11, 27), 9), "今日到期", 0),
        (at(date(2026, 11, 26), 9), "还剩1个工作日", 0),
        (at(date(2026, 11, 25), 9), "还剩2个工作日", 0),
    ],
)
def test_lateness_is_told_in_working_days(now: datetime, told: str, late: int) -> None:
    with translation.override("zh-hans"):
        assert lateness(DUE, now) == told
    assert days_late(DUE, now) == late


@pytest.mark.django_db
def test_lateness_reads_in_english_too() -> None:
    with translation.override("en"):
        assert lateness(DUE, at(date(2026, 12, 1), 9)) == "Overdue by 2 working days"
        assert lateness(DUE, at(date(2026, 11, 30), 9)) == "Overdue by 1 working day"
        assert lateness(None) == ""


def test_levels_read_in_words() -> None:
    with translation.override("zh-hans"):
        assert [supervision_level(n) for n in (0, 1, 2)] == ["", "一级督办", "二级督办"]
