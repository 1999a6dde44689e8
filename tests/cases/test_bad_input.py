"""Every URL pattern, as every role, with hostile query and form values (a NUL byte, dates out
of range, an id beyond bigint, an amount beyond the column, text beyond any field): never a
server error, and a request that was refused changed nothing.

The URLs come from the resolver, so a page added later is walked too; the query and form
names are every name a view or form of the platform reads, so each value reaches each field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import constants, get_messages
from django.db import connection
from django.db.models import F
from django.forms import Form
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from notifications.signals import notify

from onedoor.administration.forms import ItemForm
from onedoor.cases.forms import TASK_ACTIONS, GenericTaskForm
from onedoor.cases.forms_actions import ReassignForm, SupervisionForm
from onedoor.cases.forms_registry import (
    ApplyAgainForm,
    ConsentForm,
    HouseholdForm,
    IntakeForm,
    MemberEditForm,
    MemberForm,
)
from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.directory.models import Division, Staff

from .conftest import refer_all, register, task_of

HOSTILE = ["a\x00b", "0001-01-01", "9999-12-31", "99999999999999999999", "x" * 5000]
# What any page reads from its query string (lists, board, audit log, figures, admin).
QUERY_NAMES = [
    "stage", "item", "agency", "overdue", "page", "show", "township", "action", "preset",
    "start", "end", "q", "o", "p", "e", "_changelist_filters", "state", "lane", "kind", "step",
    "source_level", "is_workday", "county", "day", "day__year", "day__month", "next",
    "version", "from", "to", "extensions_page",
]  # fmt: skip
# The pages whose forms upload a file post multipart/form-data; every other form is posted as a
# browser posts it, urlencoded (parsing 230 fields as multipart costs more than the view).
MULTIPART = {"attach", "process_upload"}
# The tables whose rows a refused request must leave as they were.
COUNTED = [
    "audit_auditevent", "cases_case", "cases_referral", "cases_supervisionnotice",
    "cases_clockchange", "cases_applicantnotice", "cases_handover", "households_household",
    "households_member", "workflows_processevent", "deadlines_timelimitrule",
    "deadlines_calendarday", "deadlines_calendaryear", "auth_user", "auth_group",
    "directory_staff", "workflows_processdefinition",
]  # fmt: skip


def _form_names() -> set[str]:
    names: set[str] = {"next", "text", "notices_seen", "answer", "promised_date", "follow"}
    forms: list[type[Form]] = [IntakeForm, GenericTaskForm]
    forms += [ApplyAgainForm, ConsentForm, HouseholdForm, MemberEditForm]
    # 督办 with its level, 改派 within an agency, the item catalogue.
    forms += [SupervisionForm, ReassignForm, ItemForm]
    for form in forms + [a.form for a in TASK_ACTIONS.values()]:
        names |= set(form.base_fields)
    names |= {f"m-0-{name}" for name in MemberForm.base_fields}
    names |= {"m-TOTAL_FORMS", "m-INITIAL_FORMS", "m-MIN_NUM_FORMS", "m-MAX_NUM_FORMS"}
    # The admin's forms and the login form.
    names |= {"username", "password", "day", "is_workday", "county", "note", "year", "source"}
    names |= {"item", "step", "working_days", "effective_from", "effective_to", "language"}
    # Process versions: an upload confirmed, running cases chosen to move.
    names |= {"confirm", "filename", "content", "replace", "instance", "from"}
    return names


def _snapshot() -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"(SELECT count(*) FROM {table})" for table in COUNTED)
            + ", (SELECT count(*) FROM workflows_humantask WHERE state = 'open')"
            + ", (SELECT count(*) FROM cases_supervisionnotice WHERE answered_at IS NOT NULL)"
        )
        return tuple(cursor.fetchone())


class Writes:
    """Counts the statements that may change a row (an execute wrapper on the connection):
    a request that wrote none left every count as it was, so only after one that did are the
    tables counted again."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not sql.lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE", "SET ")):
            self.seen += 1
        return execute(sql, params, many, context)


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for entry in patterns:
        text = str(entry.pattern).lstrip("^").rstrip("$").replace("\\Z", "")
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            name = f"{entry.name}"
            yield prefix + text, name


@pytest.fixture
def world(alice: Any, bob: Any, dave: Any, erin: Any) -> dict[str, Any]:
    users = get_user_model().objects
    county_admin = users.create_user("conrad", password="x", is_staff=True)
    Staff.objects.create(
        user=county_admin,
        role=Staff.Role.ADMINISTRATOR,
        division=Division.objects.get(code="130302"),
    )
    root = users.create_superuser("root", password="x")
    case = register(alice, "yiliao")
    refer_all(case, alice)
    waiting = register(alice, "yiliao", seq=2)  # at review: the window's own task
    referral = Referral.objects.get(case=case)
    notice = SupervisionNotice.objects.create(referral=referral, text="请办理")
    notify.send(alice, recipient=bob, verb="test", data={"url": "/"})
    return {
        # Victor (village) sees a subset of Alice's pages: left out to keep the walk short.
        "users": [None, alice, bob, dave, erin, county_admin, root],
        "case": case,
        "referral": referral,
        "notice": notice,
        "tasks": [task_of(case, "sign_for_referral"), task_of(waiting, "review_application")],
        "waiting": waiting,
        "notification": bob.notifications.get().pk,
    }


def _urls(world: dict[str, Any]) -> list[tuple[str, str]]:
    """Each pattern made concrete: real ids of the world's objects, and ids beyond bigint."""
    out = []
    for route, name in _routes(get_resolver().url_patterns):
        if name == "logout":
            continue  # it would only sign the client out
        if route.startswith("admin/") and "(?P<app_label>" in route:
            route = re.sub(r"\(\?P<app_label>[^)]*\)", "deadlines", route)
        if "(?P" in route:
            continue
        ids = {
            "cases:case": world["case"].pk,
            "cases:receipt": world["case"].pk,
            "cases:consent": world["waiting"].pk,
            "cases:household": world["case"].household_id,
            "cases:apply_again": world["case"].household_id,
            "cases:edit_household": world["case"].household_id,
            "cases:add_member": world["case"].household_id,
            "cases:edit_member": world["case"].applicant_id,
            "cases:referral": world["referral"].pk,
            "cases:slip": world["referral"].pk,
            "cases:supervise": world["referral"].pk,
            "cases:answer_notice": world["notice"].pk,
            "home:mark_read": world["notification"],
        }
        values = {
            "<int:pk>": [str(ids.get(name, 1)), "99999999999999999999"],
            "<uuid:task_id>": [str(t.task_id) for t in world["tasks"]],
            "<slug:table>": ["agency", "x" * 300],
            "<path:object_id>": ["1", "99999999999999999999"],
            "<str:content_type_id>": ["1"],
            "<path:object_id>/": ["1"],
            "<path:url>": ["x"],
            "<str:process_id>": ["one_door", "x" * 300],
        }
        variants = [route]
        for placeholder, choices in values.items():
            if placeholder in route:
                variants = [v.replace(placeholder, c) for v in variants for c in choices]
        if "<" in route and all("<" in v for v in variants):
            continue
        out += [("/" + v, name) for v in variants if "<" not in v]
    return out


def _refused(response: Any, method: str) -> bool:
    errors = [m for m in get_messages(response.wsgi_request) if m.level >= constants.ERROR]
    if errors or response.status_code >= 400:
        return True
    # A form sent back with its errors (intake, admin, login) answers 200.
    return method == "POST" and response.status_code == 200


# Who walks: anonymous, the window, an officer, the coordinator, a supervisor, a county
# administrator and a platform superuser (each a test, so a parallel run spreads them).
WALKERS = ["anonymous", "alice", "bob", "dave", "erin", "conrad", "root"]


@pytest.mark.parametrize("walker", WALKERS)
def test_hostile_input_on_every_url_and_role_is_refused_and_changes_nothing(
    world: dict[str, Any], walker: str
) -> None:
    urls = _urls(world)
    assert len(urls) >= 90, len(urls)
    names = sorted(_form_names())
    split = [f"item_{ci.item_id}" for ci in world["case"].items.all()]
    task_names = [f"t{t.pk}-{n}" for t in world["tasks"] for n in names + split]
    user = world["users"][WALKERS.index(walker)]
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    failures: list[str] = []
    requests = 0
    before = _snapshot()
    writes = Writes()
    with connection.execute_wrapper(writes):  # the wrapper sees what the ORM writes
        Case.objects.filter(pk=world["case"].pk).update(statement=F("statement"))
    assert writes.seen == 1
    # Each value's query string and form, encoded once for every URL.
    forms: dict[str, dict[str, Any]] = {
        value: {n: value for n in names + task_names} | {"items": [value]} for value in HOSTILE
    }
    queries = {value: urlencode({n: value for n in QUERY_NAMES}) for value in HOSTILE}
    bodies = {value: urlencode(form, doseq=True) for value, form in forms.items()}
    for url, name in urls:
        # Pages of the admin, as those who might reach them.
        if url.startswith("/admin/") and walker not in ("anonymous", "conrad", "root"):
            continue
        for value in HOSTILE:
            for method in ("GET", "POST"):
                wrote = writes.seen
                with connection.execute_wrapper(writes):
                    if method == "GET":
                        response = client.get(f"{url}?{queries[value]}")
                    elif name in MULTIPART:
                        response = client.post(url, forms[value])
                    else:
                        response = client.post(
                            url, bodies[value], content_type="application/x-www-form-urlencoded"
                        )
                requests += 1
                label = f"{walker} {method} {url} {value[:20]!r}"
                if response.status_code >= 500:
                    failures.append(f"{label}: {response.status_code}")
                if writes.seen == wrote:
                    continue  # nothing written: every count stands as it was
                # What stands after a request that wrote is what the next one starts on.
                after = _snapshot()
                if (method == "GET" or _refused(response, method)) and after != before:
                    failures.append(f"{label}: refused ({response.status_code}) but changed")
                before = after
    assert not failures, "\n".join(failures[:60])
    assert requests > 150
    # The case is where it was: nobody's hostile form moved it on.
    assert Case.objects.get(pk=world["case"].pk).referrals.get().signed_at is None
