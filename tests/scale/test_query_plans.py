"""The key queries read through indexes, so a later change cannot quietly make them full scans.

The statements are those the real views list big-table rows with (captured while rendering
them through the test Client, so a change to a view's query is checked as it is), and the
sweeper's claim. Each is EXPLAINed (FORMAT JSON) and must not Seq Scan a big table.

Why this is robust without `enable_seqscan = off`: the data set is seeded across sixteen
counties (2,000 cases, ~15,000 task rows) and ANALYZEd, so one agency, township or county is
a small slice of each big table, as in production, and the planner's own costs prefer an
index when one applies. A plan that still scans a big table whole means no index fits the query any more:
exactly the regression to catch. On a table of a few pages the planner would rightly scan
it; at this size it does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client

from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Agency, Division, Staff
from onedoor.households.models import Member
from workflows.timers import sweep_batch

pytestmark = pytest.mark.django_db

FIRST_FROM = re.compile(r'FROM "(\w+)"')
PARENTHESES = re.compile(r"\([^()]*\)")
BIG_TABLES = {"cases_case", "cases_referral", "workflows_humantask", "workflows_processinstance"}


class Statements:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.seen.append((sql, params))
        return execute(sql, params, many, context)


def plan_nodes(sql: str, params: Any) -> Iterator[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (row,) = cursor.fetchone()
    document = json.loads(row) if isinstance(row, str) else row
    stack = [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def full_scans(sql: str, params: Any) -> list[str]:
    return [
        node["Relation Name"]
        for node in plan_nodes(sql, params)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
    ]


def lists_a_big_table(sql: str) -> bool:
    """Statements whose rows come from a big table (their first FROM names it). Choices for a
    filter drop-down (FROM directory_agency joined to referrals) are left out: on this small
    data set the planner rightly hashes a few thousand referrals for them. Subqueries (a count
    of 督办 per row) are taken out first, so the FROM found is the statement's own."""
    while (outer := PARENTHESES.sub("", sql)) != sql:
        sql = outer
    found = FIRST_FROM.search(sql)
    return found is not None and found.group(1) in BIG_TABLES


def page_statements(username: str, url: str) -> list[tuple[str, Any]]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    found = Statements()
    with connection.execute_wrapper(found):
        response = client.get(url)
    assert response.status_code == 200
    touching = [(sql, p) for sql, p in found.seen if lists_a_big_table(sql)]
    assert touching, f"{url} read none of the big tables"
    return touching


def busiest_township() -> Division:
    row = Case.objects.values("township").annotate(n=Count("id")).order_by("-n")[0]
    return Division.objects.get(pk=row["township"])


def busiest_agency_code() -> str:
    row = Referral.objects.open().values("agency__code").annotate(n=Count("id")).order_by("-n")[0]
    return str(row["agency__code"])


def assert_indexed(statements: list[tuple[str, Any]]) -> None:
    for sql, params in statements:
        assert full_scans(sql, params) == [], sql


@pytest.mark.parametrize("query", ["", "?show=overdue&page=2", "?show=unanswered"])
def test_the_agency_inbox_uses_indexes(scale_data: dict[str, Any], query: str) -> None:
    assert_indexed(page_statements(f"officer-{busiest_agency_code()}", f"/inbox/{query}"))


@pytest.mark.parametrize("query", ["", "?overdue=1"])
def test_the_case_list_uses_indexes(scale_data: dict[str, Any], query: str) -> None:
    township = busiest_township()
    assert_indexed(page_statements(f"window-{township.code}", f"/cases/{query}"))


@pytest.mark.parametrize("query", ["", "?page=2", "?township={township}", "?window={township}"])
def test_the_overdue_board_uses_indexes(scale_data: dict[str, Any], query: str) -> None:
    township = busiest_township()
    url = "/board/" + query.format(township=township.code)
    assert_indexed(page_statements(f"coordinator-{township.county.code}", url))


def test_the_sweep_claims_through_the_timer_index(scale_data: dict[str, Any]) -> None:
    found = Statements()
    with connection.execute_wrapper(found):
        sweep_batch(batch_size=20)
    claim = next(sql_params for sql_params in found.seen if "SKIP LOCKED" in sql_params[0])
    nodes = list(plan_nodes(*claim))
    assert full_scans(*claim) == []
    assert any(node.get("Index Name") == "instance_timer_due_idx" for node in nodes)


def test_the_supervision_figures_read_a_countys_period_through_indexes(
    scale_data: dict[str, Any],
) -> None:
    county = busiest_township().county
    assert_indexed(page_statements(f"coordinator-{county.code}", "/supervision/?period=year"))


def test_the_engine_overview_reads_a_countys_processes_through_indexes(
    scale_data: dict[str, Any],
) -> None:
    """A county's administrator: the county's instances, tasks and incidents, not all."""
    county = busiest_township().county
    user = get_user_model().objects.create_user(f"admin-{county.code}", password="x")
    Staff.objects.create(user=user, role=Staff.Role.ADMINISTRATOR, division=county)
    assert_indexed(page_statements(user.username, "/engine/"))


@pytest.mark.parametrize("query", ["", "?action=case.referred", "?case={reference}"])
def test_the_audit_log_reads_a_countys_events_through_indexes(
    scale_data: dict[str, Any], query: str
) -> None:
    township = busiest_township()
    reference = Case.objects.filter(township=township).values_list("reference", flat=True)[0]
    client = Client()
    client.force_login(get_user_model().objects.get(username=f"coordinator-{township.county.code}"))
    found = Statements()
    with connection.execute_wrapper(found):
        response = client.get("/audit/" + query.format(reference=reference))
    assert response.status_code == 200
    audit = BIG_TABLES | {"audit_auditevent"}

    # The log's statements (its rows, its pager's count) FROM the audit table, and the case
    # looked up by reference: read through indexes, the county's cases included.
    def first_from(sql: str) -> str:
        while (outer := PARENTHESES.sub("", sql)) != sql:
            sql = outer
        found_from = FIRST_FROM.search(sql)
        return found_from.group(1) if found_from else ""

    touching = [(sql, p) for sql, p in found.seen if first_from(sql) in audit]
    assert any("audit_auditevent" in sql for sql, _p in touching)
    for sql, params in touching:
        scans = [
            node["Relation Name"]
            for node in plan_nodes(sql, params)
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in audit
        ]
        assert scans == [], sql


@pytest.mark.parametrize("search", ["", "name", "digits"])
def test_the_household_registry_reads_a_townships_households_through_indexes(
    scale_data: dict[str, Any], search: str
) -> None:
    """The registry reads a township's households by their village index, and the matching
    members through their household index. The members table of this data set is a hundred
    pages, so the planner rightly scans it whole; with sequential scans priced out, a plan
    that still scans a table means no index fits the statement (what this guards)."""
    township = busiest_township()
    member = Member.objects.filter(household__village__parent=township).first()
    assert member is not None
    text = {"": "", "name": member.name, "digits": member.id_number[-6:]}[search]
    client = Client()
    client.force_login(get_user_model().objects.get(username=f"window-{township.code}"))
    found = Statements()
    with connection.execute_wrapper(found):
        response = client.get("/households/", {"q": text} if text else {})
    assert response.status_code == 200
    if text:
        assert member.household in list(response.context["page"])
    registry = [
        (sql, p) for sql, p in found.seen if re.search(r'FROM "households_(household|member)"', sql)
    ]
    assert registry, "the registry read no households"
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        for sql, params in registry:
            scanned = [
                node["Relation Name"]
                for node in plan_nodes(sql, params)
                if node["Node Type"] == "Seq Scan"
                and node.get("Relation Name") in {"households_household", "households_member"}
            ]
            assert scanned == [], sql
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


@pytest.mark.parametrize(
    "query",
    [
        "/processes/one_door/",
        "/processes/one_door/?township={township}",
        "/processes/one_door/?agency={county}-medical",
        "/processes/one_door/tasks/?step=handle_referral&overdue=1",
        "/processes/",
    ],
)
def test_where_cases_pile_up_reads_a_countys_open_tasks_through_indexes(
    scale_data: dict[str, Any], query: str
) -> None:
    """A county's open tasks by their candidate groups (the county, its townships and
    agencies) from the open-task index; a township's through its cases' index."""
    township = busiest_township()
    url = query.format(township=township.code, county=township.county.code)
    assert_indexed(page_statements(f"coordinator-{township.county.code}", url))


@pytest.mark.parametrize("who", ["window", "coordinator"])
@pytest.mark.parametrize("search", ["name", "last digits", "full number", "phone", "reference"])
def test_the_search_reads_through_indexes(
    scale_data: dict[str, Any], who: str, search: str
) -> None:
    """The header's search: members by the trigram indexes on name and phone and the btree over
    the reversed ID number (last digits read as a prefix), cases by their household and the
    trigram index on the reference. As for the registry, sequential scans are priced out: a
    plan that still scans a table means no index fits the statement. (On this small data set a
    township's few households may rightly be read first; at 1M cases bench.queries measures
    the county's search, whose plan reads the reversed-number index.)"""
    township = busiest_township()
    case = Case.objects.filter(township=township).select_related("applicant").first()
    assert case is not None
    applicant = case.applicant
    text = {
        "name": applicant.name,
        "last digits": applicant.id_number[-6:],
        "full number": applicant.id_number,
        "phone": applicant.phone[-8:] or applicant.id_number[-6:],
        "reference": case.reference,
    }[search]
    scope = township.code if who == "window" else township.county.code
    client = Client()
    client.force_login(get_user_model().objects.get(username=f"{who}-{scope}"))
    found = Statements()
    with connection.execute_wrapper(found):
        response = client.get("/search/", {"q": text})
    assert response.status_code == 200
    assert case in [hit.case for hit in response.context["results"].cases]
    tables = {"households_household", "households_member", "cases_case", "cases_referral"}
    reading = [
        (sql, p)
        for sql, p in found.seen
        if re.search(r'FROM "(households_member|cases_case|cases_referral)"', sql)
    ]
    assert reading
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        for sql, params in reading:
            nodes = list(plan_nodes(sql, params))
            scanned = [
                node["Relation Name"]
                for node in nodes
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in tables
            ]
            assert scanned == [], sql
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def test_the_agency_leaders_page_reads_the_agencys_referrals_through_indexes(
    scale_data: dict[str, Any],
) -> None:
    """本部门统计: the agency's open work (by officer, overdue, 督办) and its period's figures."""
    code = busiest_agency_code()
    agency = Agency.objects.get(code=code)
    user = get_user_model().objects.create_user(f"leader-{code}", password="x")
    Staff.objects.create(
        user=user,
        role=Staff.Role.AGENCY_OFFICER,
        division=agency.county,
        agency=agency,
        is_agency_leader=True,
    )
    assert_indexed(page_statements(user.username, "/supervision/agency/"))
