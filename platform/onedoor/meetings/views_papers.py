"""What the conference files beyond the meeting's papers: a topic's dossier as a print page
or Word file, and the decisions with their follow-up state as Excel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import documents, ledger
from .access import decisions_for, get_topic_for_user, meetings_for, require_rights


@login_required
@require_GET
def dossier_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A topic's dossier (议题材料) as a print page or a Word file."""
    topic, rights = get_topic_for_user(request.user, pk)
    if fmt not in {"html", "docx"}:
        raise Http404("no such format")
    content = documents.dossier_document(topic, rights)
    if fmt == "docx":
        response = HttpResponse(
            documents.to_docx(content),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        response["Content-Disposition"] = f'attachment; filename="topic-{topic.pk}-dossier.docx"'
        return response
    return render(request, "meetings/print.html", {"doc": content, "meeting": topic.meeting})


def _number(value: str | None, low: int, high: int) -> int | None:
    """A plain ASCII whole number in [low, high] ("²" is a digit to str.isdigit), or None."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if low <= number <= high else None


@login_required
@require_GET
def decisions_export(request: HttpRequest) -> HttpResponse:
    """The decisions and their follow-up state as Excel: one meeting (?meeting=) or a year
    (?year=, this year by default), as far as the reader may see them."""
    rights = require_rights(request.user)
    rows = decisions_for(rights).filter(meeting__in=meetings_for(rights))
    meeting_pk = _number(request.GET.get("meeting"), 1, 2**31 - 1)
    meeting = meetings_for(rights).filter(pk=meeting_pk).first() if meeting_pk else None
    if meeting is not None:
        rows = rows.filter(meeting=meeting)
        title = _("Decisions of the %(meeting)s and their follow-up") % {"meeting": meeting}
        filename = f"decisions-{meeting.year}-{meeting.number}.xlsx"
    else:
        year = _number(request.GET.get("year"), 2000, 2100) or timezone.localdate().year
        rows = rows.filter(meeting__year=year)
        title = _("Joint conference decisions of %(year)s and their follow-up (%(county)s)") % {
            "year": year,
            "county": rights.conference.county,
        }
        filename = f"decisions-{year}.xlsx"
    response = HttpResponse(
        ledger.workbook(rows, title),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
