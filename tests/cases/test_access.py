"""Every page for every role, as the access rules say; the navigation links what opens.

Personas (tests/cases/conftest.py): Alice works the window of township A, Walter that of
township B; Victor is a village assistant in Alice's township; Bob is an officer of the
medical agency, Carol of education (which has nothing of Alice's case); Dave coordinates
the county, Erin supervises it; Adam administers it (no Django staff flag); Nora has an
account and no role.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.directory.models import Division, Staff
from onedoor.directory.seed import seed_county
from tests.conftest import deploy_test_process, open_task
from workflows import engine
from workflows.models import Incident, ProcessInstance
from workflows.runtime import dump_state
from workflows.timers import fire_due_timers

from .conftest import _staff, refer_all, register

pytestmark = pytest.mark.django_db

ALL = {"alice", "victor", "bob", "dave", "erin", "adam", "nora"}
WITH_ROLE = ALL - {"nora"}
# GET on every page that takes no object: who gets it (200); everyone else is refused
# (403), except where noted. A new URL fails the test until it is added here.
PAGES: dict[str, tuple[dict[str, Any], set[str], int]] = {
    "cases:list": ({}, WITH_ROLE, 403),
    "cases:export": ({}, WITH_ROLE, 403),
    "cases:search": ({}, {"alice", "victor", "bob", "dave", "erin"}, 403),
    "cases:intake": ({}, {"alice", "victor"}, 403),
    "cases:households": ({}, {"alice", "victor"}, 403),
    "cases:inbox": ({}, {"bob"}, 403),
    "cases:board": ({}, {"dave", "erin"}, 403),
    "supervision:figures": ({}, {"dave", "erin"}, 403),
    "supervision:export": ({"table": "agency"}, {"dave", "erin"}, 403),
    "supervision:audit": ({}, {"dave", "erin", "adam"}, 403),
    "supervision:processes": ({}, {"dave", "adam"}, 403),
    "supervision:process_load": ({"process_id": "one_door"}, {"dave", "adam"}, 403),
    "supervision:process_tasks": ({"process_id": "one_door"}, {"dave", "adam"}, 403),
    "supervision:audit_export": ({}, {"dave", "erin", "adam"}, 403),
    # An agency's leader in charge alone (Lena): tests/supervision/test_agency_page.py.
    "supervision:agency": ({}, set(), 403),
    "home:index": ({}, {"adam"}, 403),
    "home:process_versions": ({"process_id": "one_door"}, {"adam"}, 403),
    # A deploy changes every county's path: the platform's administrators (superusers) only.
    "home:process_upload": ({}, set(), 403),
    "notify:list": ({}, ALL, 403),
    "notify:bell": ({}, ALL, 403),
    "meetings:index": ({}, {"dave", "erin", "adam"}, 404),
    "administration:index": ({}, {"adam"}, 403),
    "administration:staff_list": ({}, {"adam"}, 403),
    "administration:staff_new": ({}, {"adam"}, 403),
    "administration:agencies": ({}, {"adam"}, 403),
    "administration:divisions": ({}, {"adam"}, 403),
    "administration:items": ({}, {"adam"}, 403),
}
# Pages about one object, checked in scope here and outside it in test_views.py; POST-only
# actions; and Django's own views.
ELSEWHERE = {
    "cases:case",
    "cases:receipt",
    "cases:task",
    "cases:referral",
    "cases:slip",
    "cases:supervise",
    "cases:answer_notice",
    "cases:reassign",
    "cases:process",
    "cases:process_diagram",
    # Materials and scans: walked with outsiders in tests/cases/test_materials.py too.
    "cases:materials",
    "cases:attach",
    "cases:attachment",
    # Printed papers: tests/cases/test_papers.py.
    "cases:notice_letter",
    "cases:supervision_slip",
    # The household registry's pages about one household or member, and late consent
    # (tests/cases/test_registry.py and test_views.py walk them in and out of scope).
    "cases:household",
    "cases:apply_again",
    "cases:edit_household",
    "cases:add_member",
    "cases:edit_member",
    "cases:consent",
    # The joint conference's pages, walked with outsiders in tests/meetings/test_views.py.
    "meetings:members",
    "meetings:plan",
    "meetings:follow_ups",
    "meetings:meeting",
    "meetings:add_topic",
    "meetings:add_free_topic",
    "meetings:attendance",
    "meetings:document",
    "meetings:topic",
    "meetings:add_decision",
    "meetings:change_topic",
    "meetings:remove_decision",
    "meetings:complete_decision",
    "meetings:decision",
    "meetings:supervise_decision",
    "meetings:answer_decision_notice",
    "meetings:proposals",
    "meetings:propose",
    "meetings:answer_proposal",
    "meetings:dossier",
    "meetings:decisions_export",
    "meetings:task",
    "meetings:flag",
    "notify:mark_read",
    # The county's administration, walked with another county's administrator in
    # tests/administration/test_pages.py.
    "administration:staff",
    "administration:staff_active",
    "administration:staff_password",
    # Read by every county's administrator, changed by superusers: tests/administration.
    "administration:item",
    "administration:agency",
    "administration:rename_division",
    # Two versions compared (with its query), and the diagram of a version:
    # tests/administration/test_process_versions.py.
    "home:process_diff",
    "home:process_migrate",
    # A deployed version's BPMN document: tests/supervision/test_process_load.py.
    "supervision:definition_diagram",
    # POST-only: in scope and outside it below (an incident of another county is not found).
    "home:retry_incident",
    "home:start",
    "login",
    "logout",
    "set_language",
}
# The top bar's links, by the page each opens.
NAV_PAGES = [
    "cases:intake",
    "cases:households",
    "cases:inbox",
    "supervision:agency",
    "cases:board",
    "supervision:figures",
    "supervision:processes",
    "cases:list",
    "supervision:audit",
    "meetings:index",
    "administration:index",
    "home:index",
]


def _names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{prefix}{entry.name}")
    return names


@pytest.fixture
def people(alice, victor, bob, dave, erin) -> dict[str, Any]:
    adam = _staff("adam", Staff.Role.ADMINISTRATOR, "130302")
    nora = get_user_model().objects.create_user("nora", password="x")
    return {
        "alice": alice,
        "victor": victor,
        "bob": bob,
        "dave": dave,
        "erin": erin,
        "adam": adam,
        "nora": nora,
    }


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_url_is_in_the_authorization_tests() -> None:
    assert _names() == set(PAGES) | ELSEWHERE


def test_every_page_opens_for_its_roles_and_refuses_the_others(people) -> None:
    for name, (kwargs, allowed, refused) in PAGES.items():
        url = reverse(name, kwargs=kwargs)
        for who, user in people.items():
            status = client_for(user).get(url).status_code
            assert status == (200 if who in allowed else refused), (who, url, status)


def test_the_navigation_links_exactly_the_pages_that_open(people) -> None:
    for who, user in people.items():
        nav = client_for(user).get(reverse("notify:list")).context["nav"]
        linked = [entry.url for entry in nav]
        opens = [reverse(n) for n in NAV_PAGES if who in PAGES[n][1]]
        assert linked == opens, who


def test_each_role_starts_on_its_own_page(people) -> None:
    starts = {
        "alice": "/cases/",
        "victor": "/cases/",
        "bob": "/inbox/",
        "dave": "/board/",
        "erin": "/board/",
        "adam": "/engine/",
        "nora": "/notifications/",
    }
    for who, user in people.items():
        assert client_for(user).get("/")["Location"] == starts[who], who


@pytest.fixture
def referred(alice, bob, django_capture_on_commit_callbacks) -> Case:
    """Alice's case referred to Bob's agency, which is told so (a notification)."""
    with django_capture_on_commit_callbacks(execute=True):
        case = register(alice, "yiliao")
        refer_all(case, alice)
    return case


def test_the_officer_handling_a_referral_sees_the_household_in_full_and_others_masked(
    referred, alice, bob, dave
) -> None:
    number = referred.applicant.id_number
    masked = number[:4] + "*" * 10 + number[-4:]
    referral = Referral.objects.get(case=referred)
    url = f"/referrals/{referral.pk}/"
    # The officer working it, and the window that registered the household (as on its case
    # page: one rule for both pages, tests/cases/test_masking_and_basis.py).
    for user in (bob, alice):
        assert number in client_for(user).get(url).content.decode()
    page = client_for(dave).get(url).content.decode()
    assert number not in page and masked in page


def test_only_the_referrals_agency_answers_a_supervision_notice(referred, bob, dave) -> None:
    referral = Referral.objects.get(case=referred)
    notice = SupervisionNotice.objects.create(referral=referral, text="请办理")
    answer = {"answer": "人手不足", "promised_date": (timezone.localdate() + timedelta(days=3))}
    # The coordinator can see the referral but does not answer for the agency.
    assert client_for(dave).post(f"/notices/{notice.pk}/answer/", answer).status_code == 403
    notice.refresh_from_db()
    assert notice.answered_at is None
    page = client_for(dave).get(f"/referrals/{referral.pk}/").content.decode()
    assert f"/notices/{notice.pk}/answer/" not in page
    assert (
        f"/notices/{notice.pk}/answer/"
        in client_for(bob).get(f"/referrals/{referral.pk}/").content.decode()
    )
    client_for(bob).post(f"/notices/{notice.pk}/answer/", answer)
    notice.refresh_from_db()
    assert notice.answer == "人手不足"


def test_a_supervision_notice_sends_the_coordinator_back_to_this_site_only(referred, dave) -> None:
    referral = Referral.objects.get(case=referred)
    url = f"/referrals/{referral.pk}/supervise/"
    client = client_for(dave)
    back = client.post(url, {"text": "请办理", "notices_seen": 0, "next": f"/cases/{referred.pk}/"})
    assert back["Location"] == f"/cases/{referred.pk}/"
    elsewhere = client.post(
        url, {"text": "请办理", "notices_seen": 1, "next": "https://evil.example/board/"}
    )
    assert elsewhere["Location"] == "/board/"
    assert referral.supervision_notices.count() == 2


def test_following_a_notification_stays_on_this_site(referred, bob) -> None:
    note = Notification.objects.filter(recipient=bob).first()
    assert note is not None
    note.data = {"url": "//evil.example/"}
    note.save()
    response = client_for(bob).post(f"/notifications/{note.pk}/read/", {"follow": "1"})
    assert response["Location"] == "/notifications/"


def test_nobody_marks_anothers_notification_read(referred, bob, carol) -> None:
    note = Notification.objects.filter(recipient=bob).first()
    assert note is not None and note.unread
    assert client_for(carol).post(f"/notifications/{note.pk}/read/").status_code == 404
    note.refresh_from_db()
    assert note.unread


def test_the_case_list_answers_htmx_with_its_rows_and_says_it_varies(referred, alice) -> None:
    client = client_for(alice)
    full = client.get("/cases/")
    rows = client.get("/cases/", headers={"HX-Request": "true"})
    assert "HX-Request" in full["Vary"] and "HX-Request" in rows["Vary"]
    assert "<html" in full.content.decode() and "<html" not in rows.content.decode()
    assert referred.reference in rows.content.decode()


def test_the_inbox_marks_overdue_and_due_soon_rows(alice, bob) -> None:
    start = timezone.now() - timedelta(days=30)
    with time_machine.travel(start, tick=False):
        late = register(alice, "yiliao", seq=1)
        refer_all(late, alice)
    fresh = register(alice, "yiliao", seq=2)
    refer_all(fresh, alice)
    page = client_for(bob).get("/inbox/")
    urgency = {row["reference"]: row["urgency"] for row in page.context["page"]}
    due = Referral.objects.get(case=fresh).due_at
    assert due is not None
    assert urgency == {
        late.reference: "overdue",
        fresh.reference: "soon" if due < timezone.now() + timedelta(days=2) else "",
    }
    assert page.content.decode().count('<tr class="overdue">') == 1


def _incident(instance: ProcessInstance) -> Incident:
    """An incident as the sweeper leaves one: the instance failed three times and is parked."""
    now = timezone.now()
    ProcessInstance.objects.filter(pk=instance.pk).update(failure_count=3, next_timer_at=None)
    return Incident.objects.create(
        instance=instance,
        bpmn_id="review_application",
        step_name="受理审核",
        message="“受理审核”连续 3 次失败：测试",
        attempts=3,
        first_failed_at=now,
        last_failed_at=now,
    )


@pytest.fixture
def two_counties(people) -> dict[str, Any]:
    """A case of Adam's county and one of 北戴河区 (moved there), each with an incident."""
    seed_county("130303", "北戴河区", {"130303001": ("西山街道", ["西山社区"])})
    ours = register(people["alice"], "yiliao", seq=1)
    theirs = register(people["alice"], "yiliao", seq=2)
    Case.objects.filter(pk=theirs.pk).update(township=Division.objects.get(code="130303001"))
    instances = {
        key: ProcessInstance.objects.get(subject_type="case", subject_id=str(case.pk))
        for key, case in (("ours", ours), ("theirs", theirs))
    }
    return {
        "ours": ours,
        "theirs": theirs,
        "incidents": {key: _incident(instance) for key, instance in instances.items()},
        "root": get_user_model().objects.create_superuser("root", password="x"),
    }


def test_a_county_administrator_sees_their_countys_engine_figures_and_a_superuser_all(
    people, two_counties
) -> None:
    ours, theirs = two_counties["ours"], two_counties["theirs"]
    county = client_for(people["adam"]).get("/engine/")
    assert county.context["scope"].county.code == "130302"
    assert county.context["running"] == 1
    assert [row["open"] for row in county.context["lanes"]] == [1]
    assert county.context["incident_count"] == 1
    page = county.content.decode()
    assert f'href="/cases/{ours.pk}/"' in page and f'href="/cases/{theirs.pk}/"' not in page
    everything = client_for(two_counties["root"]).get("/engine/")
    assert everything.context["scope"].county is None
    assert everything.context["running"] == ProcessInstance.objects.filter(state="running").count()
    assert everything.context["running"] >= 2
    assert everything.context["incident_count"] == 2
    assert f'href="/cases/{theirs.pk}/"' in everything.content.decode()


def test_a_county_administrator_cannot_retry_another_countys_incident(people, two_counties) -> None:
    theirs = two_counties["incidents"]["theirs"]
    for who in ("adam", "dave", "alice"):
        response = client_for(people[who]).post(f"/engine/incidents/{theirs.pk}/retry/")
        assert response.status_code == (404 if who == "adam" else 403), who
    theirs.refresh_from_db()
    assert theirs.state == Incident.State.OPEN
    assert not AuditEvent.objects.filter(action="process.incident_retried").exists()


def test_a_retry_is_audited_once_however_often_it_is_sent(people, two_counties) -> None:
    ours = two_counties["incidents"]["ours"]
    client = client_for(people["adam"])
    first = client.post(f"/engine/incidents/{ours.pk}/retry/", follow=True)
    assert "流程已继续" in first.content.decode()
    second = client.post(f"/engine/incidents/{ours.pk}/retry/", follow=True)
    assert "已由 adam 于" in second.content.decode() and "未作任何更改" in second.content.decode()
    ours.refresh_from_db()
    assert ours.state == Incident.State.RESOLVED and ours.retried_by == people["adam"]
    [event] = AuditEvent.objects.filter(action="process.incident_retried")
    assert event.case == two_counties["ours"] and event.actor == people["adam"]
    assert event.data["incident"] == ours.pk


def test_an_incident_the_sweeper_opens_is_audited_listed_and_retried_to_a_moved_on_process(
    people,
) -> None:
    """The real path: a timer-triggered script of a case's process fails three sweeps in a row
    (a NameError), the administrator sees it on /engine/, fixes the data and retries."""
    adam = people["adam"]
    case = register(people["alice"], "yiliao", seq=3)
    deploy_test_process("timer_script.bpmn")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        instance = engine.start_process(
            "timer_script", subject_type="case", subject_id=case.pk, data={"goal": 2, "step": 1}
        )
        for _ in range(5):
            clock.shift(timedelta(hours=7))
            fire_due_timers()
        incident = Incident.objects.get(instance=instance)
        assert incident.attempts == 3
        [opened] = AuditEvent.objects.filter(action="process.incident_opened")
        assert opened.case == case and opened.actor is None
        assert opened.data["step"] == "计算补助"
        page = client_for(adam).get("/engine/").content.decode()
        assert "计算补助" in page and "连续 3 次失败" in page and "“rate”" in page
        assert f"/engine/incidents/{incident.pk}/retry/" in page
        # Retried as it is: it fails again at once, and says so; the incident is open again.
        again = client_for(adam).post(f"/engine/incidents/{incident.pk}/retry/", follow=True)
        assert "已重试，但再次失败" in again.content.decode()
        incident.refresh_from_db()
        assert (incident.state, incident.attempts) == (Incident.State.OPEN, 4)
        assert AuditEvent.objects.filter(action="process.incident_opened").count() == 2
        # Fixed: the data the script needs, then the retry runs it at once.
        instance.refresh_from_db()
        workflow = engine.load(instance)
        for task in workflow.get_tasks():
            task.data["rate"] = 3
        instance.serialized = dump_state(workflow)
        instance.save(update_fields=["serialized"])
        answer = client_for(adam).post(f"/engine/incidents/{incident.pk}/retry/", follow=True)
        assert "流程已继续" in answer.content.decode()
        assert open_task(instance, "check")
        incident.refresh_from_db()
        assert incident.state == Incident.State.RESOLVED
        assert "计算补助" not in client_for(adam).get("/engine/").content.decode()
