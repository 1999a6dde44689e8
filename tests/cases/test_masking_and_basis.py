"""One rule for ID numbers on the case page and the referral page (cases/access.py), and a
referral slip that cites a basis only where a document that binds here is its source."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def referred(alice: Any, bob: Any) -> Case:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    return case


def shows(user: Any, url: str, number: str) -> str:
    page = client_for(user).get(url).content.decode()
    masked = number[:4] + "*" * 10 + number[-4:]
    if number in page:
        return "full"
    assert masked in page, url
    return "masked"


def test_each_user_sees_an_id_number_the_same_way_on_the_case_and_the_referral_page(
    referred: Case, alice: Any, bob: Any, dave: Any, erin: Any
) -> None:
    number = referred.applicant.id_number
    referral = Referral.objects.get(case=referred)
    pages = (f"/cases/{referred.pk}/", f"/referrals/{referral.pk}/")
    seen = {
        user.username: {shows(user, url, number) for url in pages}
        for user in (alice, bob, dave, erin)
    }
    # The window that registered the household: in full on both (it was masked on the
    # referral page before); the officer while it is his to work: in full on both; the
    # coordinator and the supervisor: masked on both.
    assert seen == {
        "alice": {"full"},
        "bob": {"full"},
        "dave": {"masked"},
        "erin": {"masked"},
    }


def test_the_slip_prints_no_county_practice_or_other_places_example_as_a_basis(
    referred: Case, alice: Any
) -> None:
    referral = Referral.objects.get(case=referred)
    slip = client_for(alice).get(f"/referrals/{referral.pk}/slip/").content.decode()
    assert "10 个工作日" in slip
    assert "县级惯例" not in slip and "地方示例" not in slip and "依据" not in slip


def test_no_seeded_rule_citing_another_place_counts_as_a_basis() -> None:
    seeded = TimeLimitRule.objects.filter(source__contains="地方示例")
    assert seeded.exists()
    assert not any(rule.cites_document for rule in seeded)
    assert not any(r.cites_document for r in TimeLimitRule.objects.filter(source__contains="惯例"))


def test_the_slip_cites_a_document_that_binds_here(referred: Case, alice: Any) -> None:
    TimeLimitRule.objects.create(
        item=Item.objects.get(code="yiliao"),
        step=TimeLimitRule.Step.HANDLE,
        working_days=8,
        source="海港区医疗救助实施细则（港政办〔2026〕3号）第十条",
        source_level=TimeLimitRule.SourceLevel.LOCAL,
        effective_from=date(2026, 1, 1),
    )
    referral = Referral.objects.get(case=referred)
    slip = client_for(alice).get(f"/referrals/{referral.pk}/slip/").content.decode()
    assert "8 个工作日（依据：海港区医疗救助实施细则（港政办〔2026〕3号）第十条）" in slip
