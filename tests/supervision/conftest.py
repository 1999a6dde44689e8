"""Referrals with known dates, written as rows: the figures read projections, so a row with the
dates a real run would leave behind is the clearest way to pin an exact figure.

The people are tests/personas.py's: Dave coordinates 海港区 (130302), Erin supervises it,
Alice works a window, Bob is an officer of the medical-security bureau; Zoe coordinates another
county and must see none of Dave's figures.
"""

from __future__ import annotations

from datetime import datetime
from itertools import count
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from onedoor.cases.models import Case, Handover, Referral
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from onedoor.households.models import Household, Member
from tests.cases.conftest import make_id_number
from workflows.models import HumanTask, ProcessDefinition, ProcessInstance

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seq = count(1)


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) time, written '2026-03-02 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _open_task(referral_pk: int, due_at: datetime) -> HumanTask:
    """An open task row for a referral still at an agency (the projection's `current_task`).

    Its instance holds no engine state: the figures never read it, only that a task is open.
    """
    instance = ProcessInstance.objects.create(
        definition=ProcessDefinition.objects.filter(process_id="one_door").latest("version"),
        subject_type="case",
        subject_id="0",
        serialized=b"",
        serializer_version="",
    )
    return HumanTask.objects.create(
        instance=instance,
        task_id=uuid4(),
        process_id="one_door",
        subject_type="case",
        subject_id="0",
        bpmn_id="handle_referral",
        name="办理",
        lane="agency",
        properties={"referralId": referral_pk},
        created_at=due_at,
        due_at=due_at,
    )


def make_referral(
    *,
    item: str = "yiliao",
    agency: str = "medical",
    township: str = "130302001",
    referred: str,
    sign_due: str | None = None,
    signed: str | None = None,
    handle_due: str | None = None,
    feedback: str | None = None,
    days_taken: int | None = None,
    withdrawn: bool = False,
    open_due: str | None = None,
    returns: int = 0,
    transfers: int = 0,
) -> Referral:
    """One referral with the projections a real run would have left, dates in local time."""
    seq = next(_seq)
    town = Division.objects.get(code=township)
    village = town.children.all()[0]
    user = get_user_model().objects.filter(
        username="rowmaker"
    ).first() or get_user_model().objects.create_user("rowmaker")
    household = Household.objects.create(village=village, created_by=user)
    applicant = Member.objects.create(
        household=household, name="张三", id_number=make_id_number(seq, "19700101"), relation="head"
    )
    case = Case.objects.create(
        reference=f"{township}-T-{seq:05d}",
        household=household,
        applicant=applicant,
        township=town,
        channel=Case.Channel.WALK_IN,
        first_contact=user,
        created_at=at(referred),
    )
    county_code = town.parent.code if town.parent else ""
    referral = Referral.objects.create(
        case=case,
        item=Item.objects.get(code=item),
        agency=Agency.objects.get(code=f"{county_code}-{agency}"),
        referred_at=at(referred),
        sign_due_at=at(sign_due) if sign_due else None,
        signed_at=at(signed) if signed else None,
        handle_due_at=at(handle_due) if handle_due else None,
        feedback_at=at(feedback) if feedback else None,
        working_days_taken=days_taken,
        outcome=(
            Referral.Outcome.WITHDRAWN
            if withdrawn
            else Referral.Outcome.GRANTED
            if feedback
            else ""
        ),
        returns=returns,
        transfers=transfers,
    )
    for kind, times in ((Handover.Kind.RETURN, returns), (Handover.Kind.TRANSFER, transfers)):
        for _ in range(times):  # sent on by this agency, as sign_referral records it
            Handover.objects.create(
                referral=referral, kind=kind, from_agency=referral.agency, reason="不属本部门职责"
            )
    if open_due:
        referral.current_task = _open_task(referral.pk, at(open_due))
        referral.due_at = at(open_due)
        referral.step = "办理"
        referral.save(update_fields=["current_task", "due_at", "step"])
    return referral
