"""Helpers for the domain tests: register a case at Alice's window, find its open tasks.

The people (Alice, Walter, Bob, Carol, Dave, Erin, Victor, Lena, Zoe) are tests/personas.py's;
they are imported here too because other folders import them from this module.
"""

from __future__ import annotations

from typing import Any

from onedoor.cases import registration, services
from onedoor.cases.models import Case
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from onedoor.households.idnumber import check_character
from tests.personas import alice, bob, carol, county, dave, erin, leader, victor, walter
from tests.personas import make_staff as _staff  # the name tests here import
from workflows.models import HumanTask

__all__ = [
    "_staff",
    "alice",
    "bob",
    "carol",
    "county",
    "dave",
    "erin",
    "leader",
    "victor",
    "walter",
]


def make_id_number(seq: int, birth: str = "19800101") -> str:
    first17 = f"130302{birth}{seq % 1000:03d}"
    return first17 + check_character(first17)


def register(actor: Any, *item_codes: str, seq: int = 1, consent: bool = True) -> Case:
    return registration.register_application(
        actor=actor,
        township=Division.objects.get(code="130302001"),
        village=Division.objects.get(code="130302001001"),
        members=[
            registration.MemberData(name="张三", id_number=make_id_number(seq), relation="head"),
            registration.MemberData(
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
        (ci.item, Agency.objects.get(county=case.township.parent, kind=ci.item.agency_kind))
        for ci in case.items.select_related("item")
    ]
    services.refer_case(task_of(case, "split_case"), actor=actor, choices=choices)
