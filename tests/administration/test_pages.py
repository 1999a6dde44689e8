"""The county administrator keeps the directory current: accounts, agencies, divisions.

Adam administers 海港区; Yves administers 北戴河区 and must reach nothing of 海港区. Every change
is one audited service call; bad input changes nothing and says why.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from onedoor.audit.models import AuditEvent
from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import seed_county
from tests.personas import make_staff, password_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def adam(county: Division) -> Any:
    return make_staff("adam", Staff.Role.ADMINISTRATOR, "130302")


@pytest.fixture
def yves(county: Division) -> Any:
    seed_county("130303", "北戴河区", {"130303001": ("西山街道", ["西山社区"])})
    return make_staff("yves", Staff.Role.ADMINISTRATOR, "130303")


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password_of(user.username))
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def new_account(client: Client, **changes: str) -> Any:
    township = Division.objects.get(code="130302001")
    data = {
        "username": "wang.fang",
        "full_name": "王芳",
        "role": Staff.Role.WINDOW,
        "division": str(township.pk),
        "agency": "",
        "phone": "13800000001",
        "password": "Window-Clerk-2026",
        "password_again": "Window-Clerk-2026",
    } | changes
    return client.post(reverse("administration:staff_new"), data, follow=True)


def test_a_new_window_clerk_can_sign_in_and_works_her_township(adam: Any) -> None:
    client = signed_in(adam)
    response = new_account(client)
    assert response.status_code == 200
    assert "告知本人登录名和初始密码" in response.content.decode()
    staff = Staff.objects.get(user__username="wang.fang")
    assert (staff.role, staff.division.code, staff.display_name) == ("window", "130302001", "王芳")
    event = AuditEvent.objects.get(action="staff.created")
    assert event.actor == adam and event.after["division"] == "130302001"
    assert "Window-Clerk-2026" not in str(event.after) + str(event.data)
    clerk = Client()
    assert clerk.login(username="wang.fang", password="Window-Clerk-2026")
    assert clerk.get(reverse("cases:intake")).status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"division": "county"}, "窗口工作人员"),  # a window clerk works in a township
        ({"role": Staff.Role.AGENCY_OFFICER, "division": "county"}, "需要选择所属部门"),
        ({"password_again": "something-else-2026"}, "两次输入的密码不一致"),
        ({"password": "123", "password_again": "123"}, "密码"),
        ({"username": "adam"}, "已被使用"),
        ({"username": "王 芳"}, "登录名"),
        ({"division": "99999999999999999999999"}, "选择"),
    ],
)
def test_an_account_that_would_not_fit_is_refused_and_nothing_is_created(
    adam: Any, changes: dict[str, str], message: str
) -> None:
    if changes.get("division") == "county":
        changes["division"] = str(Division.objects.get(code="130302").pk)
    before = Staff.objects.count()
    response = new_account(signed_in(adam), **changes)
    assert response.status_code == 200
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert Staff.objects.count() == before
    assert not AuditEvent.objects.filter(action="staff.created").exists()


def test_an_officer_is_moved_to_another_agency_and_made_leader_with_before_and_after(
    adam: Any, bob: Any
) -> None:
    staff = bob.staff
    education = Agency.objects.get(code="130302-education")
    response = signed_in(adam).post(
        reverse("administration:staff", args=[staff.pk]),
        {
            "full_name": "李波",
            "role": Staff.Role.AGENCY_OFFICER,
            "division": str(staff.division_id),
            "agency": str(education.pk),
            "is_agency_leader": "on",
            "phone": "",
        },
        follow=True,
    )
    assert "已保存" in " ".join(messages_of(response))
    staff.refresh_from_db()
    assert (staff.agency, staff.is_agency_leader, staff.display_name) == (education, True, "李波")
    event = AuditEvent.objects.get(action="staff.changed")
    assert event.before["agency"] == "130302-medical"
    assert event.after["agency"] == "130302-education" and event.after["leader"] is True


def test_a_deactivated_account_cannot_sign_in_and_a_second_click_changes_nothing(
    adam: Any, alice: Any
) -> None:
    client = signed_in(adam)
    url = reverse("administration:staff_active", args=[alice.staff.pk])
    client.post(url, {"active": "0"})
    client.post(url, {"active": "0"})
    alice.refresh_from_db()
    assert not alice.is_active
    assert AuditEvent.objects.filter(action="staff.deactivated").count() == 1
    assert not Client().login(username="alice", password=password_of("alice"))
    client.post(url, {"active": "1"})
    assert Client().login(username="alice", password=password_of("alice"))


def test_an_administrator_cannot_lock_themself_out(adam: Any) -> None:
    response = signed_in(adam).post(
        reverse("administration:staff_active", args=[adam.staff.pk]), {"active": "0"}, follow=True
    )
    assert "不能停用自己的账号" in " ".join(messages_of(response))
    adam.refresh_from_db()
    assert adam.is_active


def test_a_password_reset_lets_the_person_in_with_the_new_one_and_the_log_has_no_password(
    adam: Any, alice: Any
) -> None:
    signed_in(adam).post(
        reverse("administration:staff_password", args=[alice.staff.pk]),
        {"password": "New-Window-Pass-77", "password_again": "New-Window-Pass-77"},
    )
    assert Client().login(username="alice", password="New-Window-Pass-77")
    event = AuditEvent.objects.get(action="staff.password_reset")
    assert "New-Window-Pass-77" not in f"{event.before}{event.after}{event.data}"


def test_agency_details_are_kept_and_audited(adam: Any) -> None:
    medical = Agency.objects.get(code="130302-medical")
    signed_in(adam).post(
        reverse("administration:agency", args=[medical.pk]),
        {
            "name": medical.name,
            "leader_in_charge": "张副局长",
            "responsible_section": "医疗救助科",
            "contact_person": "刘科长",
            "contact_phone": "0335-1234567",
        },
    )
    medical.refresh_from_db()
    assert (medical.leader_in_charge, medical.responsible_section) == ("张副局长", "医疗救助科")
    event = AuditEvent.objects.get(action="agency.changed")
    assert event.after["contact_person"] == "刘科长"


def test_a_village_is_added_under_its_township_and_renamed(adam: Any) -> None:
    client = signed_in(adam)
    township = Division.objects.get(code="130302001")
    response = client.post(
        reverse("administration:divisions"),
        {"parent": str(township.pk), "code": "130302001099", "name": "新建社区"},
        follow=True,
    )
    assert "已添加" in " ".join(messages_of(response))
    village = Division.objects.get(code="130302001099")
    assert (village.level, village.parent) == ("village", township)
    client.post(reverse("administration:rename_division", args=[village.pk]), {"name": "新城社区"})
    village.refresh_from_db()
    assert village.name == "新城社区"
    assert list(
        AuditEvent.objects.filter(action__startswith="division.").values_list("action", flat=True)
    ) == ["division.created", "division.renamed"]
    # A code that does not extend the township's is refused.
    response = client.post(
        reverse("administration:divisions"),
        {"parent": str(township.pk), "code": "130302002001", "name": "错社区"},
        follow=True,
    )
    assert not Division.objects.filter(code="130302002001").exists()
    assert "130302001" in " ".join(messages_of(response))


def test_another_countys_administrator_reaches_nothing_of_this_county(
    adam: Any, yves: Any, alice: Any
) -> None:
    client = signed_in(yves)
    medical = Agency.objects.get(code="130302-medical")
    township = Division.objects.get(code="130302001")
    assert client.get(reverse("administration:staff", args=[alice.staff.pk])).status_code == 404
    assert client.get(reverse("administration:agency", args=[medical.pk])).status_code == 404
    assert (
        client.post(
            reverse("administration:staff_active", args=[alice.staff.pk]), {"active": "0"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("administration:rename_division", args=[township.pk]), {"name": "x"}
        ).status_code
        == 404
    )
    listing = client.get(reverse("administration:staff_list"), {"state": "all"}).content.decode()
    assert "alice" not in listing and "adam" not in listing
    alice.refresh_from_db()
    assert alice.is_active


def test_other_roles_are_refused(alice: Any, dave: Any) -> None:
    for user in (alice, dave):
        assert signed_in(user).get(reverse("administration:index")).status_code == 403
    nobody = get_user_model().objects.create_user("nobody", password="x")
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("administration:staff_list")).status_code == 403


def test_an_account_named_after_its_role_is_named_once_in_the_header(county: Division) -> None:
    """The demo's "系统管理员" is a name and a role alike: the header says it once."""
    user = make_staff("sysadmin", Staff.Role.ADMINISTRATOR, "130302")
    user.first_name = "系统管理员"
    user.save(update_fields=["first_name"])
    page = signed_in(user).get("/", follow=True).content.decode()
    assert "系统管理员（系统管理员）" not in page
    assert "系统管理员" in page
    assert str(make_staff("wanda", Staff.Role.WINDOW, "130302001").staff) == "wanda（窗口工作人员）"
