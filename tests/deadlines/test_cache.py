"""Clocks read the time-limit rules and calendars from the process's cache: no query once
cached, an edit in this process counts at once (and a rolled-back one never), an edit made
elsewhere counts once the cached copy expires.

These tests commit (transaction=True), as production does: inside a test's own transaction
every write would be an uncommitted edit, which the cache rightly stays out of.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from onedoor.catalogue.models import Item
from onedoor.deadlines import cache
from onedoor.deadlines.handlers import start_step
from onedoor.deadlines.models import CalendarDay, TimeLimitRule
from onedoor.directory.models import Agency, Division
from workflows.handlers import ServiceCall
from workflows.models import ProcessInstance

pytestmark = pytest.mark.django_db(transaction=True)

# Monday 2026-11-02: no holiday in November, so the working days are Monday-Friday.
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNTY = "130302"


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    # Other test folders empty tables with raw SQL, which no cache hears of.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def county() -> Division:
    return Division.objects.create(code=COUNTY, name="海港区", level="county")


@pytest.fixture
def item() -> Item:
    return Item.objects.create(
        code="yiliao", name="医疗救助", category="医疗", agency_kind=Agency.Kind.HEALTH
    )


@pytest.fixture
def rule(item: Item) -> TimeLimitRule:
    TimeLimitRule.objects.create(
        item=None,
        step="sign",
        working_days=2,
        source="县级惯例",
        effective_from=date(2020, 1, 1),
    )
    return TimeLimitRule.objects.create(
        item=item,
        step="handle",
        working_days=10,
        source="某市医疗救助经办规程",
        effective_from=date(2020, 1, 1),
    )


def clock(step: str = "handle") -> dict[str, Any]:
    call = ServiceCall(
        operator="deadline.start_step",
        params={"step": step, "county": COUNTY, "referral": {"item_code": "yiliao"}},
        instance=ProcessInstance(),
        bpmn_id="start_handling",
        lane="",
        now=NOW,
    )
    return start_step(call)


def due_day(computed: dict[str, Any]) -> date:
    return datetime.fromisoformat(computed["due_at"]).date()


def test_a_clock_start_asks_the_database_nothing_once_cached(
    rule: TimeLimitRule, county: Division, django_assert_num_queries: Any
) -> None:
    clock()
    clock("sign")
    with django_assert_num_queries(0):
        handle, sign = clock(), clock("sign")
    assert (handle["days"], handle["rule_id"], due_day(handle)) == (10, rule.pk, date(2026, 11, 16))
    assert (sign["days"], due_day(sign)) == (2, date(2026, 11, 4))


def test_a_cached_rule_is_used_while_no_edit_is_heard_of(rule: TimeLimitRule) -> None:
    assert clock()["days"] == 10
    # Another process's bulk edit: no signal reaches this one.
    TimeLimitRule.objects.filter(pk=rule.pk).update(working_days=3)
    assert clock()["days"] == 10


def test_editing_a_rule_changes_the_next_due_at_once(rule: TimeLimitRule) -> None:
    assert due_day(clock()) == date(2026, 11, 16)
    rule.working_days = 3
    rule.save()
    assert (clock()["days"], due_day(clock())) == (3, date(2026, 11, 5))
    rule.delete()
    assert (clock()["days"], clock()["source"]) == (10, "default")


def test_a_county_day_off_moves_the_next_due_at_once(rule: TimeLimitRule, county: Division) -> None:
    assert due_day(clock("sign")) == date(2026, 11, 4)
    closure = CalendarDay.objects.create(
        day=date(2026, 11, 4), county=county, is_workday=False, note="县城区停水停电闭馆"
    )
    assert due_day(clock("sign")) == date(2026, 11, 5)
    closure.is_workday = True
    closure.save()
    assert due_day(clock("sign")) == date(2026, 11, 4)


def test_an_edit_rolled_back_is_not_remembered(rule: TimeLimitRule) -> None:
    assert clock()["days"] == 10
    with pytest.raises(RuntimeError), transaction.atomic():
        rule.working_days = 3
        rule.save()
        # The transaction that made the edit computes with it...
        assert clock()["days"] == 3
        raise RuntimeError("the audit row could not be written")
    # ...and once it is rolled back nobody does.
    assert clock()["days"] == 10


def test_an_edit_made_elsewhere_counts_once_the_cached_copy_expires(
    rule: TimeLimitRule, settings: Any
) -> None:
    settings.DEADLINES_CACHE_SECONDS = 60
    read_at = datetime.now(tz=ZoneInfo("UTC"))
    assert clock()["days"] == 10
    TimeLimitRule.objects.filter(pk=rule.pk).update(working_days=3)
    with time_machine.travel(read_at + timedelta(seconds=55), tick=False):
        assert clock()["days"] == 10
    with time_machine.travel(read_at + timedelta(seconds=65), tick=False):
        assert clock()["days"] == 3


def test_no_cache_when_its_lifetime_is_zero(rule: TimeLimitRule, settings: Any) -> None:
    settings.DEADLINES_CACHE_SECONDS = 0
    assert clock()["days"] == 10
    TimeLimitRule.objects.filter(pk=rule.pk).update(working_days=3)
    assert clock()["days"] == 3
