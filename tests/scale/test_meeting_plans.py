"""The joint conference's topic rules read the big tables through indexes (like the pages in
test_query_plans.py): every statement `topics.candidates` runs for the busiest county is
EXPLAINed on the scale data set and must not Seq Scan a big table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from onedoor.meetings.access import conference_of
from onedoor.meetings.topics import candidates

from .test_query_plans import Statements, assert_indexed, busiest_township, lists_a_big_table

pytestmark = pytest.mark.django_db


def test_the_topic_rules_read_a_countys_projections_through_indexes(
    scale_data: dict[str, Any],
) -> None:
    conference = conference_of(busiest_township().county)
    found = Statements()
    with connection.execute_wrapper(found):
        proposed = candidates(conference)
    touching = [(sql, params) for sql, params in found.seen if lists_a_big_table(sql)]
    assert touching, "the rules read none of the big tables"
    assert_indexed(touching)
    assert proposed, "the scale data set has overdue referrals: some topic must be proposed"
