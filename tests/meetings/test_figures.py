"""The conference's figures on the board and the supervision page: plenaries per year against
the two required, topics by source, decisions carried out on time per lead unit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from onedoor.meetings import decisions
from onedoor.meetings.figures import compute
from onedoor.meetings.models import Decision, Meeting, Topic
from tests.cases.test_views import client_for

from .test_cycle import at
from .test_views import issued

__all__ = ["issued"]

pytestmark = pytest.mark.django_db


def test_the_figures_count_meetings_topics_and_decisions_on_time(issued: Meeting, bob: Any) -> None:
    conference = issued.conference
    with time_machine.travel(at(date(2026, 12, 11)), tick=False):
        figures = compute(conference)
    [year] = figures.years
    assert (year.year, year.plenary, year.topical, year.short) == (2026, 1, 0, True)
    assert figures.sources == [(str(Topic.Source.DIFFICULT.label), 1)]
    [unit] = figures.units
    assert (unit.led, unit.in_progress, unit.overdue, unit.on_time_rate) == (1, 1, 0, None)
    assert (figures.resolved, figures.median_days_to_resolution) == (0, None)
    # Past the deadline, then carried out late: 0 % on time.
    with time_machine.travel(at(date(2026, 12, 21)), tick=False):
        assert compute(conference).units[0].overdue == 1
        decisions.complete_decision(Decision.objects.get(), actor=bob, note="已落实")
        [unit] = compute(conference).units
    assert (unit.late, unit.on_time, unit.on_time_percent) == (1, 0, 0)
    # Planned on 1 December, its one decision carried out on the 21st: 14 working days.
    with time_machine.travel(at(date(2026, 12, 21)), tick=False):
        figures = compute(conference)
    assert (figures.resolved, figures.median_days_to_resolution) == (1, 14.0)
    # The next year starts with none held, and the year before shows too.
    with time_machine.travel(at(date(2027, 1, 5)), tick=False):
        years = compute(conference).years
    assert [(y.year, y.plenary, y.short) for y in years] == [(2027, 0, True), (2026, 1, True)]


def test_the_figures_show_on_the_board_and_the_supervision_page(
    issued: Meeting, dave: Any, erin: Any, frank: Any
) -> None:
    with time_machine.travel(at(date(2026, 12, 11)), tick=False):
        for user, url in ((dave, "/board/"), (erin, "/supervision/")):
            page = client_for(user).get(url).content.decode()
            assert 'id="conference-units"' in page, url
            assert "少于 2 次" in page and Decision.objects.get().lead.name in page
            assert "本年度尚无已解决的议题" in page
