"""Every administrative POST changes state once, however often it is sent (a double click, a
resent form, a second tab): the second send changes nothing, logs nothing and says why."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from onedoor.audit.models import AuditEvent
from onedoor.directory.models import Agency, Division, Staff
from tests.administration.test_pages import adam, messages_of, new_account, signed_in

__all__ = ["adam"]  # the fixture, shared with the page tests

pytestmark = pytest.mark.django_db


def _twice(client: Any, url: str, data: dict[str, str]) -> tuple[Any, Any]:
    return client.post(url, data, follow=True), client.post(url, data, follow=True)


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_new_account_sent_twice_is_made_once(adam: Any) -> None:
    client = signed_in(adam)
    new_account(client)
    again = new_account(client)
    assert Staff.objects.filter(user__username="wang.fang").count() == 1
    assert _events("staff.created") == 1
    assert any("wang.fang" in m or "登录名" in m for m in messages_of(again)), messages_of(again)


def test_a_new_agency_and_a_new_village_sent_twice_are_made_once(adam: Any) -> None:
    client = signed_in(adam)
    Agency.objects.filter(kind="charity").delete()
    _first, again = _twice(
        client, reverse("administration:agencies"), {"kind": "charity", "name": "县慈善总会"}
    )
    assert Agency.objects.filter(kind="charity").count() == 1
    assert _events("agency.created") == 1
    assert messages_of(again)
    township = Division.objects.get(code="130302001")
    _first, again = _twice(
        client,
        reverse("administration:divisions"),
        {"parent": str(township.pk), "code": "130302001099", "name": "新建社区"},
    )
    assert Division.objects.filter(code="130302001099").count() == 1
    assert _events("division.created") == 1
    assert any("130302001099" in m for m in messages_of(again))


def test_deactivation_and_a_password_reset_sent_twice_happen_once(adam: Any, alice: Any) -> None:
    client = signed_in(adam)
    _twice(client, reverse("administration:staff_active", args=[alice.staff.pk]), {"active": "0"})
    assert _events("staff.deactivated") == 1
    password = {"password": "New-Window-Pass-77", "password_again": "New-Window-Pass-77"}
    _twice(client, reverse("administration:staff_password", args=[alice.staff.pk]), password)
    assert _events("staff.password_reset") == 1


def test_a_renaming_sent_twice_is_logged_once(adam: Any) -> None:
    village = Division.objects.filter(level=Division.Level.VILLAGE).first()
    assert village is not None
    _twice(
        signed_in(adam),
        reverse("administration:rename_division", args=[village.pk]),
        {"name": "新城社区"},
    )
    assert _events("division.renamed") == 1
