"""After an action: the message names what was done, a transfer asks where to before why, and
a returned referral is no longer the returning agency's work."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from onedoor.cases import services
from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency

from .conftest import refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def referred(alice: Any, bob: Any) -> Case:
    """Alice's case for 医疗救助, referred to Bob's agency and waiting for him to sign."""
    case = register(alice, "yiliao")
    refer_all(case, alice)
    return case


def sign_form(case: Case, **fields: str) -> tuple[str, dict[str, str]]:
    task = task_of(case, "sign_for_referral")
    p = f"t{task.pk}"
    return f"/tasks/{task.task_id}/", {f"{p}-{k}": v for k, v in fields.items()}


def test_a_transfer_says_it_was_transferred_and_to_whom(referred: Case, bob: Any) -> None:
    civil = Agency.objects.get(county__code="130302", kind="civil")
    url, data = sign_form(
        referred, decision="transfer", transfer_to=str(civil.pk), reason="应由民政部门办理"
    )
    page = client_for(bob).post(url, data, follow=True).content.decode()
    assert f"已转办至{civil.name}" in page
    assert "“签收”已办理" not in page


def test_a_return_says_it_was_returned(referred: Case, bob: Any) -> None:
    url, data = sign_form(referred, decision="return", reason="不属于本部门职责")
    page = client_for(bob).post(url, data, follow=True).content.decode()
    assert "已退回窗口" in page and "“签收”已办理" not in page


def test_signing_for_says_signed(referred: Case, bob: Any) -> None:
    url, data = sign_form(referred, decision="sign")
    assert "已签收" in client_for(bob).post(url, data, follow=True).content.decode()


def test_a_transfer_without_a_target_asks_for_the_target_not_a_reason(
    referred: Case, bob: Any
) -> None:
    url, data = sign_form(referred, decision="transfer")
    page = client_for(bob).post(url, data, follow=True).content.decode()
    assert "请选择移交的部门" in page
    assert "必须填写理由" not in page
    assert Referral.objects.get(case=referred).transfers == 0
    with pytest.raises(services.ActionError, match="请选择移交的部门"):
        services.sign_referral(
            task_of(referred, "sign_for_referral"), actor=bob, decision="transfer"
        )


def test_a_returned_referral_leaves_the_returning_agencys_inbox(
    referred: Case, alice: Any, bob: Any
) -> None:
    officer = client_for(bob)
    before = officer.get("/inbox/").content.decode()
    assert referred.reference in before
    services.sign_referral(
        task_of(referred, "sign_for_referral"), actor=bob, decision="return", reason="非本部门"
    )
    referral = Referral.objects.get(case=referred)
    assert referral.is_open  # at the window now, to be referred again
    inbox = officer.get("/inbox/").content.decode()
    assert referred.reference not in inbox
    assert "退回件重新分办" not in inbox
    agency = Agency.objects.get(pk=referral.agency_id)
    counts = Referral.objects.filter(agency=agency).inbox_counts(*_now_and_soon())
    assert counts["all"] == 0
    # The window has it, and the officer can still read what happened to it.
    assert task_of(referred, "reroute_referral").candidate_group == referred.township.code
    assert officer.get(f"/referrals/{referral.pk}/").status_code == 200


def _now_and_soon() -> tuple[Any, Any]:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    return now, now + timedelta(days=2)


def test_a_form_sent_back_keeps_what_was_typed_once(referred: Case, bob: Any) -> None:
    """A transfer with its reason written out but no agency chosen: the referral page comes
    back with the reason still in its box and 移交 still chosen, beside the field's error; the
    next visit shows the form empty again."""
    referral = Referral.objects.get(case=referred)
    page_url = f"/referrals/{referral.pk}/"
    url, data = sign_form(referred, decision="transfer", reason="户籍已迁往外县，应由迁入地办理")
    officer = client_for(bob)
    page = officer.post(url, {**data, "next": page_url}, follow=True).content.decode()
    assert "请修正" in page
    assert "户籍已迁往外县，应由迁入地办理</textarea>" in page
    [transfer] = re.findall(r'<input type="radio"[^>]*value="transfer"[^>]*>', page)
    assert transfer.endswith(" checked>"), transfer
    assert Referral.objects.get(pk=referral.pk).transfers == 0
    again = officer.get(page_url).content.decode()
    assert "户籍已迁往外县" not in again and "请修正" not in again


def test_a_window_step_sent_back_keeps_its_reason_on_the_case_page(alice: Any) -> None:
    case = register(alice, "yiliao")
    task = task_of(case, "review_application")
    data = {f"t{task.pk}-reason": "申请人不在本辖区居住"}  # the decision itself left out
    page = client_for(alice).post(f"/tasks/{task.task_id}/", data, follow=True).content.decode()
    assert "请修正" in page and "申请人不在本辖区居住</textarea>" in page
    assert Case.objects.get(pk=case.pk).stage == "review_application"
