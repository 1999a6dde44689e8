"""What each role is shown of others' work: the duplicate-ID answer, the receipt, the admin
site, the audit log's settings changes; and a 督办 sent twice is sent once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from onedoor.audit.actions import log_action
from onedoor.cases import registration, services
from onedoor.cases.models import Case, Referral
from onedoor.catalogue.models import Item
from onedoor.directory.models import Division, Staff

from .conftest import make_id_number, refer_all, register


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _register_elsewhere(walter: Any, id_number: str) -> None:
    registration.register_application(
        actor=walter,
        township=Division.objects.get(code="130302101"),
        village=Division.objects.filter(parent__code="130302101").first(),  # type: ignore[arg-type]
        members=[registration.MemberData(name="李四", id_number=id_number, relation="head")],
        items=[Item.objects.get(code="yiliao")],
        channel=Case.Channel.WALK_IN,
        statement="重复",
        consent=True,
    )


def test_an_id_registered_in_another_township_is_refused_without_naming_that_household(
    alice: Any, walter: Any
) -> None:
    register(alice, "yiliao")  # 张三's household in 文化路街道
    with pytest.raises(services.ActionError) as refused:
        _register_elsewhere(walter, make_id_number(1))
    message = str(refused.value)
    assert "张三" not in message
    assert "其他乡镇" in message and "联席" in message  # another township; whom to ask
    assert make_id_number(1) not in message  # masked
    assert Case.objects.count() == 1


def test_an_id_registered_in_the_same_township_names_the_household_to_use(alice: Any) -> None:
    register(alice, "yiliao")
    with pytest.raises(services.ActionError, match="张三"):
        register(alice, "yiliao")


def test_an_officers_receipt_lists_only_the_items_referred_to_their_agency(
    alice: Any, bob: Any, carol: Any
) -> None:
    case = register(alice, "yiliao", "edu_compulsory")
    refer_all(case, alice)
    medical, education = (Item.objects.get(code=c).name for c in ("yiliao", "edu_compulsory"))
    bobs = client_for(bob).get(f"/cases/{case.pk}/receipt/").content.decode()
    assert medical in bobs and education not in bobs
    carols = client_for(carol).get(f"/cases/{case.pk}/receipt/").content.decode()
    assert education in carols and medical not in carols
    alices = client_for(alice).get(f"/cases/{case.pk}/receipt/").content.decode()
    assert medical in alices and education in alices


def test_the_admin_site_is_for_platform_administrators_and_tells_a_county_one_why(
    county: Division,
) -> None:
    users = get_user_model().objects
    conrad = users.create_user("conrad", password="x", is_staff=True)
    Staff.objects.create(user=conrad, role=Staff.Role.ADMINISTRATOR, division=county)
    root = users.create_superuser("root", password="x")
    client = client_for(conrad)
    refused = client.get("/admin/deadlines/calendarday/", follow=True)
    assert refused.status_code == 403
    assert "平台管理员" in refused.content.decode()
    assert "东港镇" not in refused.content.decode()
    assert client_for(root).get("/admin/deadlines/calendarday/").status_code == 200


def test_supervisors_see_changes_to_settings_in_the_audit_log_and_can_filter_them(
    alice: Any, erin: Any, dave: Any
) -> None:
    register(alice, "yiliao")
    root = get_user_model().objects.create_superuser("root", password="x")
    log_action("calendar_day.added", actor=root, data={"object": "2027-01-04 休息日"})

    def rows(query: str) -> str:  # the table, not the filter's list of every action
        page = client_for(erin).get(f"/audit/{query}").content.decode()
        return page[page.index('<table class="audit">') :]

    everything = rows("")
    assert "新增日历调整" in everything and "登记申请" in everything
    settings_only = rows("?case=none")
    assert "新增日历调整" in settings_only and "登记申请" not in settings_only


def test_the_same_supervision_form_sent_twice_sends_one_notice(alice: Any, bob: Any, dave: Any):
    case = register(alice, "yiliao")
    refer_all(case, alice)
    referral = Referral.objects.get(case=case)
    coordinator = client_for(dave)
    form = {"text": "请于两日内办结", "notices_seen": "0", "next": f"/referrals/{referral.pk}/"}
    first = coordinator.post(f"/referrals/{referral.pk}/supervise/", form, follow=True)
    second = coordinator.post(f"/referrals/{referral.pk}/supervise/", form, follow=True)
    assert referral.supervision_notices.count() == 1
    assert "未再次发送" not in first.content.decode()
    assert "未再次发送" in second.content.decode()
    # Drawn again, the page carries the new count: a deliberate second notice goes out.
    page = coordinator.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'name="notices_seen" value="1"' in page
    coordinator.post(f"/referrals/{referral.pk}/supervise/", {**form, "notices_seen": "1"})
    assert referral.supervision_notices.count() == 2
