"""What the office files: the decisions with their follow-up state in Excel, per meeting and
per year, as far as the reader may see; a topic's dossier as a print page and a Word file."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import docx
import pytest
from openpyxl import load_workbook

from onedoor.meetings import decisions
from onedoor.meetings.ledger import HEADER_ROW
from onedoor.meetings.models import Decision, Meeting, Topic
from tests.cases.test_views import client_for

from .test_views import issued

__all__ = ["issued"]

pytestmark = pytest.mark.django_db


def _sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]


def test_the_office_files_the_decisions_with_their_state(
    issued: Meeting, dave: Any, bob: Any
) -> None:
    office = client_for(dave)
    rows = _sheet(office.get(f"/meetings/decisions.xlsx?meeting={issued.pk}"))
    header, line = rows[0], rows[1]
    assert len(rows) == 2
    record = dict(zip(header, line, strict=True))
    assert record["议定事项"] == "县医疗保障局会同县民政局研究该户大病救助政策衔接"
    assert record["牵头单位"] == Decision.objects.get().lead.name
    assert line[8] == "2026-12-15" and line[9] == "落实中"
    decisions.complete_decision(Decision.objects.get(), actor=bob, note="已衔接")
    rows = _sheet(office.get("/meetings/decisions.xlsx?year=2026"))
    assert rows[1][9] == "按期落实" and rows[1][11] == "已衔接"
    # Another year: no rows; a year that is no year: this year, not an error.
    assert len(_sheet(office.get("/meetings/decisions.xlsx?year=2025"))) == 1
    assert len(_sheet(office.get("/meetings/decisions.xlsx?year=abc&meeting=x"))) == 2
    assert len(_sheet(office.get("/meetings/decisions.xlsx?year=²&meeting=²"))) == 2


def test_a_unit_files_only_what_concerns_it(
    issued: Meeting, bob: Any, carol: Any, zoe: Any, walter: Any
) -> None:
    assert len(_sheet(client_for(bob).get("/meetings/decisions.xlsx?year=2026"))) == 2
    assert len(_sheet(client_for(carol).get("/meetings/decisions.xlsx?year=2026"))) == 1
    zoes = client_for(zoe).get(f"/meetings/decisions.xlsx?meeting={issued.pk}&year=2026")
    assert len(_sheet(zoes)) == 1
    assert client_for(walter).get("/meetings/decisions.xlsx").status_code == 404


def test_a_topic_dossier_prints_and_downloads_masked(
    issued: Meeting, dave: Any, bob: Any, carol: Any
) -> None:
    topic = Topic.objects.get()
    assert topic.case is not None
    member = topic.case.household.members.first()
    assert member is not None
    page = client_for(dave).get(f"/meetings/topics/{topic.pk}/dossier.html").content.decode()
    assert topic.title in page and "多部门推诿" in page and "建议由民政牵头" in page
    assert member.masked_id_number in page and member.id_number not in page
    response = client_for(bob).get(f"/meetings/topics/{topic.pk}/dossier.docx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(BytesIO(response.content)).paragraphs)
    assert "多部门推诿" in text and member.id_number not in text
    assert client_for(dave).get(f"/meetings/topics/{topic.pk}/dossier.pdf").status_code == 404
    assert client_for(carol).get(f"/meetings/topics/{topic.pk}/dossier.html").status_code == 404
