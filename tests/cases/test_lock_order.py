"""One lock order: an officer working a referral while the sweeper fires its timer, on two
real PostgreSQL connections (one per thread). Every action takes the process instance's row
lock before it writes a domain row, as the sweeper does, so neither waits for the other in a
circle: no deadlock, no error for the officer, and the timer's 督办 raised exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from onedoor.cases import services
from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.households.models import Household
from tests.workflows.test_concurrency import run_in_threads
from workflows import engine
from workflows.models import ProcessEvent
from workflows.signals import instance_advanced
from workflows.timers import fire_due_timers

from .conftest import register, task_of
from .test_time_limits import at, referred

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

# Longer than PostgreSQL's deadlock_timeout (1 s): a circular wait is detected within it.
HOLD = 1.5


@pytest.fixture
def sign_overdue(alice: Any) -> Iterator[Referral]:
    """A referral whose sign-for time limit passed five minutes ago (its timer is due)."""
    with time_machine.travel(at(date(2026, 11, 2)), tick=False) as traveller:
        referral = referred(alice)
        assert referral.sign_due_at is not None
        traveller.move_to(referral.sign_due_at + timedelta(minutes=5))
        yield referral


def _outcome(referral: Referral) -> tuple[bool, int]:
    referral.refresh_from_db()
    automatic = SupervisionNotice.objects.filter(referral=referral, issued_by=None, step="sign")
    return referral.signed_at is not None, automatic.count()


def test_an_officer_who_signs_while_the_sweeper_fires_the_overdue_timer_is_not_deadlocked(
    sign_overdue: Referral, bob: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    referral = sign_overdue
    task = task_of(referral.case, "sign_for_referral")
    officer_inside = threading.Event()
    real_complete = engine.complete_task

    def complete_slowly(*args: Any, **kwargs: Any) -> Any:
        # The officer's transaction has done all it does before the engine's step: the sweep
        # runs now, and has longer than the deadlock timeout to get in the officer's way.
        officer_inside.set()
        time.sleep(HOLD)
        return real_complete(*args, **kwargs)

    monkeypatch.setattr(engine, "complete_task", complete_slowly)

    def officer() -> Any:
        return services.sign_referral(task, actor=bob, decision="sign")

    def sweeper() -> Any:
        assert officer_inside.wait(10)
        return fire_due_timers()

    signed, swept = run_in_threads(officer, sweeper)
    assert isinstance(signed, Referral), signed
    assert not isinstance(swept, Exception), swept
    fire_due_timers()  # whatever the sweep skipped while the officer held the instance
    assert _outcome(referral) == (True, 1)
    assert not ProcessEvent.objects.filter(kind=ProcessEvent.Kind.FAILED).exists()


def test_an_officer_who_signs_while_the_sweeper_holds_the_case_waits_then_signs(
    sign_overdue: Referral, bob: Any
) -> None:
    referral = sign_overdue
    task = task_of(referral.case, "sign_for_referral")
    sweeping = threading.Event()

    def linger(**kwargs: Any) -> None:
        if threading.current_thread().name == "sweeper":
            sweeping.set()
            time.sleep(HOLD)

    instance_advanced.connect(linger, dispatch_uid="linger-sweeper")
    try:

        def officer() -> Any:
            assert sweeping.wait(10)
            return services.sign_referral(task, actor=bob, decision="sign")

        def sweeper() -> Any:
            threading.current_thread().name = "sweeper"
            return fire_due_timers()

        signed, swept = run_in_threads(officer, sweeper)
    finally:
        instance_advanced.disconnect(dispatch_uid="linger-sweeper")
    assert isinstance(signed, Referral), signed
    assert not isinstance(swept, Exception) and swept.fired >= 1, swept
    assert _outcome(referral) == (True, 1)
    assert not ProcessEvent.objects.filter(kind=ProcessEvent.Kind.FAILED).exists()


def test_the_intake_form_sent_twice_at_once_registers_the_household_once(alice: Any) -> None:
    def linger(**kwargs: Any) -> None:
        time.sleep(0.5)  # the first registration holds its transaction open a moment

    instance_advanced.connect(linger, dispatch_uid="linger-intake")
    try:
        results = run_in_threads(
            lambda: register(alice, "yiliao"), lambda: register(alice, "yiliao")
        )
    finally:
        instance_advanced.disconnect(dispatch_uid="linger-intake")
    cases = [r for r in results if isinstance(r, Case)]
    refused = [r for r in results if isinstance(r, services.ActionError)]
    assert len(cases) == 1 and len(refused) == 1, results
    assert Case.objects.count() == 1 and Household.objects.count() == 1
