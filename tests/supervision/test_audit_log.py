"""The audit log and the timelines read as words: labels, people by name and role, local
dates in sentences; filtered by who, what, when and case, and exported to Excel."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from onedoor.audit.labels import ACTION_LABELS
from onedoor.audit.models import AuditEvent
from onedoor.cases import clock, services
from onedoor.cases.models import Case, Referral
from tests.cases.conftest import refer_all, register, task_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def table(page: str) -> str:
    """The log's rows, without the filter form (whose choices name every action)."""
    return page[page.index('<table class="audit">') :]


def named(user: Any, name: str) -> Any:
    user.first_name = name
    user.save(update_fields=["first_name"])
    return user


@pytest.fixture
def extended(alice: Any, bob: Any, dave: Any) -> Case:
    """Alice registered and referred a case; Bob signed and asked for 3 more working days;
    Dave approved them."""
    named(alice, "王芳")
    named(bob, "李强")
    named(dave, "赵敏")
    case = register(alice, "yiliao")
    refer_all(case, alice)
    services.sign_referral(task_of(case, "sign_for_referral"), actor=bob, decision="sign")
    clock.request_extension(
        task_of(case, "handle_referral"), actor=bob, days=3, reason="需入户核查"
    )
    clock.decide_extension(task_of(case, "approve_extension"), actor=dave, approved=True, note="")
    return case


def test_the_log_reads_in_words_with_names_roles_and_local_dates(extended: Case, dave: Any) -> None:
    referral = Referral.objects.get(case=extended)
    approved = AuditEvent.objects.get(action="referral.extension_approved")
    assert approved.after["due_at"].endswith("+00:00")  # stored in UTC
    page = table(client_for(dave).get("/audit/").content.decode())
    assert "准予延期" in page  # the label, not the code
    assert "referral.extension_approved" not in page and "'due_at'" not in page
    assert "130302-medical" not in page
    assert "李强（部门经办人）" in page and "县医疗保障局" in page
    assert "王芳（窗口工作人员）" in page and "赵敏（联席会议办公室）" in page
    assert "bob" not in page.replace("bell", "")  # no login names
    # The new due date, in words and in local time (it is stored as the UTC instant before
    # local midnight, which would read a day early in UTC).
    assert referral.handle_due_at is not None
    from django.utils import timezone

    local = timezone.localtime(referral.handle_due_at).date()
    assert f"办理时限延长至{local.year}年{local.month}月{local.day}日" in page
    assert "3 个工作日" in page and "需入户核查" in page


def test_the_log_filters_by_who_what_when_and_case(
    extended: Case, alice: Any, bob: Any, dave: Any
) -> None:
    other = register(alice, "yiliao", seq=2)
    coordinator = client_for(dave)

    def references(query: str) -> set[str]:
        page = table(coordinator.get(f"/audit/{query}").content.decode())
        return {c.reference for c in (extended, other) if c.reference in page}

    assert references("") == {extended.reference, other.reference}
    assert references(f"?who={bob.pk}") == {extended.reference}
    page = table(coordinator.get(f"/audit/?who={bob.pk}").content.decode())
    assert "准予延期" not in page and "申请延期" in page  # only what Bob did
    assert references("?action=case.registered") == {extended.reference, other.reference}
    page = table(coordinator.get("/audit/?action=referral.extension_approved").content.decode())
    assert "准予延期" in page and "签收" not in page
    assert references(f"?case={other.reference}") == {other.reference}
    assert references("?start=2000-01-01&end=2000-01-31") == set()
    assert references("?case=nonexistent") == set()
    # Bad input: a clear message, the whole log still shown, never a 500.
    bad = coordinator.get("/audit/?start=2026-13-45&who=999999")
    assert bad.status_code == 200
    assert "有效" in bad.content.decode() or "正确" in bad.content.decode()


def test_the_filter_choices_name_people_and_actions_in_words(extended: Case, dave: Any) -> None:
    page = client_for(dave).get("/audit/").content.decode()
    assert 'value="referral.extension_approved"' in page and ">准予延期<" in page
    assert "李强（部门经办人） · 县医疗保障局" in page


def test_the_export_is_the_filtered_log_in_words(extended: Case, bob: Any, dave: Any) -> None:
    response = client_for(dave).get(f"/audit/export.xlsx?who={bob.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "审计日志"
    assert rows[1][:4] == ("时间", "操作人", "部门", "操作")
    body = rows[2:]
    assert {r[3] for r in body} == {"签收", "申请延期"}
    assert all(r[1] == "李强（部门经办人）" and r[2] == "县医疗保障局" for r in body)
    assert any("需入户核查" in str(r[6] or "") for r in body)
    assert all(r[4] == extended.reference for r in body)


def test_every_audit_code_the_platform_writes_has_a_label() -> None:
    """A label per code: a new code without one would show raw on the log."""
    import re
    from pathlib import Path

    import onedoor

    root = Path(onedoor.__file__).parent
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"(?:log_action|build_action|_meeting_event|_raise)\(", text):
            window = text[call.end() : call.end() + 400]
            written |= set(
                re.findall(r'"((?:case|referral|task|meeting|conference)\.[a-z_]+)"', window)
            )
    assert written, "the scan found no audit codes"
    handlers_only = {"meeting.followup_remind", "meeting.followup_overdue", "meeting.plenary_due"}
    assert written - handlers_only - set(ACTION_LABELS) == set()


def test_the_case_timeline_and_progress_name_people_agencies_and_steps_in_order(
    extended: Case, alice: Any, carol: Any
) -> None:
    page = client_for(alice).get(f"/cases/{extended.pk}/").content.decode()
    history = page[page.index("办理经过") if "办理经过" in page else page.index("timeline") :]
    assert "李强（部门经办人） · 县医疗保障局" in history
    assert "alice" not in history and "bob" not in history
    progress = page[page.index("流程进度") :]
    # The referral's steps under one heading naming the item and the agency, in order.
    group = progress.index("医疗救助 · 县医疗保障局")
    sign, handle = progress.index("签收 —"), progress.index("办理并反馈 —")
    assert group < sign < handle
    assert "签收（部门协同办理）" not in page
    assert "李强（部门经办人）" in progress[sign:handle]


def test_the_log_pages_newer_to_older_without_counting_it(
    extended: Case, dave: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1M cases the log's COUNT was most of the page: pages are read one row ahead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onedoor.supervision import audit_log

    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2)
    total = AuditEvent.objects.filter(case=extended).count()
    assert total > 4
    seen: list[str] = []
    client = client_for(dave)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/audit/").content.decode()
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "audit" in q["sql"]]
    assert "第 1 页" in first and "下一页" in first and "上一页" not in first
    for number in range(1, 10):
        page = client.get(f"/audit/?page={number}")
        rows = page.context["rows"]
        seen += [r.event.pk for r in rows]
        if not page.context["page"].has_next:
            break
    assert "上一页" in page.content.decode() and "下一页" not in page.content.decode()
    assert len(seen) == len(set(seen)) == total  # every event once, newest first
    # A hostile page number is read as the first or the last page there may be, never a 500
    # (a NUL byte is refused before any view, as everywhere).
    for bad in ("x", "-3", "99999999999999999999"):
        assert client.get("/audit/", {"page": bad}).status_code == 200
    assert client.get("/audit/", {"page": "\x00"}).status_code == 400
