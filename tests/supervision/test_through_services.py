"""The figures of referrals that went through the real path (services, engine, projections),
so a change in what the projections keep shows up here, not on a coordinator's desk."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from onedoor.cases import services
from onedoor.cases.models import Referral
from onedoor.deadlines.workdays import add_working_days
from onedoor.supervision.figures import compute
from tests.cases.conftest import refer_all, register, task_of

from .conftest import at

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def referred_and_signed(alice: Any, bob: Any, seq: int) -> Referral:
    case = register(alice, "yiliao", seq=seq)
    refer_all(case, alice)
    services.sign_referral(task_of(case, "sign_for_referral"), actor=bob, decision="sign")
    return Referral.objects.get(case=case)


@pytest.mark.django_db
def test_one_done_in_three_working_days_and_one_two_days_overdue(
    alice: Any, bob: Any, dave: Any
) -> None:
    with time_machine.travel(at("2026-11-02 10:00"), tick=False) as traveller:
        done = referred_and_signed(alice, bob, seq=1)
        late = referred_and_signed(alice, bob, seq=2)
        traveller.move_to(at("2026-11-05 15:00"))  # Thursday: three working days later
        services.give_feedback(
            task_of(done.case, "handle_referral"),
            actor=bob,
            outcome="granted",
            amount_fen=50000,
            note="",
        )
        late.refresh_from_db()
        assert late.handle_due_at is not None and late.sign_due_at is not None
        due_day = late.handle_due_at.astimezone(at("2026-11-02 10:00").tzinfo).date()
        two_days_on = add_working_days(due_day, 2).day
        traveller.move_to(at(f"{two_days_on.isoformat()} 09:00"))

        figures = compute(dave, *NOVEMBER)

    [medical] = [r for r in figures.by_agency if r.received]
    assert (medical.code, medical.received, medical.signed_on_time) == ("130302-medical", 2, 2)
    assert (medical.completed, medical.completed_on_time, medical.overdue) == (1, 1, 1)
    assert medical.on_time_rate == 0.5
    assert (medical.median_days, medical.p90_days) == (3.0, 3.0)
    assert medical.longest_overdue == 2
    # The money paid: one referral granted with 500 yuan, in the row and the county's total.
    assert (medical.granted, medical.amount_fen) == (1, 50000)
    assert (figures.total.granted, figures.total.amount_fen) == (1, 50000)
    [overdue] = figures.overdue
    assert (overdue.reference, overdue.days_overdue) == (late.case.reference, 2)
    assert overdue.due_at == late.handle_due_at
