"""Each page reads the database a small, fixed number of times, however many rows it shows.

A page whose statements grow with its rows (a query per row inside a template, an N+1 in a
loop) is what made a page cost 25-30 ms of CPU (issue 17; bench/load.py measures it). Each
test reads a page over a small and a larger set of rows and asserts the same count, under a
ceiling that says what the page needs (user with staff and scope, the page's own; the
session is read from the cache, as deployed).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onedoor.cases import services, supervision
from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency

from .conftest import refer_all, register, task_of

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.combine(date(2026, 11, 2), time(10), SHANGHAI)  # a Monday
LATER = START + timedelta(days=30)  # every referral made on START is overdue by then
ITEMS = ("yiliao", "edu_compulsory", "housing_subsidy", "legal_aid")


@pytest.fixture(autouse=True)
def _sessions(sessions_as_deployed: None) -> None:
    """Every count here with sessions as deployed (tests/conftest.py)."""


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


SEEN: list[list[str]] = []  # the statements of each measured request, for the failure message


def statements(client: Client, url: str, data: dict[str, Any] | None = None, **extra: Any) -> int:
    """The statements of one request; a GET is made once before, so that what a process
    reads once and keeps (the calendar, the time-limit rules) is not counted."""
    if data is None:
        client.get(url, **extra)
    with CaptureQueriesContext(connection) as captured:
        if data is None:
            response = client.get(url, **extra)
            assert response.status_code == 200, (url, response.status_code)
        else:
            response = client.post(url, data)
            assert response.status_code in {200, 302}, (url, response.status_code)
    SEEN.append([q["sql"][:160] for q in captured.captured_queries])
    return len(captured)


def listing() -> str:
    return "\n".join(f"--- request {i}:\n" + "\n".join(q) for i, q in enumerate(SEEN[-2:]))


def add_cases(alice: Any, first_seq: int, n: int, items: tuple[str, ...] = ITEMS[:2]) -> list[Case]:
    cases = []
    with time_machine.travel(START, tick=False):
        for seq in range(first_seq, first_seq + n):
            case = register(alice, *items, seq=seq)
            refer_all(case, alice)
            cases.append(case)
    return cases


def notices(referral: Referral, dave: Any, n: int) -> None:
    with time_machine.travel(START + timedelta(days=20), tick=False):
        for i in range(n):
            supervision.issue_supervision_notice(
                referral, actor=dave, text=f"请尽快签收（{i + 1}）", notices_seen=i
            )


@pytest.fixture
def two_cases(alice: Any) -> list[Case]:
    return add_cases(alice, 1, 2)


def same_for_more_rows(measure: Any, grow: Any, ceiling: int) -> int:
    """The page's statements before and after `grow()` adds rows: equal, at most `ceiling`."""
    with time_machine.travel(LATER, tick=False):
        few = measure()
    grow()
    with time_machine.travel(LATER, tick=False):
        many = measure()
    assert many == few, (
        f"{few} statements with few rows, {many} with more: a query per row\n{listing()}"
    )
    assert many <= ceiling, f"{many} statements (at most {ceiling})\n{listing()}"
    return many


def test_the_inbox_reads_a_fixed_number_of_statements(two_cases, alice, bob, dave) -> None:
    client = client_for(bob)

    def grow() -> None:
        more = add_cases(alice, 10, 3)
        notices(Referral.objects.get(case=more[0], agency__kind="medical"), dave, 2)

    same_for_more_rows(lambda: statements(client, "/inbox/"), grow, ceiling=5)


def test_the_case_list_reads_a_fixed_number_of_statements(two_cases, alice) -> None:
    client = client_for(alice)
    same_for_more_rows(
        lambda: statements(client, "/cases/"), lambda: add_cases(alice, 10, 3, ITEMS), ceiling=7
    )


def test_the_board_reads_a_fixed_number_of_statements(two_cases, alice, dave) -> None:
    client = client_for(dave)

    def grow() -> None:
        more = add_cases(alice, 10, 3, ITEMS)
        notices(Referral.objects.filter(case=more[0]).order_by("pk")[0], dave, 2)

    # 8 for the board itself (the user, the bell, the tables by agency and by township, the
    # overdue page and its count, the extensions and broken promises: their rows as values),
    # 3 for the window's late steps (townships, counts with their names, the page of tasks;
    # with late steps, their cases' references), 9 for the joint conference's figures panel
    # and its line, whatever the rows.
    same_for_more_rows(lambda: statements(client, "/board/"), grow, ceiling=20)


def test_the_referral_page_reads_a_fixed_number_of_statements(alice, bob, dave) -> None:
    [small] = add_cases(alice, 1, 1, ITEMS[:1])
    [large] = add_cases(alice, 2, 1, ITEMS)
    plain = Referral.objects.get(case=small)
    busy = Referral.objects.get(case=large, agency__kind="medical")
    notices(busy, dave, 3)
    client = client_for(bob)
    with time_machine.travel(LATER, tick=False):
        few = statements(client, f"/referrals/{plain.pk}/")
        many = statements(client, f"/referrals/{busy.pk}/")
    assert many == few, f"{few} statements for a quiet referral, {many} for a busy one\n{listing()}"
    assert many <= 13, listing()  # 12, and the decision it may be made on (一事一议)


def test_the_case_page_reads_a_fixed_number_of_statements(alice, dave) -> None:
    [small] = add_cases(alice, 1, 1, ITEMS[:1])
    [large] = add_cases(alice, 2, 1, ITEMS)
    notices(Referral.objects.filter(case=large).order_by("pk")[0], dave, 2)
    client = client_for(alice)
    with time_machine.travel(LATER, tick=False):
        few = statements(client, f"/cases/{small.pk}/")
        many = statements(client, f"/cases/{large.pk}/")
    assert many == few, (
        f"{few} statements for a case of one item, {many} for {len(ITEMS)}\n{listing()}"
    )
    # The requested items once (the items applied for, the checklist, whom each is for).
    assert many <= 12, listing()


def test_the_bell_is_one_count(two_cases, bob) -> None:
    client = client_for(bob)
    same_for_more_rows(
        lambda: statements(client, "/notifications/bell/", HTTP_HX_REQUEST="true"),
        lambda: None,
        ceiling=2,
    )


def test_signing_for_a_referral_reads_a_fixed_number_of_statements(alice, bob) -> None:
    [first] = add_cases(alice, 1, 1, ITEMS[:1])  # what a process reads once is read here
    [small] = add_cases(alice, 2, 1, ITEMS[:1])
    [large] = add_cases(alice, 3, 1, ITEMS)
    client = client_for(bob)
    counts = []
    for case in (first, small, large):
        task = task_of(case, "sign_for_referral", "130302-medical")
        referral = Referral.objects.get(case=case, agency__kind="medical")
        with time_machine.travel(START + timedelta(days=1), tick=False):
            client.get(f"/referrals/{referral.pk}/")  # the page the form is sent from
        with time_machine.travel(START + timedelta(days=1), tick=False):
            counts.append(
                statements(
                    client,
                    f"/tasks/{task.task_id}/",
                    {f"t{task.pk}-decision": "sign", "next": f"/cases/{case.pk}/"},
                )
            )
        task.refresh_from_db()
        assert task.state == task.State.COMPLETED
    assert counts[1] == counts[2], f"{counts[1:]}: signing costs more on a larger case"
    # The user; the task and its case; under the process lock the referral, its UPDATE, the
    # engine's step (a savepoint, its read and write, the projection's referral and stage
    # with the open tasks), the referral as left; the audit event; the transaction's own.
    assert counts[2] <= 17, listing()


def test_feeding_back_reads_a_fixed_number_of_statements(
    alice, bob, django_capture_on_commit_callbacks
) -> None:
    """The feedback's confirmed POST, the notification to the window sent on commit counted
    too (the test's transaction never commits: the callbacks are run inside the capture)."""
    cases = [
        add_cases(alice, seq, 1, items)[0]
        # The first warms what a process reads once; the others stay in the agencies' hands.
        for seq, items in ((1, ITEMS[:1]), (2, ITEMS[:2]), (3, ITEMS))
    ]
    client = client_for(bob)
    counts = []
    for case in cases:
        with time_machine.travel(START + timedelta(days=1), tick=False):
            services.sign_referral(
                task_of(case, "sign_for_referral", "130302-medical"), actor=bob, decision="sign"
            )
        task = task_of(case, "handle_referral", "130302-medical")
        referral = Referral.objects.get(case=case, agency__kind="medical")
        p = f"t{task.pk}"
        answers = {
            f"{p}-handling": "feedback",
            f"{p}-outcome": "granted",
            f"{p}-amount_yuan": "500",
            f"{p}-note": "已按规定办理",
            "next": f"/referrals/{referral.pk}/",
            "confirmed": "yes",
        }
        with time_machine.travel(START + timedelta(days=2), tick=False):
            client.get(f"/referrals/{referral.pk}/")  # the page the form is sent from
            with (
                CaptureQueriesContext(connection) as captured,
                django_capture_on_commit_callbacks(execute=True) as callbacks,
            ):
                response = client.post(f"/tasks/{task.task_id}/", answers)
            assert response.status_code == 302
            assert callbacks, "the window is notified on commit"
        SEEN.append([q["sql"][:160] for q in captured.captured_queries])
        counts.append(len(captured))
        task.refresh_from_db()
        assert task.state == task.State.COMPLETED
        referral.refresh_from_db()
        assert referral.outcome == Referral.Outcome.GRANTED and referral.amount_fen == 50000
    assert counts[1] == counts[2], (
        f"{counts[1:]}: feeding back costs more on a larger case\n{listing()}"
    )
    # The sign-for POST's 17 less its referral's separate read (the referral, with its item,
    # read in the case's place: the form checks what granting the item needs), plus the
    # feedback's UPDATE, and the window's notification: its recipients and its INSERT.
    assert counts[2] <= 19, listing()


def test_the_split_form_reads_the_agencies_once(alice) -> None:
    """The case page of a case awaiting its split: one agency choice per requested item."""
    cases = []
    with time_machine.travel(START, tick=False):
        for seq, items in ((1, ITEMS[:1]), (2, ITEMS)):
            case = register(alice, *items, seq=seq)
            review = task_of(case, "review_application")
            services.review_application(review, actor=alice, accepted=True)
            cases.append(case)
    client = client_for(alice)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        few = statements(client, f"/cases/{cases[0].pk}/")
        many = statements(client, f"/cases/{cases[1].pk}/")
        page = client.get(f"/cases/{cases[1].pk}/").content.decode()
    assert page.count("（不转办）") == len(ITEMS)  # one agency choice per item, shown
    assert page.count("selected>") >= len(ITEMS)  # each with the catalogue's agency chosen
    assert many == few, f"{few} statements for one item to split, {many} for {len(ITEMS)}"
    assert many <= 15, listing()  # 12, and the split form's agencies, items and members


def test_splitting_a_case_writes_its_referrals_at_once(alice) -> None:
    """分办 into one referral or into several: the same statements, each referral then
    awaiting its agency's signature."""
    counts = []
    for seq, items in ((1, ITEMS[:1]), (2, ITEMS[:1]), (3, ITEMS)):
        with time_machine.travel(START, tick=False):
            case = register(alice, *items, seq=seq)
            services.review_application(
                task_of(case, "review_application"), actor=alice, accepted=True
            )
            choices = [
                (ci.item, Agency.objects.get(county=case.township.parent, kind=ci.item.agency_kind))
                for ci in case.items.select_related("item")
            ]
            task = task_of(case, "split_case")
            with CaptureQueriesContext(connection) as captured:
                services.refer_case(task, actor=alice, choices=choices)
        SEEN.append([q["sql"][:160] for q in captured.captured_queries])
        counts.append(len(captured))
        referrals = list(Referral.objects.filter(case=case).select_related("current_task"))
        assert len(referrals) == len(items)
        for referral in referrals:
            assert referral.current_task is not None
            assert referral.current_task.bpmn_id == "sign_for_referral"
            assert referral.step == referral.current_task.name
            assert referral.sign_due_at == referral.due_at == referral.current_task.due_at
            assert referral.due_at is not None
    assert counts[1] == counts[2], f"{counts[1:]}: splitting costs more for more items\n{listing()}"
    # Before (2026-12-08): 15 for one item, 18 for four (an UPDATE per referral).
    assert counts[2] <= 15, listing()
