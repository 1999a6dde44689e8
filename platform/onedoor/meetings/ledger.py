"""What the office files: an Excel (.xlsx, through lib.xlsx like the other lists) of the
decisions and their follow-up state, for one meeting or one year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onedoor.lib.xlsx import list_workbook

from .followups import days_overdue
from .models import Decision

HEADER_ROW = 3  # title, note, headings (lib.xlsx.list_workbook)


def state_of(decision: Decision, today: date) -> str:
    if decision.applied_at is None:
        return _("Not in force yet (minutes not issued)")
    if decision.done_at is not None:
        done_on = timezone.localdate(decision.done_at)
        if decision.due_on is not None and done_on > decision.due_on:
            return _("Carried out late")
        return _("Carried out on time")
    if decision.due_on is not None and decision.due_on < today:
        return _("Overdue")
    return _("In progress")


def _columns(today: date) -> list[tuple[str, Callable[[Any], Any]]]:
    sep = ", "
    return [
        (_("Meeting"), lambda d: d.meeting.title),
        (_("No."), lambda d: d.number),
        (_("Kind of decision"), lambda d: d.get_kind_display()),
        (_("Decision"), lambda d: d.text),
        (_("Case"), lambda d: d.case.reference if d.case else ""),
        (_("Lead unit"), lambda d: d.lead.name),
        (_("Co-operating units"), lambda d: sep.join(u.name for u in d.co_units.all())),
        (_("Deadline (working days)"), lambda d: d.deadline_days),
        (_("Due"), lambda d: d.due_on.isoformat() if d.due_on else ""),
        (_("State"), lambda d: state_of(d, today)),
        (
            _("Carried out on"),
            lambda d: timezone.localdate(d.done_at).isoformat() if d.done_at else "",
        ),
        (_("How it was carried out"), lambda d: d.done_note),
        (_("Working days overdue"), lambda d: days_overdue(d, today)),
        (_("Supervision notices"), lambda d: d.notice_count),
        (_("Highest supervision level"), lambda d: d.notice_level or 0),
    ]


def rows(decisions: Any) -> list[Decision]:
    return list(
        decisions.select_related("meeting__conference__county", "lead", "case")
        .prefetch_related("co_units")
        .annotate(notice_count=Count("notices", distinct=True), notice_level=Max("notices__level"))
        .order_by("meeting__held_on", "meeting__number", "number")
    )


def workbook(decisions: Any, title: str) -> bytes:
    """One sheet (lib.xlsx, as every list export): the title, the date it was drawn, a header
    row, one row per decision."""
    today = timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        columns = _columns(today)
        return list_workbook(
            title,
            [heading for heading, _value in columns],
            ([value(d) for _heading, value in columns] for d in rows(decisions)),
            note=_("Follow-up state as of %(today)s") % {"today": today.isoformat()},
            widths=[max(10, round(len(heading) * 2.2)) for heading, _value in columns],
        )
