"""The long lists page: inbox views with their counts, the board's overdue list narrowed."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from onedoor.cases import supervision, views_agency
from onedoor.cases.models import Case, Referral

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.combine(date(2026, 11, 2), time(10), SHANGHAI)  # a Monday


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def references(html: str) -> list[str]:
    return re.findall(r">(130302001-\d{4}-\d{5})<", html)


@pytest.fixture
def three_cases(alice) -> list[Case]:
    """One medical referral made on START (overdue to sign for two weeks later) and two
    made on the day the pages are read."""
    cases = []
    with time_machine.travel(START, tick=False):
        cases.append(register(alice, "yiliao", seq=1))
        refer_all(cases[0], alice)
    with time_machine.travel(START + timedelta(days=14), tick=False):
        for seq in (2, 3):
            cases.append(register(alice, "yiliao", seq=seq))
            refer_all(cases[-1], alice)
    return cases


def test_a_referral_carries_its_cases_township(three_cases) -> None:
    for referral in Referral.objects.select_related("case"):
        assert referral.township_id == referral.case.township_id


def test_inbox_counts_each_view_and_pages_in_due_order(three_cases, bob, dave, monkeypatch) -> None:
    monkeypatch.setattr(views_agency, "INBOX_PAGE", 2)
    first = Referral.objects.get(case=three_cases[0])
    with time_machine.travel(START + timedelta(days=15), tick=False):
        supervision.issue_supervision_notice(first, actor=dave, text="请尽快签收")
        client = client_for(bob)
        page1 = client.get("/inbox/", {"show": "all"})
        page2 = client.get("/inbox/", {"page": 2})
        overdue = client.get("/inbox/", {"show": "overdue"})
        unanswered = client.get("/inbox/", {"show": "unanswered"})
        unknown = client.get("/inbox/", {"show": "nonsense", "page": "x"})
    counts = page1.context["counts"]
    assert counts == {"all": 3, "overdue": 1, "soon": 2, "unanswered": 1}
    refs = [c.reference for c in three_cases]
    # Earliest due first: the overdue referral, then the two new ones.
    assert references(page1.content.decode()) == refs[:2]
    assert references(page2.content.decode()) == refs[2:]
    assert references(overdue.content.decode()) == refs[:1]
    assert references(unanswered.content.decode()) == refs[:1]
    assert page1.context["page"].paginator.num_pages == 2
    # The pager keeps the view it pages through.
    assert 'href="?show=all&amp;page=2"' in page1.content.decode()
    # Bad parameters fall back to the first page of all open referrals.
    assert unknown.status_code == 200
    assert references(unknown.content.decode()) == refs[:2]
    row = page1.context["page"][0]
    assert (row["notices"], row["to_answer"]) == (1, "1 件待回复")


def test_board_pages_the_overdue_list_and_narrows_it_to_an_agency(
    three_cases, alice, dave, monkeypatch
) -> None:
    monkeypatch.setattr(views_agency, "BOARD_PAGE", 1)
    later = START + timedelta(days=40)  # all three are overdue by then
    with time_machine.travel(later, tick=False):
        edu = register(alice, "edu_compulsory", seq=4)
        refer_all(edu, alice)
    with time_machine.travel(later + timedelta(days=14), tick=False):
        client = client_for(dave)
        board = client.get("/board/")
        page4 = client.get("/board/", {"page": 4})
        medical = str(Referral.objects.get(case=three_cases[0]).agency.code)
        narrowed = client.get("/board/", {"agency": medical, "page": "3"})
    html = board.content.decode()
    assert board.context["overdue"].paginator.count == 4
    assert references(html)[:1] == [three_cases[0].reference]
    assert references(page4.content.decode())[:1] == [edu.reference]
    assert narrowed.context["overdue"].paginator.count == 3
    assert references(narrowed.content.decode())[:1] == [three_cases[2].reference]
    # The aggregates link to the narrowed list, and each page keeps its narrowing.
    assert f'href="?agency={medical}#overdue"' in html
    assert f"agency={medical}&amp;page=2" in narrowed.content.decode()
    assert narrowed.context["narrowed"] == "县医疗保障局"
    rows = {r["agency__code"]: (r["open"], r["overdue"]) for r in board.context["by_agency"]}
    assert rows[medical] == (3, 3)
    townships = list(board.context["by_township"])
    assert [(t["township__code"], t["open"], t["overdue"]) for t in townships] == [
        ("130302001", 4, 4)
    ]


def test_case_list_filters_by_overdue_item_and_agency(three_cases, alice, dave) -> None:
    with time_machine.travel(START + timedelta(days=15), tick=False):
        edu = register(alice, "edu_compulsory", seq=4)
        refer_all(edu, alice)
        medical = str(Referral.objects.get(case=three_cases[0]).agency.code)
        refs = [c.reference for c in three_cases]
        for user in (alice, dave):  # a township's window and the county's coordinator
            client = client_for(user)
            assert references(client.get("/cases/", {"overdue": "1"}).content.decode()) == refs[:1]
            by_item = references(client.get("/cases/", {"item": "edu_compulsory"}).content.decode())
            assert by_item == [edu.reference]
            by_agency = client.get("/cases/", {"agency": medical}).content.decode()
            assert sorted(references(by_agency)) == sorted(refs)
            assert references(client.get("/cases/", {"item": "nonsense"}).content.decode()) == []
