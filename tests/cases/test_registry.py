"""The household registry and late consent: services and pages.

A household registered once is found again by any member's name, ID number, phone or
address, within the user's scope; its page shows its members and every application with
its outcome; a new application is made from it with nothing retyped; its members, income and
circumstances are updated through one service per action, audited before and after. A case
registered without consent gets it recorded later, and can then be referred.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onedoor.audit.models import AuditEvent
from onedoor.cases import consent, registration, registry, services
from onedoor.cases.models import Case, CaseItem, Referral
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division
from onedoor.households.models import Household, Member

from .conftest import make_id_number, refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member(household: Household, relation: str) -> Member:
    return household.members.get(relation=relation)


def _data(member: Member, **changes: Any) -> registration.MemberData:
    return registration.MemberData(**{**registry.member_facts(member), **changes})


# Services.


def test_an_item_is_for_the_members_the_catalogue_says_it_serves(alice) -> None:
    case = registration.register_application(
        actor=alice,
        township=Division.objects.get(code="130302001"),
        village=Division.objects.get(code="130302001001"),
        members=[
            registration.MemberData(name="李强", id_number=make_id_number(1), relation="head"),
            registration.MemberData(
                name="李小红",
                id_number=make_id_number(2, "20120101"),
                relation="child",
                in_school=True,
            ),
            registration.MemberData(
                name="李小刚",
                id_number=make_id_number(3, "20100101"),
                relation="child",
                disability="2",
            ),
        ],
        items=[
            Item.objects.get(code=c) for c in ("edu_compulsory", "disability_subsidies", "dibao")
        ],
        channel=Case.Channel.WALK_IN,
        statement="子女上学",
        consent=True,
    )
    names = CaseItem.names_for(case.pk)
    by_code = {Item.objects.get(pk=pk).code: n for pk, n in names.items()}
    assert by_code == {"edu_compulsory": "李小红", "disability_subsidies": "李小刚", "dibao": ""}


def test_a_household_whose_ages_do_not_fit_its_relations_is_refused(alice) -> None:
    with pytest.raises(services.ActionError, match="14"):
        registration.register_application(
            actor=alice,
            township=Division.objects.get(code="130302001"),
            village=Division.objects.get(code="130302001001"),
            members=[
                registration.MemberData(
                    name="户主", id_number=make_id_number(1, "20050101"), relation="head"
                ),
                registration.MemberData(
                    name="子女", id_number=make_id_number(2, "19650101"), relation="child"
                ),
            ],
            items=[Item.objects.get(code="dibao")],
            channel=Case.Channel.WALK_IN,
            statement="x",
            consent=True,
        )
    assert not Household.objects.exists()


def test_a_known_id_number_at_intake_names_the_household_to_apply_again_from(alice) -> None:
    first = register(alice, seq=1)
    with pytest.raises(registration.AlreadyRegistered) as raised:
        register(alice, seq=1)
    assert raised.value.household == first.household
    assert Case.objects.count() == 1


def test_applying_again_reuses_the_household_and_names_its_members(alice) -> None:
    first = register(alice, "yiliao")
    household = first.household
    child = _member(household, "child")
    again = registration.register_application(
        actor=alice,
        township=household.township,
        village=household.village,
        members=[],
        household=household,
        applicant=child,
        items=[Item.objects.get(code="edu_compulsory")],
        item_members={Item.objects.get(code="edu_compulsory").pk: [child.id_number]},
        channel=Case.Channel.WALK_IN,
        statement="孩子上学",
        consent=True,
    )
    assert again.household == household and again.applicant == child
    assert Household.objects.count() == 1 and household.members.count() == 2
    assert list(CaseItem.names_for(again.pk).values()) == ["张小三"]


def test_an_item_cannot_be_for_someone_outside_the_household(alice) -> None:
    household = register(alice, "yiliao", seq=1).household
    other = register(alice, "yiliao", seq=2).household
    item = Item.objects.get(code="yiliao")
    with pytest.raises(services.ActionError):
        registration.register_application(
            actor=alice,
            township=household.township,
            village=household.village,
            members=[],
            household=household,
            items=[item],
            item_members={item.pk: [_member(other, "head").id_number]},
            channel=Case.Channel.WALK_IN,
            statement="x",
            consent=True,
        )
    assert Case.objects.count() == 2


def test_updating_a_household_is_audited_with_the_values_before_and_after(alice) -> None:
    household = register(alice).household
    seen = registry.fingerprint(registry.household_facts(household))
    registry.update_household(
        household,
        actor=alice,
        address="新华路8号",
        classification=Household.Classification.LOW_INCOME,
        monthly_income_fen=150000,
        seen=seen,
    )
    household.refresh_from_db()
    assert (household.address, household.monthly_income_fen) == ("新华路8号", 150000)
    event = AuditEvent.objects.get(action="household.updated")
    assert event.household == household and event.actor == alice
    assert event.before == {"address": "", "classification": "none", "monthly_income_fen": 0}
    assert event.after == {
        "address": "新华路8号",
        "classification": "low_income",
        "monthly_income_fen": 150000,
    }


def test_a_stale_page_does_not_overwrite_a_colleagues_change(alice) -> None:
    household = register(alice).household
    seen = registry.fingerprint(registry.household_facts(household))
    registry.update_household(
        household, actor=alice, address="A", classification="none", monthly_income_fen=0, seen=seen
    )
    with pytest.raises(services.ActionError) as raised:
        registry.update_household(
            household,
            actor=alice,
            address="B",
            classification="none",
            monthly_income_fen=0,
            seen=seen,
        )
    assert not isinstance(raised.value, registry.NothingChanged)
    household.refresh_from_db()
    assert household.address == "A"
    # The same change sent twice is no change the second time, and says so.
    with pytest.raises(registry.NothingChanged):
        registry.update_household(
            household,
            actor=alice,
            address="A",
            classification="none",
            monthly_income_fen=0,
            seen=seen,
        )
    assert AuditEvent.objects.filter(action="household.updated").count() == 1


def test_updating_a_member_records_the_change_with_the_id_number_masked(alice) -> None:
    household = register(alice).household
    child = _member(household, "child")
    seen = registry.fingerprint(registry.member_facts(child))
    new_number = make_id_number(777, "20120101")
    registry.update_member(
        child,
        actor=alice,
        data=_data(child, id_number=new_number, in_school=True, disability="3"),
        seen=seen,
    )
    child.refresh_from_db()
    assert (child.id_number, child.in_school, child.disability) == (new_number, True, "3")
    event = AuditEvent.objects.get(action="household.member_updated")
    assert event.after["member"]["in_school"] is True
    assert event.after["member"]["id_number"] == new_number[:4] + "*" * 10 + new_number[-4:]
    assert event.before["member"]["disability"] == "none"


def test_a_member_update_that_breaks_the_household_changes_nothing(alice) -> None:
    household = register(alice, seq=1).household
    other = register(alice, seq=2).household
    child = _member(household, "child")
    seen = registry.fingerprint(registry.member_facts(child))
    attempts = [
        {"relation": "head"},  # two heads
        {"id_number": make_id_number(1, "19790101")},  # older than the head, as a child
        {"id_number": _member(other, "head").id_number},  # someone else's number
    ]
    for change in attempts:
        with pytest.raises(services.ActionError):
            registry.update_member(child, actor=alice, data=_data(child, **change), seen=seen)
    assert registry.member_facts(Member.objects.get(pk=child.pk)) == registry.member_facts(child)
    assert not AuditEvent.objects.filter(action="household.member_updated").exists()


def test_adding_a_member_once_even_when_sent_twice(alice) -> None:
    household = register(alice).household
    baby = registration.MemberData(
        name="张小四", id_number=make_id_number(900, "20240601"), relation="child"
    )
    registry.add_member(household, actor=alice, data=baby)
    with pytest.raises(registry.NothingChanged):
        registry.add_member(household, actor=alice, data=baby)
    assert household.members.count() == 3
    assert (
        AuditEvent.objects.filter(action="household.member_added", household=household).count() == 1
    )


def test_consent_recorded_late_lets_the_case_be_referred(alice, bob) -> None:
    case = register(alice, "yiliao", consent=False)
    services.review_application(task_of(case, "review_application"), actor=alice, accepted=True)
    medical = Agency.objects.get(code="130302-medical")
    item = Item.objects.get(code="yiliao")
    with pytest.raises(services.ActionError, match="同意"):
        services.refer_case(task_of(case, "split_case"), actor=alice, choices=[(item, medical)])
    consent.record_consent(
        case,
        actor=alice,
        method=Case.ConsentMethod.SIGNED_FORM,
        given_by="张三",
        given_on=timezone.localdate(),
        note="已签署授权书",
    )
    case.refresh_from_db()
    assert case.consent_to_share and case.consent_recorded_by == alice
    assert case.consent_method == "signed_form" and case.consent_given_by == "张三"
    event = AuditEvent.objects.get(case=case, action="case.consent_recorded")
    assert event.before == {"consent": False} and event.after["method"] == "signed_form"
    services.refer_case(task_of(case, "split_case"), actor=alice, choices=[(item, medical)])
    assert Referral.objects.filter(case=case, agency=medical).exists()


def test_consent_is_recorded_once_and_only_with_what_it_needs(alice) -> None:
    case = register(alice, consent=False)
    today = timezone.localdate()
    bad: list[dict[str, Any]] = [
        {"method": "on_behalf", "given_by": "张三之妻", "given_on": today, "note": ""},
        {"method": "signed_form", "given_by": " ", "given_on": today},
        {"method": "signed_form", "given_by": "张三", "given_on": today + timedelta(days=1)},
        {"method": "intake", "given_by": "张三", "given_on": today},
    ]
    for kwargs in bad:
        with pytest.raises(services.ActionError):
            consent.record_consent(case, actor=alice, **kwargs)
    case.refresh_from_db()
    assert not case.consent_to_share
    consent.record_consent(
        case,
        actor=alice,
        method="on_behalf",
        given_by="张三之妻",
        given_on=today - timedelta(days=1),
        note="申请人住院，由配偶代为签署",
    )
    with pytest.raises(services.ActionError, match="已"):
        consent.record_consent(
            case, actor=alice, method="signed_form", given_by="张三", given_on=today
        )
    assert AuditEvent.objects.filter(case=case, action="case.consent_recorded").count() == 1
    case.refresh_from_db()
    assert timezone.localdate(case.consent_at) == today - timedelta(days=1)


# Pages.


@pytest.fixture
def households(alice, walter) -> dict[str, Household]:
    """Alice's township: 张三's household (one application, referred); Walter's township:
    another household nobody of Alice's may find."""
    mine = register(alice, "yiliao", seq=1)
    refer_all(mine, alice)
    mine.household.address = "红旗路12号"
    mine.household.save()
    Member.objects.filter(household=mine.household, relation="head").update(phone="13800001111")
    theirs = registration.register_application(
        actor=walter,
        township=Division.objects.get(code="130302101"),
        village=Division.objects.filter(parent__code="130302101").order_by("code")[0],
        members=[
            registration.MemberData(name="张三丰", id_number=make_id_number(50), relation="head")
        ],
        items=[Item.objects.get(code="dibao")],
        channel=Case.Channel.WALK_IN,
        statement="x",
        consent=True,
    )
    return {"mine": mine.household, "theirs": theirs.household}


def test_a_clerk_finds_a_household_by_name_id_number_phone_or_address(households, alice) -> None:
    mine, theirs = households["mine"], households["theirs"]
    head = _member(mine, "head")
    client = client_for(alice)
    for text in ("张小三", head.id_number[-6:], head.id_number, "13800001111", "红旗路", "张"):
        found = list(client.get("/households/", {"q": text}).context["page"])
        assert found == [mine], text  # never Walter's 张三丰, though "张" matches him too
    assert list(client.get("/households/", {"q": "无此人"}).context["page"]) == []
    page = client.get("/households/", {"q": "张"}).content.decode()
    assert f"/households/{mine.pk}/" in page and f"/households/{theirs.pk}/" not in page


def test_a_village_assistant_finds_only_their_villages_households(households, victor) -> None:
    found = list(client_for(victor).get("/households/", {"q": "张"}).context["page"])
    assert found == [households["mine"]]  # 红旗社区 is Victor's village


def test_the_household_page_shows_members_and_every_application_with_its_outcome(
    households, alice, walter
) -> None:
    mine = households["mine"]
    case = mine.cases.get()
    referral = case.referrals.get()
    referral.outcome, referral.amount_fen = Referral.Outcome.GRANTED, 120000
    referral.save()
    page = client_for(alice).get(f"/households/{mine.pk}/").content.decode()
    assert "张三" in page and "张小三" in page
    assert f"/cases/{case.pk}/" in page and case.reference in page
    assert "予以救助" in page and "¥1,200.00" in page
    assert f"/households/{mine.pk}/apply/" in page
    assert client_for(walter).get(f"/households/{mine.pk}/").status_code == 404


def test_applying_again_from_the_household_page_retypes_nothing(households, alice) -> None:
    mine = households["mine"]
    child = _member(mine, "child")
    child.in_school = True
    child.save()
    client = client_for(alice)
    form = client.get(f"/households/{mine.pk}/apply/").context["form"]
    edu = Item.objects.get(code="edu_compulsory")
    assert form.fields[f"for_{edu.pk}"].initial == [child.pk]  # pre-filled: the student
    response = client.post(
        f"/households/{mine.pk}/apply/",
        {
            "applicant": _member(mine, "head").pk,
            "channel": "walk_in",
            "statement": "孩子上学费用",
            "items": [edu.pk],
            f"for_{edu.pk}": [child.pk],
            "consent": "on",
        },
    )
    case = Case.objects.latest("pk")
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.household == mine and Household.objects.count() == 2
    assert CaseItem.names_for(case.pk) == {edu.pk: "张小三"}
    detail = client.get(f"/households/{mine.pk}/").content.decode()
    assert case.reference in detail


def test_the_intake_duplicate_check_leads_to_the_household(households, alice) -> None:
    mine = households["mine"]
    head = _member(mine, "head")
    response = client_for(alice).post(
        "/cases/new/",
        {
            "village": Division.objects.get(code="130302001001").pk,
            "classification": "none",
            "monthly_income_yuan": "0",
            "channel": "walk_in",
            "statement": "x",
            "items": [Item.objects.get(code="dibao").pk],
            "m-TOTAL_FORMS": "1",
            "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "1",
            "m-MAX_NUM_FORMS": "1000",
            "m-0-name": "张三",
            "m-0-id_number": head.id_number,
            "m-0-relation": "head",
            "m-0-work_capacity": "full",
            "m-0-disability": "none",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/households/{mine.pk}/apply/"' in page
    assert "请从已有家庭登记申请" not in page


def test_updating_income_through_the_page_is_audited(households, alice) -> None:
    mine = households["mine"]
    client = client_for(alice)
    seen = client.get(f"/households/{mine.pk}/edit/").context["form"].initial["seen"]
    data = {"address": "红旗路12号", "classification": "dibao", "monthly_income_yuan": "800.50"}
    response = client.post(f"/households/{mine.pk}/edit/", {**data, "seen": seen})
    assert response["Location"] == f"/households/{mine.pk}/"
    mine.refresh_from_db()
    assert (mine.classification, mine.monthly_income_fen) == ("dibao", 80050)
    page = client.get(f"/households/{mine.pk}/").content.decode()
    assert "¥0.00 → ¥800.50" in page
    # The same form sent again changes nothing more.
    client.post(f"/households/{mine.pk}/edit/", {**data, "seen": seen})
    assert AuditEvent.objects.filter(household=mine).count() == 1


def test_a_member_is_updated_and_added_from_the_household_page(households, alice) -> None:
    mine = households["mine"]
    child = _member(mine, "child")
    client = client_for(alice)
    initial = client.get(f"/members/{child.pk}/edit/").context["form"].initial
    fields = {k: v for k, v in initial.items() if v not in (False, None)}
    response = client.post(f"/members/{child.pk}/edit/", {**fields, "in_school": "on"})
    assert response["Location"] == f"/households/{mine.pk}/"
    child.refresh_from_db()
    assert child.in_school
    new = {
        "name": "张小四",
        "id_number": make_id_number(901, "20230301"),
        "relation": "child",
        "work_capacity": "none",
        "disability": "none",
    }
    assert client.post(f"/households/{mine.pk}/members/new/", new).status_code == 302
    assert mine.members.filter(name="张小四").exists()
    labels = [e.action for e in AuditEvent.objects.filter(household=mine).order_by("pk")]
    assert labels == ["household.member_updated", "household.member_added"]


def test_the_case_page_asks_for_consent_first_and_then_lets_it_be_referred(alice, erin) -> None:
    case = register(alice, "yiliao", consent=False)
    services.review_application(task_of(case, "review_application"), actor=alice, accepted=True)
    client = client_for(alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/consent/"' in page
    # A supervisor reads the case but records nothing.
    assert (
        f'action="/cases/{case.pk}/consent/"'
        not in client_for(erin).get(f"/cases/{case.pk}/").content.decode()
    )
    assert client_for(erin).post(f"/cases/{case.pk}/consent/", {}).status_code == 403
    response = client.post(
        f"/cases/{case.pk}/consent/",
        {"method": "signed_form", "given_by": "张三", "given_on": timezone.localdate()},
    )
    assert response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.consent_to_share
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/consent/"' not in page
    # Sent twice: the second says it was already recorded and changes nothing.
    again = client.post(
        f"/cases/{case.pk}/consent/",
        {"method": "signed_form", "given_by": "李四", "given_on": timezone.localdate()},
        follow=True,
    )
    assert "已" in again.content.decode()
    case.refresh_from_db()
    assert case.consent_given_by == "张三"


def test_referral_page_and_slip_name_whom_the_item_is_for(alice, bob) -> None:
    case = register(alice, "edu_compulsory")
    child = case.household.members.get(relation="child")
    case.items.get().members.set([child])
    refer_all(case, alice)
    referral = case.referrals.get()
    assert "张小三" in client_for(alice).get(f"/referrals/{referral.pk}/slip/").content.decode()
    carol_page = client_for(alice).get(f"/referrals/{referral.pk}/").content.decode()
    assert "张小三" in carol_page
    assert "（为张小三）" in client_for(alice).get(f"/cases/{case.pk}/").content.decode()


def _intake(members: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "village": Division.objects.get(code="130302001001").pk,
        "classification": "none",
        "monthly_income_yuan": "0",
        "channel": "walk_in",
        "statement": "x",
        "consent": "on",
        "m-TOTAL_FORMS": str(len(members)),
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, member in enumerate(members):
        defaults = {"work_capacity": "full", "disability": "none"}
        data |= {f"m-{i}-{k}": v for k, v in {**defaults, **member}.items()}
    return data


def test_the_intake_names_whom_each_item_is_for_as_the_clerk_ticked(alice) -> None:
    edu, dibao = Item.objects.get(code="edu_compulsory"), Item.objects.get(code="dibao")
    members = [
        {"name": "赵一", "id_number": make_id_number(61), "relation": "head"},
        {"name": "赵二", "id_number": make_id_number(62, "20130101"), "relation": "child"},
        {"name": "赵三", "id_number": make_id_number(63, "20150101"), "relation": "child"},
    ]
    # The page's script sends `members_named` and the rows ticked per item (row numbers):
    # the third child, not the catalogue's guess; 低保 for the household; a row that is no
    # member is ignored.
    data = _intake(
        members, items=[edu.pk, dibao.pk], members_named="1", **{f"for_{edu.pk}": ["2", "7"]}
    )
    response = client_for(alice).post("/cases/new/", data)
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert CaseItem.names_for(case.pk) == {edu.pk: "赵三", dibao.pk: ""}


def test_without_the_script_the_intake_names_members_from_the_catalogue(alice) -> None:
    edu = Item.objects.get(code="edu_compulsory")
    members = [
        {"name": "钱一", "id_number": make_id_number(71), "relation": "head"},
        {
            "name": "钱二",
            "id_number": make_id_number(72, "20130101"),
            "relation": "child",
            "in_school": "on",
        },
    ]
    client_for(alice).post("/cases/new/", _intake(members, items=[edu.pk]))
    case = Case.objects.get()
    assert CaseItem.names_for(case.pk) == {edu.pk: "钱二"}
    assert case.household.members.get(name="钱二").in_school


def test_the_registry_pages_read_a_fixed_number_of_statements(
    alice, django_assert_num_queries, django_assert_max_num_queries, sessions_as_deployed
) -> None:
    for seq in range(1, 4):
        register(alice, "yiliao", seq=seq)
    household = Household.objects.order_by("pk").first()
    assert household is not None
    client = client_for(alice)
    client.get("/households/")  # the session's first reads
    with django_assert_num_queries(6):
        assert len(client.get("/households/").context["page"]) == 3
    for seq in range(4, 7):
        register(alice, "yiliao", seq=seq)
    with django_assert_num_queries(6):  # twice the households, no more statements
        assert len(client.get("/households/").context["page"]) == 6
    with django_assert_num_queries(7):  # the members matched, in a statement of their own
        client.get("/households/", {"q": "张"})
    with django_assert_max_num_queries(13):
        client.get(f"/households/{household.pk}/")


def test_who_sees_masked_numbers_finds_a_household_by_the_last_digits_only(alice) -> None:
    household = register(alice).household
    number = _member(household, "head").id_number
    masked = Household.objects.search
    assert list(masked(number[-4:], full_numbers=False)) == [household]
    assert list(masked(number[:8], full_numbers=False)) == []  # the hidden middle
    assert list(masked(number[:8], full_numbers=True)) == [household]
    assert list(masked("  ", full_numbers=True)) == []
