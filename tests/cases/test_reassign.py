"""改派: the agency's leader in charge gives a signed referral to another of its officers, with
a reason; audited, the new officer told; nobody else may, and nothing changes on bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases import services
from onedoor.cases.models import Referral
from onedoor.directory.models import Staff
from tests.cases.conftest import task_of
from tests.cases.test_views import alices_case, client_for
from tests.personas import make_staff

__all__ = ["alices_case"]  # the fixture, shared with the page tests


@pytest.fixture
def signed(alices_case: Any, bob: Any) -> Referral:
    services.sign_referral(task_of(alices_case, "sign_for_referral"), actor=bob, decision="sign")
    referral = Referral.objects.get(case=alices_case)
    assert referral.officer == bob
    return referral


@pytest.fixture
def bert(county: Any) -> Any:
    """A second officer of 县医疗保障局, Bob's colleague."""
    user = make_staff("bert", Staff.Role.AGENCY_OFFICER, "130302", "medical")
    user.first_name = "白尔特"
    user.save(update_fields=["first_name"])
    return user


def _reassign(user: Any, referral: Referral, officer: Any, reason: str = "鲍勃休假") -> Any:
    return client_for(user).post(
        f"/referrals/{referral.pk}/reassign/",
        {"officer": str(officer.pk), "reason": reason},
        follow=True,
    )


def _said(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_the_leader_reassigns_a_signed_referral_and_the_officer_hears_of_it(
    signed: Referral, leader: Any, bert: Any, django_capture_on_commit_callbacks: Any
) -> None:
    page = client_for(leader).get(f"/referrals/{signed.pk}/").content.decode()
    assert "本部门内改派" in page and "承办人" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _reassign(leader, signed, bert)
    assert "已改派给" in _said(response)
    signed.refresh_from_db()
    assert signed.officer == bert
    event = AuditEvent.objects.get(action="referral.reassigned", referral=signed)
    assert event.data["reason"] == "鲍勃休假"
    assert (event.before["officer"], event.after["officer"]) == ("bob", "白尔特")
    assert Notification.objects.filter(recipient=bert, data__action="referral.reassigned").exists()
    # The same choice again: nothing changes, and the page says so.
    again = _reassign(leader, signed, bert)
    assert "未作改动" in _said(again)
    assert AuditEvent.objects.filter(action="referral.reassigned").count() == 1
    # The leader's figures count the referral under its new officer.
    figures = client_for(leader).get("/supervision/agency/").content.decode()
    assert "白尔特" in figures
    # The timeline names the leader as such.
    history = client_for(leader).get(f"/referrals/{signed.pk}/").content.decode()
    timeline = history.split("办理记录")[-1]
    assert "lena（部门分管领导）" in timeline and "lena（部门经办人）" not in timeline


def test_only_the_agencys_leader_may_reassign_and_only_to_its_officers(
    signed: Referral, bob: Any, carol: Any, dave: Any, leader: Any, bert: Any
) -> None:
    for outsider in (bob, dave):
        assert _reassign(outsider, signed, bert).status_code == 403
    assert _reassign(carol, signed, bert).status_code == 404
    # Another agency's officer is no choice.
    assert "请修正" in _said(_reassign(leader, signed, carol))
    # No reason: refused.
    assert "请修正" in _said(_reassign(leader, signed, bert, reason="  "))
    signed.refresh_from_db()
    assert signed.officer == bob
    assert not AuditEvent.objects.filter(action="referral.reassigned").exists()


def test_a_referral_not_signed_for_yet_cannot_be_reassigned(
    alices_case: Any, leader: Any, bert: Any
) -> None:
    referral = Referral.objects.get(case=alices_case)
    page = client_for(leader).get(f"/referrals/{referral.pk}/").content.decode()
    assert "本部门内改派" not in page
    assert "尚未签收" in _said(_reassign(leader, referral, bert))
    referral.refresh_from_db()
    assert referral.officer is None


@pytest.mark.parametrize(
    "officer, reason",
    [
        ("99999999999999999999", "出差"),
        ("a\x00b", "出差"),
        ("", "出差"),
        ("{bert}", "x" * 5000),
        ("{bert}", "理由\x00"),
    ],
)
def test_hostile_reassignments_are_answered_and_change_nothing(
    signed: Referral, leader: Any, bert: Any, bob: Any, officer: str, reason: str
) -> None:
    response = client_for(leader).post(
        f"/referrals/{signed.pk}/reassign/",
        {"officer": officer.format(bert=bert.pk), "reason": reason},
        follow=True,
    )
    assert response.status_code in {200, 400}
    signed.refresh_from_db()
    assert signed.officer == bob
    assert not AuditEvent.objects.filter(action="referral.reassigned").exists()
