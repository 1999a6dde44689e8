"""Pages: who may see and do what, and bad input that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from onedoor.cases import services
from onedoor.cases.models import Case, Referral, SupervisionNotice
from workflows.models import HumanTask

from .conftest import make_id_number, refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _patterns(
    resolver: URLResolver | None = None, prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in {"admin"}:
                continue
            found += _patterns(entry, f"{prefix}{ns}:" if ns else prefix)
        elif entry.name:
            found.append((f"{prefix}{entry.name}", entry))
    return found


@pytest.fixture
def alices_case(alice, bob) -> Case:
    """A case of Alice's township, referred to Bob's agency (medical) only."""
    case = register(alice, "yiliao")
    refer_all(case, alice)
    return case


def test_every_url_with_an_object_refuses_those_outside_its_scope(
    alices_case, walter, carol, victor
) -> None:
    referral = Referral.objects.get(case=alices_case)
    task = task_of(alices_case, "sign_for_referral")
    notice = SupervisionNotice.objects.create(referral=referral, text="请办理")
    checked = 0
    for name, pattern in _patterns():
        params = pattern.pattern.converters if hasattr(pattern.pattern, "converters") else {}
        if not params:
            continue
        for outsider in (walter, carol):
            kwargs: dict[str, object]
            if "referral" in name or name in {"cases:slip", "cases:supervise"}:
                kwargs = {"pk": referral.pk}
            elif name == "cases:answer_notice":
                kwargs = {"pk": notice.pk}
            elif "task_id" in params:
                kwargs = {"task_id": task.task_id}
            elif name in {"cases:household", "cases:apply_again", "cases:edit_household"} | {
                "cases:add_member"
            }:
                kwargs = {"pk": alices_case.household_id}
            elif name == "cases:edit_member":
                kwargs = {"pk": alices_case.applicant_id}
            elif name.startswith("cases:"):
                kwargs = {"pk": alices_case.pk}
            else:
                continue
            url = reverse(name, kwargs=kwargs)
            client = client_for(outsider)
            response = (
                client.post(url, {})
                if name
                in {
                    "cases:task",
                    "cases:supervise",
                    "cases:answer_notice",
                    "cases:materials",
                    "cases:attach",
                    "cases:reassign",
                    "cases:consent",
                }
                else client.get(url)
            )
            assert response.status_code in {403, 404}, (
                f"{outsider} got {response.status_code} on {url}"
            )
            checked += 1
    assert checked >= 10
    # Nothing changed by the attempts.
    assert task_of(alices_case, "sign_for_referral").pk == task.pk
    notice.refresh_from_db()
    assert notice.answered_at is None


def test_lists_counts_and_notifications_do_not_leak(alices_case, walter, carol, bob, dave) -> None:
    reference = alices_case.reference
    assert reference not in client_for(walter).get("/cases/").content.decode()
    assert reference not in client_for(carol).get("/cases/").content.decode()
    assert reference not in client_for(carol).get("/inbox/").content.decode()
    assert reference in client_for(bob).get("/inbox/").content.decode()
    assert reference in client_for(dave).get("/cases/").content.decode()
    from notifications.models import Notification

    assert not Notification.objects.filter(recipient__in=[walter, carol]).exists()


def test_pages_open_for_each_role(alices_case, alice, bob, dave, erin, victor) -> None:
    referral = Referral.objects.get(case=alices_case)
    for user, urls in [
        (
            alice,
            [
                "/cases/",
                "/cases/new/",
                f"/cases/{alices_case.pk}/",
                f"/cases/{alices_case.pk}/receipt/",
                f"/referrals/{referral.pk}/slip/",
                "/notifications/",
            ],
        ),
        (bob, ["/inbox/", f"/referrals/{referral.pk}/", f"/cases/{alices_case.pk}/"]),
        (dave, ["/board/", "/audit/", f"/referrals/{referral.pk}/", "/cases/"]),
        (erin, ["/board/", "/audit/", f"/cases/{alices_case.pk}/"]),
        (victor, ["/cases/new/", f"/cases/{alices_case.pk}/"]),
    ]:
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            # No template syntax leaks onto the page (a multi-line {# #} comment does).
            body = response.content.decode()
            assert "{#" not in body and "{%" not in body and "{{" not in body, (user, url)


def test_a_role_cannot_use_anothers_pages(alice, bob, erin) -> None:
    assert client_for(alice).get("/inbox/").status_code == 403
    assert client_for(bob).get("/cases/new/").status_code == 403
    assert client_for(erin).get("/cases/new/").status_code == 403


def test_id_numbers_are_masked_for_agencies_and_shown_to_the_window(
    alices_case, alice, bob, dave
) -> None:
    number = alices_case.applicant.id_number
    masked = number[:4] + "*" * 10 + number[-4:]
    assert number in client_for(alice).get(f"/cases/{alices_case.pk}/").content.decode()
    # An officer sees the number while the referral is theirs to work (to handle it), and
    # masked once it is handed back; the coordinator always masked.
    referral = Referral.objects.get(case=alices_case)
    services.sign_referral(task_of(alices_case, "sign_for_referral"), actor=bob, decision="sign")
    assert number in client_for(bob).get(f"/cases/{alices_case.pk}/").content.decode()
    services.give_feedback(
        task_of(alices_case, "handle_referral"),
        actor=bob,
        outcome="granted",
        amount_fen=100,
        note="",
    )
    for url in (f"/cases/{alices_case.pk}/", f"/referrals/{referral.pk}/"):
        for user in (bob, dave):
            page = client_for(user).get(url).content.decode()
            assert number not in page and masked in page, (user, url)


def test_intake_rejects_a_wrong_id_number_with_a_clear_message_and_saves_nothing(alice) -> None:
    from onedoor.catalogue.models import Item
    from onedoor.directory.models import Division

    good = make_id_number(42)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = {
        "village": Division.objects.get(code="130302001001").pk,
        "address": "1号",
        "classification": "none",
        "monthly_income_yuan": "800",
        "channel": "walk_in",
        "statement": "困难",
        "consent": "on",
        "items": [Item.objects.get(code="yiliao").pk],
        "m-TOTAL_FORMS": "1",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "1000",
        "m-0-name": "李四",
        "m-0-id_number": bad,
        "m-0-relation": "head",
        "m-0-work_capacity": "full",
        "m-0-disability": "none",
    }
    response = client_for(alice).post("/cases/new/", data)
    assert response.status_code == 200
    assert "身份证号码校验位错误" in response.content.decode()
    assert not Case.objects.exists()
    data["m-0-id_number"] = good
    response = client_for(alice).post("/cases/new/", data)
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_intake_refuses_more_members_than_a_household_registers_and_saves_nothing(alice) -> None:
    """A posted member count beyond the cap (30) is refused with a clear message, before
    thousands of member forms are built for one request."""
    from onedoor.cases.forms_registry import MAX_MEMBERS

    data = {"m-TOTAL_FORMS": "99999999999999999999", "m-INITIAL_FORMS": "0", "statement": "x"}
    data |= {f"m-{i}-name": "李四" for i in range(MAX_MEMBERS + 5)}
    response = client_for(alice).post("/cases/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"一户最多登记{MAX_MEMBERS}名成员" in page
    # The page shows the members it kept, no more than the cap.
    assert page.count('name="m-29-name"') == 1 and 'name="m-30-name"' not in page
    assert not Case.objects.exists()


def test_a_task_a_colleague_already_completed_gives_a_clear_message_and_changes_nothing(
    alice, county
) -> None:
    from .conftest import _staff

    colleague = _staff("alice2", "window", "130302001")
    case = register(alice, "yiliao")
    task = task_of(case, "review_application")
    prefix = f"t{task.pk}"
    client_for(colleague).post(f"/tasks/{task.task_id}/", {f"{prefix}-accepted": "yes"})
    response = client_for(alice).post(
        f"/tasks/{task.task_id}/",
        {f"{prefix}-accepted": "no", f"{prefix}-reason": "x"},
        follow=True,
    )
    page = response.content.decode()
    assert "已由 alice2 处理" in page
    case.refresh_from_db()
    assert case.stage == "split_case"  # the colleague's acceptance stands


def test_a_double_submit_is_harmless(alice) -> None:
    case = register(alice, "yiliao")
    task = task_of(case, "review_application")
    client = client_for(alice)
    form = {f"t{task.pk}-accepted": "yes"}
    client.post(f"/tasks/{task.task_id}/", form)
    client.post(f"/tasks/{task.task_id}/", form)
    assert HumanTask.objects.filter(subject_id=str(case.pk), bpmn_id="split_case").count() == 1


def test_invalid_task_form_says_what_to_fix(alice) -> None:
    case = register(alice, "yiliao")
    task = task_of(case, "review_application")
    response = client_for(alice).post(
        f"/tasks/{task.task_id}/",
        {f"t{task.pk}-accepted": "no", f"t{task.pk}-reason": ""},
        follow=True,
    )
    assert "不予受理必须填写理由" in response.content.decode()
    assert HumanTask.objects.get(pk=task.pk).state == "open"


def test_coordinator_issues_a_supervision_notice_that_reaches_the_agency(
    alices_case, bob, dave, django_capture_on_commit_callbacks
) -> None:
    referral = Referral.objects.get(case=alices_case)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dave).post(
            f"/referrals/{referral.pk}/supervise/", {"text": "请于两日内办结", "notices_seen": "0"}
        )
    assert response.status_code == 302
    assert referral.supervision_notices.get().text == "请于两日内办结"
    from notifications.models import Notification

    # The verb is stored as an English msgid and shown in the reader's language.
    note = Notification.objects.get(recipient=bob, data__action="referral.supervised")
    assert note.data["url"] == f"/referrals/{referral.pk}/"
    assert "收到督办通知" in client_for(bob).get("/notifications/").content.decode()
    assert client_for(bob).get("/notifications/bell/").content.decode().count("badge") == 1


def test_only_the_coordinator_may_supervise(alices_case, bob, erin) -> None:
    referral = Referral.objects.get(case=alices_case)
    assert (
        client_for(bob).post(f"/referrals/{referral.pk}/supervise/", {"text": "x"}).status_code
        == 403
    )
    assert (
        client_for(erin).post(f"/referrals/{referral.pk}/supervise/", {"text": "x"}).status_code
        == 403
    )
    assert not referral.supervision_notices.exists()


def test_the_agency_cannot_complete_the_windows_task(alices_case, alice, bob) -> None:
    case = register(alice, "yiliao", seq=9)
    task = task_of(case, "review_application")
    response = client_for(bob).post(f"/tasks/{task.task_id}/", {f"t{task.pk}-accepted": "yes"})
    assert response.status_code in {403, 404}
    assert HumanTask.objects.get(pk=task.pk).state == "open"
    assert services  # the services module is what the views call


def test_intake_and_receipt_look_up_time_limits_once_not_per_item(
    alices_case, alice, django_assert_max_num_queries
) -> None:
    client = client_for(alice)
    client.get("/cases/new/")  # warm the session and caches
    # 17 catalogue items, each showing its handling limit: one rule query for all of them.
    with django_assert_max_num_queries(15):
        body = client.get("/cases/new/").content.decode()
    assert "最低生活保障" in body and "20" in body
    with django_assert_max_num_queries(15):
        assert client.get(f"/cases/{alices_case.pk}/receipt/").status_code == 200


def test_the_amount_an_agency_grants_is_shown_to_the_fen(alices_case, alice, bob) -> None:
    referral = Referral.objects.get(case=alices_case)
    services.sign_referral(task_of(alices_case, "sign_for_referral"), actor=bob, decision="sign")
    task = task_of(alices_case, "handle_referral")
    p = f"t{task.pk}"
    client_for(bob).post(
        f"/tasks/{task.task_id}/",
        {
            f"{p}-handling": "feedback",
            f"{p}-outcome": "granted",
            f"{p}-amount_yuan": "1200.50",
            f"{p}-note": "已发放",
            "confirmed": "yes",  # the confirmation step (tests/cases/test_feedback_rules.py)
        },
    )
    referral.refresh_from_db()
    assert referral.amount_fen == 120050
    agency_page = client_for(bob).get(f"/referrals/{referral.pk}/").content.decode()
    case_page = client_for(alice).get(f"/cases/{alices_case.pk}/").content.decode()
    assert "¥1,200.50" in agency_page
    assert "¥1,200.50" in case_page


def test_the_case_page_before_the_split_shows_what_was_asked_and_the_households_facts(
    alice: Any,
) -> None:
    case = register(alice, "yiliao", "edu_compulsory", seq=41)
    page = client_for(alice).get(f"/cases/{case.pk}/").content.decode()
    facts = page.split('class="facts"')[1].split("</dl>")[0]
    assert "申请事项" in facts and "医疗救助" in facts and "教育救助（义务教育）" in facts
    assert "家庭类别" in facts and "家庭月收入" in facts
