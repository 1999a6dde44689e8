"""Printed papers: the 办结告知书 from the notice and the outcomes, the 督办单 from the 督办."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onedoor.cases.models import ApplicantNotice, Referral, SupervisionNotice
from tests.personas import password_of

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password_of(user.username))
    return client


def test_the_notice_letter_prints_the_text_and_each_items_outcome(
    alice: Any, walter: Any, carol: Any
) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    Referral.objects.filter(case=case).update(
        outcome=Referral.Outcome.GRANTED, amount_fen=120050, note="已按规定救助"
    )
    notice = ApplicantNotice.objects.create(
        case=case,
        channel=ApplicantNotice.Channel.IN_WRITING,
        text="您申请的医疗救助已获批准。",
        notified_by=alice,
    )
    url = reverse("cases:notice_letter", args=[notice.pk])
    page = signed_in(alice).get(url).content.decode()
    assert "办结告知书" in page and case.reference in page
    assert "您申请的医疗救助已获批准。" in page
    assert "¥1,200.50" in page and "已按规定救助" in page
    assert "行政复议" in page
    assert (
        case.reference
        in signed_in(alice).get(reverse("cases:case", args=[case.pk])).content.decode()
    )
    for outsider in (walter, carol):
        assert signed_in(outsider).get(url).status_code == 404


def test_the_supervision_slip_prints_the_level_the_due_time_and_the_answer(
    alice: Any, bob: Any, dave: Any, walter: Any
) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    first = SupervisionNotice.objects.create(referral=referral, text="请尽快签收", level=1)
    second = SupervisionNotice.objects.create(
        referral=referral,
        text="已逾期，请分管领导督促办理",
        level=2,
        issued_by=dave,
        due_at=timezone.now(),
        answer="材料核实中",
        promised_date=timezone.localdate(),
        answered_by=bob,
        answered_at=timezone.now(),
    )
    page = signed_in(dave).get(reverse("cases:supervision_slip", args=[second.pk]))
    text = page.content.decode()
    assert "督办单" in text and "二级督办" in text and "本事项第 2 次督办" in text
    assert "已逾期，请分管领导督促办理" in text and "材料核实中" in text
    first_page = signed_in(bob).get(reverse("cases:supervision_slip", args=[first.pk]))
    assert "一级督办" in first_page.content.decode() and "尚未回复" in first_page.content.decode()
    assert (
        signed_in(walter).get(reverse("cases:supervision_slip", args=[first.pk])).status_code == 404
    )
    assert (
        "cases:supervision_slip"
        and reverse("cases:supervision_slip", args=[first.pk])
        in signed_in(dave).get(reverse("cases:referral", args=[referral.pk])).content.decode()
    )


def test_the_notice_to_the_applicant_is_drafted_from_the_outcomes(alice: Any) -> None:
    case = register(alice, "yiliao")
    refer_all(case, alice)
    Referral.objects.filter(case=case).update(
        outcome=Referral.Outcome.GRANTED, amount_fen=80000, note="医疗费用按比例救助"
    )
    from onedoor.cases.forms import NotifyForm

    text = NotifyForm(case=case)["text"].value()
    assert text.splitlines() == [
        "您申请的社会救助事项办理结果如下：",
        "1. 医疗救助（县医疗保障局）：予以救助，金额 ¥800.00；医疗费用按比例救助",
        "如有疑问，请与文化路街道社会救助窗口联系。",
    ]
