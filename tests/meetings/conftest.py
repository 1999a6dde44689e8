"""Personas for the joint conference, on top of tests/cases/conftest.py.

Dave is the office (联席办) of 海港区; Frank, a county leader, is its convenor; Bob (medical
security) and Carol (education) are their units' liaison officers; Erin supervises the
county; Alice works a window; Zoe coordinates another county and must see nothing of this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import seed_county
from onedoor.meetings import membership
from onedoor.meetings.access import conference_of
from onedoor.meetings.models import Conference
from tests.cases.conftest import alice, bob, carol, county, dave, erin, walter
from workflows.definitions import deploy_files

__all__ = ["alice", "bob", "carol", "county", "dave", "erin", "walter"]

JOINT_MEETING = Path(settings.ONEDOOR_BPMN_DIR) / "joint_meeting.bpmn"
MEETING_DECISION = Path(settings.ONEDOOR_BPMN_DIR) / "meeting_decision.bpmn"


@pytest.fixture
def frank(county: Division) -> Any:
    user = get_user_model().objects.create_user("frank", password="pw-frank", first_name="张副县长")
    Staff.objects.create(user=user, role=Staff.Role.SUPERVISOR, division=county)
    return user


@pytest.fixture
def zoe(county: Division) -> Any:
    other = seed_county("130303", "北戴河区", {"130303001": ("西山街道", ["西山社区"])})
    user = get_user_model().objects.create_user("zoe", password="pw-zoe")
    Staff.objects.create(user=user, role=Staff.Role.COORDINATOR, division=other)
    return user


@pytest.fixture
def conference(county: Division, dave: Any, frank: Any, bob: Any, carol: Any) -> Conference:
    """The county's conference: every agency a member, Bob and Carol liaisons, Frank convenor."""
    deploy_files([JOINT_MEETING, MEETING_DECISION, JOINT_MEETING.with_name("plenary_watch.bpmn")])
    conference = conference_of(county)
    membership.update_conference(
        conference,
        actor=dave,
        convenor=frank,
        overdue_days=10,
        handovers=2,
        on_time_percent=80,
        on_time_period_days=90,
    )
    liaisons = {"medical": bob, "education": carol}
    for agency in Agency.objects.filter(county=county):
        membership.set_member_unit(
            conference, agency, actor=dave, liaison=liaisons.get(agency.kind), active=True
        )
    conference.refresh_from_db()
    return conference
