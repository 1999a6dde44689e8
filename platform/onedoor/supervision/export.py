"""Excel workbooks of the figures' tables (openpyxl): the same numbers as the page.

Numbers go in as numbers (a rate as a fraction formatted as a percentage), so a coordinator
can sort and sum them in Excel; times as local-time text, since Excel has no time zones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from onedoor.deadlines.words import supervision_level

from .figures import Figures, Row

Column = tuple[str | Promise, Callable[[Any], Any], str]  # heading, value, number format

ROW_COLUMNS: list[Column] = [
    (gettext_lazy("Code"), lambda r: r.code, "@"),
    (gettext_lazy("Received"), lambda r: r.received, "0"),
    (gettext_lazy("Signed for on time"), lambda r: r.signed_on_time, "0"),
    (pgettext_lazy("figures", "Completed"), lambda r: r.completed, "0"),
    (gettext_lazy("Completed on time"), lambda r: r.completed_on_time, "0"),
    (gettext_lazy("On-time rate"), lambda r: r.on_time_rate, "0.0%"),
    (gettext_lazy("Median working days"), lambda r: r.median_days, "0.0"),
    (gettext_lazy("90th percentile working days"), lambda r: r.p90_days, "0.0"),
    (gettext_lazy("Overdue now"), lambda r: r.overdue, "0"),
    (gettext_lazy("Longest overdue (working days)"), lambda r: r.longest_overdue, "0"),
    (gettext_lazy("Returned"), lambda r: r.returns, "0"),
    (gettext_lazy("Transferred"), lambda r: r.transfers, "0"),
    (pgettext_lazy("figures", "Granted"), lambda r: r.granted, "0"),
    (gettext_lazy("Amount paid (yuan)"), lambda r: r.amount_fen / 100, "#,##0.00"),
]

OVERDUE_COLUMNS: list[Column] = [
    (gettext_lazy("Reference"), lambda o: o.reference, "@"),
    (gettext_lazy("Item"), lambda o: o.item, "@"),
    (gettext_lazy("Agency"), lambda o: o.agency, "@"),
    (gettext_lazy("Township"), lambda o: o.township, "@"),
    (gettext_lazy("Step"), lambda o: o.step, "@"),
    (gettext_lazy("Due"), lambda o: timezone.localtime(o.due_at).strftime("%Y-%m-%d %H:%M"), "@"),
    (gettext_lazy("Working days overdue"), lambda o: o.days_overdue, "0"),
    (gettext_lazy("Supervision level"), lambda o: supervision_level(o.escalation_level), "@"),
]

# table name in the URL -> (sheet title, first column heading)
TABLES: dict[str, tuple[str | Promise, str | Promise]] = {
    "agency": (gettext_lazy("By agency"), gettext_lazy("Agency")),
    "township": (gettext_lazy("By township"), gettext_lazy("Township")),
    "item": (gettext_lazy("By item"), gettext_lazy("Item")),
    "slow": (gettext_lazy("Slow agencies"), gettext_lazy("Agency")),
    "overdue": (gettext_lazy("Overdue referrals"), ""),
}
HEADER_ROW = 4


def _rows(figures: Figures, table: str) -> tuple[Sequence[Any], list[Column], list[Row]]:
    """(data rows, columns, total rows) of a table."""
    if table == "overdue":
        return figures.overdue, OVERDUE_COLUMNS, []
    name_heading = TABLES[table][1]
    columns: list[Column] = [(name_heading, lambda r: r.name, "@"), *ROW_COLUMNS]
    rows = {
        "agency": figures.by_agency,
        "township": figures.by_township,
        "item": figures.by_item,
        "slow": figures.slow_agencies,
    }[table]
    totals = [] if table == "slow" else [figures.total]
    return rows, columns, totals


def workbook(figures: Figures, table: str) -> bytes:
    """One sheet: a title, the period and scope, a header row (row 4), the rows, the total."""
    if table not in TABLES:
        raise KeyError(table)
    rows, columns, totals = _rows(figures, table)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(TABLES[table][0])[:31]
    sheet["A1"] = f"{_('Supervision figures')} · {TABLES[table][0]}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = _("%(county)s, referrals received %(start)s to %(end)s, as of %(today)s") % {
        "county": figures.county,
        "start": figures.start.isoformat(),
        "end": figures.end.isoformat(),
        "today": figures.today.isoformat(),
    }
    if table == "slow":
        sheet["A3"] = _("On-time rate below %(threshold)s") % {
            "threshold": f"{figures.threshold * 100:.0f}%"
        }
    for col, (heading, _value, _format) in enumerate(columns, start=1):
        sheet.cell(row=HEADER_ROW, column=col, value=str(heading)).font = Font(bold=True)
    line = HEADER_ROW
    for item, is_total in [*((r, False) for r in rows), *((t, True) for t in totals)]:
        line += 1
        for col, (_heading, value, number_format) in enumerate(columns, start=1):
            sheet.cell(row=line, column=col, value=value(item)).number_format = number_format
        if is_total:
            sheet.cell(row=line, column=1, value=_("County total")).font = Font(bold=True)
    sheet.freeze_panes = f"B{HEADER_ROW + 1}"  # names and headings stay in view
    for col, (heading, _value, _format) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = max(10, len(str(heading)) * 1.6)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
