"""The people of the suite: one meaning per name, in every folder.

All work in 海港区 (130302), the county of the `county` fixture (tests/baseline.py), except Zoe:

- Alice is the window clerk of 文化路街道 (130302001).
- Walter is the window clerk of 东港镇 (130302101); he must see nothing of Alice's cases.
- Bob is an officer of the county medical-security bureau (县医疗保障局, agency kind "medical").
- Carol is an officer of the education bureau (县教育局); she must see nothing of Bob's referrals.
- Dave coordinates the county (联席会议办公室): time limits, 督办, figures.
- Erin supervises the county: she reads everything and changes nothing.
- Victor is the village assistant of 红旗社区 (130302001001).
- Lena (fixture `leader`) is the medical-security bureau's leader in charge (分管领导).
- Zoe coordinates another county, 北戴河区 (130303); she must see none of Dave's figures.

Each signs in with ``password_of(username)``. The engine tests (tests/workflows) use the same
people as actors; the engine records who acted and checks nothing about their role.
tests/conftest.py registers this module as a plugin, so these fixtures are everywhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import seed_county
from tests.baseline import ensure_baseline


def password_of(username: str) -> str:
    return "pw-" + username


@pytest.fixture
def county(db: None) -> Division:
    """海港区, with the catalogue and the one-door process deployed (the run's baseline)."""
    return ensure_baseline()


def make_staff(
    username: str,
    role: str,
    division_code: str,
    agency_kind: str | None = None,
    *,
    is_agency_leader: bool = False,
) -> Any:
    """A user who is staff of `role` at the division (and agency of that kind in 海港区)."""
    user = get_user_model().objects.create_user(username, password=password_of(username))
    agency = Agency.objects.get(code=f"130302-{agency_kind}") if agency_kind else None
    Staff.objects.create(
        user=user,
        role=role,
        division=Division.objects.get(code=division_code),
        agency=agency,
        is_agency_leader=is_agency_leader,
    )
    return user


@pytest.fixture
def alice(county: Division) -> Any:
    """Window clerk of 文化路街道 (130302001)."""
    return make_staff("alice", Staff.Role.WINDOW, "130302001")


@pytest.fixture
def walter(county: Division) -> Any:
    """Window clerk of 东港镇 (130302101): must see nothing of Alice's cases."""
    return make_staff("walter", Staff.Role.WINDOW, "130302101")


@pytest.fixture
def bob(county: Division) -> Any:
    """Officer of 县医疗保障局 (medical security)."""
    return make_staff("bob", Staff.Role.AGENCY_OFFICER, "130302", "medical")


@pytest.fixture
def carol(county: Division) -> Any:
    """Officer of 县教育局 (education): must see nothing of Bob's referrals."""
    return make_staff("carol", Staff.Role.AGENCY_OFFICER, "130302", "education")


@pytest.fixture
def dave(county: Division) -> Any:
    """Coordinator of 海港区."""
    return make_staff("dave", Staff.Role.COORDINATOR, "130302")


@pytest.fixture
def erin(county: Division) -> Any:
    """Supervisor of 海港区: reads everything, changes nothing."""
    return make_staff("erin", Staff.Role.SUPERVISOR, "130302")


@pytest.fixture
def victor(county: Division) -> Any:
    """Village assistant of 红旗社区 (130302001001)."""
    return make_staff("victor", Staff.Role.VILLAGE_ASSISTANT, "130302001001")


@pytest.fixture
def leader(county: Division) -> Any:
    """Lena, 县医疗保障局's leader in charge (分管领导): level-2 督办 go to her."""
    return make_staff("lena", Staff.Role.AGENCY_OFFICER, "130302", "medical", is_agency_leader=True)


@pytest.fixture
def zoe(county: Division) -> Any:
    """Coordinator of 北戴河区 (130303), another county: sees none of Dave's figures."""
    seed_county("130303", "北戴河区", {"130303001": ("西山街道", ["西山社区"])})
    return make_staff("zoe", Staff.Role.COORDINATOR, "130303")
