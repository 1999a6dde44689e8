"""反馈 is final and accountable: "granted" carries the amount where the item pays money (the
catalogue says which) or a note of what was given, and the page asks for confirmation before
it sends anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onedoor.cases import services
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item

from .conftest import refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def signed(alice: Any, bob: Any) -> Case:
    """Alice's case for 医疗救助 (an item that pays money), signed for by Bob's agency."""
    case = register(alice, "yiliao")
    refer_all(case, alice)
    services.sign_referral(task_of(case, "sign_for_referral"), actor=bob, decision="sign")
    return case


def feedback_form(case: Case, **fields: str) -> tuple[str, dict[str, str]]:
    task = task_of(case, "handle_referral")
    p = f"t{task.pk}"
    referral = Referral.objects.get(case=case)
    data = {f"{p}-handling": "feedback", "next": f"/referrals/{referral.pk}/"}
    data.update({f"{p}-{name}": value for name, value in fields.items()})
    return f"/tasks/{task.task_id}/", data


def test_the_catalogue_says_which_items_pay_money() -> None:
    assert Item.objects.get(code="dibao").pays_money
    assert Item.objects.get(code="yiliao").pays_money
    assert not Item.objects.get(code="legal_aid").pays_money
    assert not Item.objects.get(code="employment").pays_money


def test_granting_an_item_that_pays_money_needs_the_amount(signed: Case, bob: Any) -> None:
    with pytest.raises(services.ActionError, match="救助金额"):
        services.give_feedback(
            task_of(signed, "handle_referral"),
            actor=bob,
            outcome="granted",
            amount_fen=None,
            note="已救助",
        )
    url, data = feedback_form(signed, outcome="granted", note="已救助")
    page = client_for(bob).post(url, data, follow=True).content.decode()
    assert "须填写救助金额" in page
    assert "确认提交" not in page  # refused before the confirmation step, not after it
    referral = Referral.objects.get(case=signed)
    assert referral.is_open and referral.outcome == ""


def test_granting_an_item_that_pays_no_money_needs_a_note_of_what_was_given(
    signed: Case, bob: Any
) -> None:
    Item.objects.filter(code="yiliao").update(pays_money=False)
    with pytest.raises(services.ActionError, match="写明给予的帮助"):
        services.give_feedback(
            task_of(signed, "handle_referral"),
            actor=bob,
            outcome="granted",
            amount_fen=None,
            note=" ",
        )
    services.give_feedback(
        task_of(signed, "handle_referral"),
        actor=bob,
        outcome="granted",
        amount_fen=None,
        note="已协助办理门诊慢特病认定",
    )
    assert Referral.objects.get(case=signed).outcome == "granted"


def test_the_form_tells_the_officer_what_granting_this_item_needs(signed: Case, bob: Any) -> None:
    referral = Referral.objects.get(case=signed)
    page = client_for(bob).get(f"/referrals/{referral.pk}/").content.decode()
    assert "本事项发放资金：予以救助须填写救助金额" in page


def test_the_outcome_is_shown_back_for_confirmation_and_sent_only_when_confirmed(
    signed: Case, bob: Any
) -> None:
    url, data = feedback_form(signed, outcome="granted", amount_yuan="1500", note="已发放")
    officer = client_for(bob)
    shown = officer.post(url, data)
    assert shown.status_code == 200
    page = shown.content.decode()
    assert "确认：办理并反馈" in page and "予以救助" in page and "¥1,500.00" in page
    assert "医疗救助" in page  # which item it is about
    assert 'name="confirmed" value="yes"' in page
    referral = Referral.objects.get(case=signed)
    assert referral.is_open and referral.outcome == ""  # nothing sent yet

    done = officer.post(url, {**data, "confirmed": "yes"}, follow=True).content.decode()
    assert "办理结果已反馈窗口" in done
    referral.refresh_from_db()
    assert (referral.outcome, referral.amount_fen) == ("granted", 150_000)
    events = referral.audit_events.filter(action="referral.feedback").count()

    # The confirmation sent twice (a double click, the Back button): once, and said so.
    again = officer.post(url, {**data, "confirmed": "yes"}, follow=True).content.decode()
    assert "本次提交未作更改" in again
    assert referral.audit_events.filter(action="referral.feedback").count() == events == 1


def test_asking_for_an_extension_needs_no_confirmation(signed: Case, bob: Any) -> None:
    task = task_of(signed, "handle_referral")
    p = f"t{task.pk}"
    client_for(bob).post(
        f"/tasks/{task.task_id}/",
        {f"{p}-handling": "extend", f"{p}-extension_days": "3", f"{p}-reason": "需入户核查"},
    )
    assert Referral.objects.get(case=signed).clock_changes.count() == 1
