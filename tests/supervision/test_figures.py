"""Exact figures from referrals with known dates (conftest.make_referral).

The clock: 2026-10-12 (Monday) 10:00. National Day 2026 is 1-7 October, and Saturday
10 October is a make-up working day (调休), so a referral due on 30 September is 4 working
days overdue (8, 9, 10 and 12 October) and one due on Friday 9 October is 2 (10 and 12).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.models import Aggregate, FloatField

from onedoor.cases.models import Referral
from onedoor.directory.models import Division
from onedoor.supervision.figures import Figures, Row, compute, percentile, preset_period

from .conftest import at, make_referral


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`: the
    reference the figures' histogram percentiles (figures.percentile, which run on SQLite too
    and roll up in one scan) must agree with."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


NOW = at("2026-10-12 10:00")
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def on_time(referred: str, days: int, feedback: str, **kw: Any) -> Referral:
    """Signed and completed within both limits."""
    return make_referral(
        referred=referred,
        sign_due=f"{referred[:10]} 23:00",
        signed=referred,
        handle_due="2026-12-31 17:00",
        feedback=feedback,
        days_taken=days,
        **kw,
    )


@pytest.fixture
def scenario(county: Division) -> None:
    """Medical (医疗救助, 文化路街道): 6 received, 2 of 4 decided on time, one 4 days overdue.
    Education (义务教育资助, 东港镇): 5 received, 4 of 5 decided on time (exactly 80 %)."""
    med: dict[str, Any] = {"item": "yiliao", "agency": "medical", "township": "130302001"}
    on_time("2026-03-02 09:00", 6, "2026-03-10 15:00", **med)
    make_referral(  # signed a day late, completed ten days late
        referred="2026-03-09 09:00",
        sign_due="2026-03-11 17:00",
        signed="2026-03-12 09:00",
        handle_due="2026-03-31 17:00",
        feedback="2026-04-10 11:00",
        days_taken=24,
        **med,
    )
    on_time("2026-04-01 09:00", 10, "2026-04-15 09:00", **med)
    make_referral(  # handling, due the day before National Day
        referred="2026-09-01 09:00",
        sign_due="2026-09-03 17:00",
        signed="2026-09-02 09:00",
        handle_due="2026-09-30 17:00",
        open_due="2026-09-30 17:00",
        **med,
    )
    make_referral(referred="2026-05-06 09:00", withdrawn=True, returns=1, **med)
    make_referral(referred="2026-10-09 09:00", open_due="2026-10-14 17:00", **med)  # not yet due
    on_time("2025-12-30 09:00", 3, "2026-01-05 09:00", **med)  # received last year

    edu: dict[str, Any] = {"item": "edu_compulsory", "agency": "education", "township": "130302101"}
    on_time("2026-02-02 09:00", 5, "2026-02-09 09:00", **edu)
    on_time("2026-06-01 09:00", 7, "2026-06-10 09:00", transfers=1, **edu)
    on_time("2026-07-01 09:00", 9, "2026-07-14 09:00", **edu)
    on_time("2026-08-03 09:00", 3, "2026-08-06 09:00", **edu)
    make_referral(referred="2026-09-20 09:00", open_due="2026-10-09 17:00", **edu)


def row(rows: list[Row], code: str) -> Row:
    [found] = [r for r in rows if r.code == code]
    return found


@pytest.mark.django_db
def test_it_counts_each_agency_over_the_year(scenario: None, dave: Any) -> None:
    figures = compute(dave, *YEAR, now=NOW)

    medical = row(figures.by_agency, "130302-medical")
    assert medical == Row(
        code="130302-medical",
        name="县医疗保障局",
        received=6,
        signed_on_time=3,
        completed=3,
        completed_on_time=2,
        overdue=1,
        longest_overdue=4,
        returns=1,
        transfers=0,
        median_days=10.0,
        p90_days=pytest.approx(21.2),  # type: ignore[arg-type]
        granted=3,  # the scenario's completed referrals are granted, with no amount recorded
        amount_fen=0,
    )
    # Withdrawn and not-yet-due work is left out: 2 on time of 3 completed + 1 overdue.
    assert medical.on_time_rate == 0.5

    education = row(figures.by_agency, "130302-education")
    assert (education.received, education.completed_on_time, education.overdue) == (5, 4, 1)
    assert education.on_time_rate == 0.8
    assert (education.median_days, education.p90_days) == (6.0, pytest.approx(8.4))
    assert education.longest_overdue == 2  # Friday 9 October → Saturday 10 (调休) and Monday 12
    assert education.transfers == 1

    civil = row(figures.by_agency, "130302-civil")  # every member agency is listed
    assert (civil.received, civil.on_time_rate, civil.median_days) == (0, None, None)


@pytest.mark.django_db
def test_townships_items_and_the_county_total(scenario: None, dave: Any) -> None:
    figures = compute(dave, *YEAR, now=NOW)

    assert row(figures.by_township, "130302001").received == 6
    assert row(figures.by_township, "130302101").on_time_rate == 0.8
    assert row(figures.by_township, "130302102").received == 0
    assert [r.code for r in figures.by_item] == ["edu_compulsory", "yiliao"]
    assert row(figures.by_item, "yiliao").p90_days == pytest.approx(21.2)

    total = figures.total
    assert (total.received, total.completed, total.completed_on_time, total.overdue) == (
        11,
        7,
        6,
        2,
    )
    assert total.on_time_rate == pytest.approx(6 / 9)
    # Days taken 3 5 6 7 9 10 24: median 7; p90 at rank 5.4 → 10 + 0.4 × 14.
    assert (total.median_days, total.p90_days) == (7.0, pytest.approx(15.6))


@pytest.mark.django_db
def test_slow_agencies_are_those_below_the_threshold(
    scenario: None, dave: Any, settings: Any
) -> None:
    figures = compute(dave, *YEAR, now=NOW)
    # Education is at exactly 80 %: not below. An agency with nothing decided is not listed.
    assert [r.code for r in figures.slow_agencies] == ["130302-medical"]

    settings.SUPERVISION_ON_TIME_THRESHOLD = 85
    assert [r.code for r in compute(dave, *YEAR, now=NOW).slow_agencies] == [
        "130302-medical",
        "130302-education",
    ]


@pytest.mark.django_db
def test_overdue_list_gives_working_days_across_the_holiday(scenario: None, erin: Any) -> None:
    figures = compute(erin, *YEAR, now=NOW)
    assert [(o.agency, o.due_at, o.days_overdue) for o in figures.overdue] == [
        ("县医疗保障局", at("2026-09-30 17:00"), 4),
        ("县教育局", at("2026-10-09 17:00"), 2),
    ]


@pytest.mark.django_db
def test_due_this_morning_is_overdue_by_zero_working_days(county: Division, dave: Any) -> None:
    make_referral(referred="2026-10-08 09:00", open_due="2026-10-12 09:00")
    [late] = compute(dave, *YEAR, now=NOW).overdue
    assert late.days_overdue == 0


@pytest.mark.django_db
def test_the_period_is_made_of_local_days(county: Division, dave: Any) -> None:
    make_referral(referred="2026-12-31 23:30")  # 15:30 UTC: still 2026 in 海港区
    make_referral(referred="2027-01-01 00:10")
    make_referral(referred="2026-06-30 23:59")
    assert compute(dave, *YEAR, now=NOW).total.received == 2
    assert compute(dave, date(2026, 7, 1), date(2026, 12, 31), now=NOW).total.received == 1


@pytest.mark.django_db
def test_a_coordinator_sees_only_their_county(scenario: None, dave: Any, zoe: Any) -> None:
    make_referral(township="130303001", referred="2026-05-01 09:00")

    assert compute(dave, *YEAR, now=NOW).total.received == 11
    theirs: Figures = compute(zoe, *YEAR, now=NOW)
    assert theirs.total.received == 1
    assert [r.code for r in theirs.by_township] == ["130303001"]
    assert {r.code for r in theirs.by_agency if r.received} == {"130303-medical"}
    # The county itself (benchmarks call it so) gives the same as its coordinator.
    county = Division.objects.get(code="130302")
    assert compute(county, *YEAR, now=NOW).total == compute(dave, *YEAR, now=NOW).total


def test_presets_run_from_the_start_of_the_month_quarter_and_year_to_today() -> None:
    today = date(2026, 8, 19)
    assert preset_period("month", today) == (date(2026, 8, 1), today)
    assert preset_period("quarter", today) == (date(2026, 7, 1), today)
    assert preset_period("year", today) == (date(2026, 1, 1), today)


def test_percentile_interpolates_like_percentile_cont() -> None:
    from collections import Counter

    assert percentile(Counter(), 0.5) is None
    assert percentile(Counter({4: 1}), 0.9) == 4
    assert percentile(Counter({1: 1, 2: 1, 3: 1, 4: 1}), 0.5) == 2.5
    assert percentile(Counter({1: 9, 100: 1}), 0.9) == pytest.approx(10.9)


@pytest.mark.django_db
def test_histogram_percentiles_agree_with_postgresql(scenario: None, dave: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    figures = compute(dave, *YEAR, now=NOW)
    for r in figures.by_agency:
        done = Referral.objects.filter(
            agency__code=r.code,
            referred_at__year=2026,
            working_days_taken__isnull=False,
        ).exclude(outcome=Referral.Outcome.WITHDRAWN)
        expected = done.aggregate(
            median=PercentileCont("working_days_taken", 0.5),
            p90=PercentileCont("working_days_taken", 0.9),
        )
        assert (r.median_days, r.p90_days) == (
            pytest.approx(expected["median"]) if expected["median"] is not None else None,
            pytest.approx(expected["p90"]) if expected["p90"] is not None else None,
        )


@pytest.mark.django_db
def test_returns_and_transfers_count_against_the_agency_that_sent_the_work_on(
    alice: Any, bob: Any, carol: Any, dave: Any
) -> None:
    """Through the real services: medical (Bob) transfers a case to education and returns
    another to the window, which re-routes it to health; the referrals' agency moves on, the
    returns and transfers stay with medical."""
    from onedoor.cases import services
    from onedoor.directory.models import Agency
    from tests.cases.conftest import refer_all, register, task_of

    transferred = register(alice, "yiliao", seq=1)
    refer_all(transferred, alice)
    services.sign_referral(
        task_of(transferred, "sign_for_referral"),
        actor=bob,
        decision="transfer",
        reason="属教育救助",
        transfer_to=Agency.objects.get(kind="education"),
    )
    returned = register(alice, "yiliao", seq=2)
    refer_all(returned, alice)
    services.sign_referral(
        task_of(returned, "sign_for_referral"), actor=bob, decision="return", reason="材料不全"
    )
    services.reroute_referral(
        task_of(returned, "reroute_referral"), actor=alice, to=Agency.objects.get(kind="health")
    )
    assert {r.agency.kind for r in Referral.objects.all()} == {"education", "health"}

    today = date.today()
    figures = compute(dave, date(today.year, 1, 1), today)
    counted = {r.code: (r.received, r.returns, r.transfers) for r in figures.by_agency}
    assert counted["130302-medical"] == (0, 1, 1)
    assert counted["130302-education"] == (1, 0, 0)
    assert counted["130302-health"] == (1, 0, 0)
    assert (figures.total.returns, figures.total.transfers) == (1, 1)
    [township] = [r for r in figures.by_township if r.code == "130302001"]
    assert (township.returns, township.transfers) == (1, 1)
