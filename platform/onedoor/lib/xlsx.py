"""One way to write a list as an Excel sheet (openpyxl, write-only: rows stream out, so a
large export holds no sheet in memory): a title line, an optional note, bold headings, rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


def list_workbook(
    title: str,
    headings: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    note: str = "",
    widths: Sequence[int] = (),
) -> bytes:
    """An .xlsx of one sheet named `title` (Excel allows 31 characters)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for column, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + column)].width = width
    heading_cell = WriteOnlyCell(sheet, value=title)
    heading_cell.font = Font(bold=True, size=14)
    sheet.append([heading_cell])
    if note:
        sheet.append([note])
    bold = Font(bold=True)
    header = []
    for text in headings:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
