"""The case list as Excel: the rows the list shows for the same filters, scoped like it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from onedoor.cases.models import Case
from tests.cases.test_views import alices_case, client_for

__all__ = ["alices_case"]  # the fixture, shared with the page tests

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    sheet = load_workbook(BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_export_lists_the_same_cases_in_words_with_their_items(alices_case, alice) -> None:
    rows = _rows(client_for(alice).get("/cases/export.xlsx"))
    assert rows[0][0] == "案件列表"
    assert rows[1][0] == "受理编号" and rows[1][-1] == "事项、承办部门和办理结果"
    line = next(r for r in rows if r[0] == alices_case.reference)
    assert line[1] == alices_case.applicant.name
    assert "医疗救助（县医疗保障局，办理中）" in line[-1]
    page = client_for(alice).get("/cases/").content.decode()
    assert 'href="/cases/export.xlsx"' in page


def test_the_export_keeps_the_filters_and_the_scope(alices_case, alice, carol) -> None:
    alices_case.refresh_from_db()
    stage = alices_case.stage
    assert stage
    rows = _rows(client_for(alice).get("/cases/export.xlsx", {"stage": "no-such-stage"}))
    assert [r for r in rows[2:] if r[0]] == []
    rows = _rows(client_for(alice).get("/cases/export.xlsx", {"stage": stage}))
    assert alices_case.reference in [r[0] for r in rows]
    # Another agency's officer: none of the cases of Bob's agency.
    rows = _rows(client_for(carol).get("/cases/export.xlsx"))
    theirs = set(Case.objects.visible_to(carol).values_list("reference", flat=True))
    assert alices_case.reference not in [r[0] for r in rows]
    assert {r[0] for r in rows[2:]} <= theirs
    filtered = client_for(alice).get("/cases/", {"stage": stage}, headers={"HX-Request": "true"})
    assert f"/cases/export.xlsx?stage={stage}" in filtered.content.decode()
