"""Personas for the domain tests.

Alice works the window of 文化路街道 (130302001); Walter the window of 东港镇, who must see
nothing of Alice's cases. Bob is an officer of the health agency, Carol of education (she must
see nothing of Bob's referrals). Dave coordinates the county; Erin supervises it; Victor is the
village assistant of 红旗社区.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from onedoor.cases import services
from onedoor.cases.models import Case
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import seed_county
from onedoor.households.idnumber import check_character
from tests.conftest import ONE_DOOR
from workflows.definitions import deploy_files
from workflows.models import HumanTask


def make_id_number(seq: int, birth: str = "19800101") -> str:
    first17 = f"130302{birth}{seq % 1000:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def county(db: None) -> Division:
    deploy_files([ONE_DOOR])
    seed_catalogue()
    return seed_county()


def _staff(username: str, role: str, division_code: str, agency_kind: str | None = None) -> Any:
    user = get_user_model().objects.create_user(username, password="pw-" + username)
    agency = Agency.objects.get(kind=agency_kind) if agency_kind else None
    Staff.objects.create(
        user=user, role=role, division=Division.objects.get(code=division_code), agency=agency
    )
    return user


@pytest.fixture
def alice(county: Division) -> Any:
    return _staff("alice", Staff.Role.WINDOW, "130302001")


@pytest.fixture
def walter(county: Division) -> Any:
    return _staff("walter", Staff.Role.WINDOW, "130302101")


@pytest.fixture
def bob(county: Division) -> Any:
    return _staff("bob", Staff.Role.AGENCY_OFFICER, "130302", "medical")


@pytest.fixture
def carol(county: Division) -> Any:
    return _staff("carol", Staff.Role.AGENCY_OFFICER, "130302", "education")


@pytest.fixture
def dave(county: Division) -> Any:
    return _staff("dave", Staff.Role.COORDINATOR, "130302")


@pytest.fixture
def erin(county: Division) -> Any:
    return _staff("erin", Staff.Role.SUPERVISOR, "130302")


@pytest.fixture
def victor(county: Division) -> Any:
    return _staff("victor", Staff.Role.VILLAGE_ASSISTANT, "130302001001")


@pytest.fixture
def leader(county: Division) -> Any:
    """The medical-security agency's leader in charge (分管领导)."""
    user = get_user_model().objects.create_user("lena", password="pw-lena")
    Staff.objects.create(
        user=user,
        role=Staff.Role.AGENCY_OFFICER,
        division=county,
        agency=Agency.objects.get(kind="medical"),
        is_agency_leader=True,
    )
    return user


def register(actor: Any, *item_codes: str, seq: int = 1, consent: bool = True) -> Case:
    return services.register_application(
        actor=actor,
        township=Division.objects.get(code="130302001"),
        village=Division.objects.get(code="130302001001"),
        members=[
            services.MemberData(name="张三", id_number=make_id_number(seq), relation="head"),
            services.MemberData(
                name="张小三", id_number=make_id_number(seq + 500, "20120101"), relation="child"
            ),
        ],
        items=[Item.objects.get(code=c) for c in item_codes or ("yiliao", "edu_compulsory")],
        channel=Case.Channel.WALK_IN,
        statement="因病致贫",
        consent=consent,
    )


def task_of(case: Case, bpmn_id: str, agency_code: str | None = None) -> HumanTask:
    rows = HumanTask.objects.filter(
        subject_type="case", subject_id=str(case.pk), bpmn_id=bpmn_id, state=HumanTask.State.OPEN
    )
    if agency_code:
        rows = rows.filter(candidate_group=agency_code)
    [row] = list(rows)
    return row


def refer_all(case: Case, actor: Any) -> None:
    services.review_application(task_of(case, "review_application"), actor=actor, accepted=True)
    choices = [
        (ci.item, Agency.objects.get(kind=ci.item.agency_kind))
        for ci in case.items.select_related("item")
    ]
    services.refer_case(task_of(case, "split_case"), actor=actor, choices=choices)
