"""The agency's leader in charge (Lena, medical security) sees the agency's own figures and late
work; Bob, an officer of the same agency, and everyone else are refused."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from onedoor.cases import services
from onedoor.cases.models import Referral
from tests.cases.conftest import refer_all, register, task_of
from workflows.timers import fire_due_timers

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def late_work(alice: Any, bob: Any) -> tuple[Referral, Referral]:
    """Two referrals to the medical bureau: one Bob signed for and left past its time limit (the
    process raised a level-1 督办), one nobody signed for yet."""
    with time_machine.travel(datetime.combine(date(2026, 11, 2), time(10), SHANGHAI), tick=False):
        signed_case, unsigned_case = (
            register(alice, "yiliao", seq=1),
            register(alice, "yiliao", seq=2),
        )
        refer_all(signed_case, alice)
        refer_all(unsigned_case, alice)
        services.sign_referral(
            task_of(signed_case, "sign_for_referral"), actor=bob, decision="sign"
        )
    signed = Referral.objects.get(case=signed_case)
    assert signed.handle_due_at is not None
    with time_machine.travel(signed.handle_due_at + timedelta(minutes=5), tick=False):
        fire_due_timers()
    return signed, Referral.objects.get(case=unsigned_case)


def test_the_leader_sees_the_agencys_work_by_officer_late_and_supervised(
    late_work: tuple[Referral, Referral], leader: Any, bob: Any
) -> None:
    signed, _unsigned = late_work
    with time_machine.travel(signed.handle_due_at + timedelta(days=3), tick=False):  # type: ignore[operator]
        response = client_for(leader).get("/supervision/agency/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "本部门统计" in page and "县医疗保障局" in page
    loads = {
        load.officer: (load.open, load.overdue) for load in response.context["work"].by_officer
    }
    assert loads["尚未签收"][0] == 1
    assert any(name.startswith("bob") and load == (1, 1) for name, load in loads.items()), loads
    assert signed.case.reference in page and "逾期" in page and "个工作日" in page
    assert "一级督办" in page  # the notice the process raised, still to answer
    assert response.context["row"].received == 2


def test_the_leaders_page_is_linked_from_their_navigation_only(leader: Any, bob: Any) -> None:
    assert 'href="/supervision/agency/"' in client_for(leader).get("/inbox/").content.decode()
    assert 'href="/supervision/agency/"' not in client_for(bob).get("/inbox/").content.decode()


def test_officers_and_others_are_refused(bob: Any, carol: Any, dave: Any, alice: Any) -> None:
    for who in (bob, carol, dave, alice):
        assert client_for(who).get("/supervision/agency/").status_code == 403


def test_a_bad_period_shows_this_year(leader: Any) -> None:
    response = client_for(leader).get(
        "/supervision/agency/", {"start": "2026-12-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200 and "开始日期" in response.content.decode()
