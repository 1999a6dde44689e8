"""The papers a conference files: agenda (议程), notice (会议通知) and minutes (会议纪要).

One content model per document, rendered as a print page (templates/meetings/print.html) or
as a Word file (python-docx): these offices edit and file .docx. Written in the platform's
language, like any official paper, whatever language the reader's pages are in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .access import Rights
from .dossier import previous_decisions
from .models import Attendance, Meeting, MemberUnit, Topic

DOCUMENTS = ("agenda", "notice", "minutes")


@dataclass
class Document:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    copy_to: str = ""
    footer: str = ""


def _date(value: Any) -> str:
    return _("%(y)s-%(m)02d-%(d)02d") % {"y": value.year, "m": value.month, "d": value.day}


def content(name: str, meeting: Meeting, rights: Rights, topics: list[Topic]) -> Document:
    with translation.override(settings.LANGUAGE_CODE):
        return {"agenda": _agenda, "notice": _notice, "minutes": _minutes}[name](
            meeting, rights, topics
        )


def _numbered(lines: list[str]) -> list[str]:
    return [_("%(n)s. %(text)s") % {"n": i, "text": line} for i, line in enumerate(lines, 1)]


def _chair(meeting: Meeting) -> str:
    convenor = meeting.conference.convenor
    return (convenor.get_full_name() or convenor.get_username()) if convenor else ""


def _agenda(meeting: Meeting, rights: Rights, topics: list[Topic]) -> Document:
    doc = Document(title=_("Agenda of the %(meeting)s") % {"meeting": meeting})
    doc.facts = [
        (pgettext("minutes", "Time"), _date(meeting.held_on)),
        (pgettext("minutes", "Place"), meeting.place),
        (pgettext("minutes", "Chair"), _chair(meeting)),
    ]
    previous = previous_decisions(meeting) if rights.sees_all else []
    if previous:
        doc.sections.append(
            (
                _("State of the last meeting's decisions"),
                _numbered([f"{d.text} ({d.lead}, {_state(d)})" for d in previous]),
            )
        )
    doc.sections.append(
        (
            _("Topics"),
            _numbered(
                [
                    f"{t.title}: {pgettext('list separator', ', ').join(t.reasons)}"
                    if t.reasons
                    else t.title
                    for t in topics
                ]
            ),
        )
    )
    return doc


def _state(decision: Any) -> str:
    if decision.done_at is not None:
        return _("carried out")
    if decision.is_overdue:
        return _("overdue")
    return _("in progress")


def _notice(meeting: Meeting, rights: Rights, topics: list[Topic]) -> Document:
    doc = Document(title=_("Notice of the %(meeting)s") % {"meeting": meeting})
    units = MemberUnit.objects.filter(conference=meeting.conference, active=True).select_related(
        "agency"
    )
    doc.facts = [(_("To"), pgettext("list separator", ", ").join(u.agency.name for u in units))]
    doc.sections.append(
        (
            _("Notice"),
            [
                _(
                    "The joint conference will meet on %(date)s at %(place)s, chaired by "
                    "%(chair)s. Each member unit's leader in charge is asked to attend; a unit "
                    "whose leader cannot attend sends a substitute and tells the office in "
                    "advance."
                )
                % {"date": _date(meeting.held_on), "place": meeting.place, "chair": _chair(meeting)}
            ],
        )
    )
    doc.sections.append((_("Topics"), _numbered([t.title for t in topics])))
    doc.footer = _("Joint-conference office, %(date)s") % {
        "date": _date(timezone.localdate(meeting.notice_issued_at or timezone.now()))
    }
    return doc


def _minutes(meeting: Meeting, rights: Rights, topics: list[Topic]) -> Document:
    doc = Document(title=_("Minutes of the %(meeting)s") % {"meeting": meeting})
    rows = list(meeting.attendance.select_related("agency"))
    present = [
        f"{a.agency.name}{f' ({a.person})' if a.person else ''}"
        for a in rows
        if a.status != Attendance.Status.ABSENT
    ]
    absent = [f"{a.agency.name} ({a.reason})" for a in rows if a.status == Attendance.Status.ABSENT]
    sep = pgettext("list separator", ", ")
    colon = pgettext("label separator", ": ")
    doc.facts = [
        (pgettext("minutes", "Time"), _date(meeting.held_on)),
        (pgettext("minutes", "Place"), meeting.place),
        (pgettext("minutes", "Chair"), _chair(meeting)),
        (pgettext("minutes", "Present"), sep.join(present)),
        (pgettext("minutes", "Absent"), sep.join(absent) or _("none")),
        (pgettext("minutes", "Also present"), meeting.observers or _("none")),
        (pgettext("minutes", "Minutes taken by"), meeting.recorder),
    ]
    if meeting.summary:
        doc.sections.append((_("Summary"), [meeting.summary]))
    doc.sections.append(
        (
            _("Topics discussed"),
            _numbered([f"{t.title}{colon + t.note if t.note else ''}" for t in topics]),
        )
    )
    decisions = meeting.decisions.select_related("lead").prefetch_related("co_units")
    if not rights.sees_all:
        decisions = decisions.filter(lead=rights.unit) | decisions.filter(co_units=rights.unit)
    lines = []
    for d in decisions.distinct():
        co = sep.join(u.name for u in d.co_units.all())
        lines.append(
            _("%(text)s Lead unit: %(lead)s%(co)s; within %(days)s working days%(due)s.")
            % {
                "text": d.text.rstrip("。.;；"),
                "lead": d.lead,
                "co": (_("; co-operating: %(units)s") % {"units": co}) if co else "",
                "days": d.deadline_days,
                "due": (_(" (by %(date)s)") % {"date": _date(d.due_on)}) if d.due_on else "",
            }
        )
    doc.sections.append((_("Decisions"), _numbered(lines)))
    doc.copy_to = meeting.copy_to
    doc.footer = _("Joint-conference office, %(date)s") % {
        "date": _date(timezone.localdate(meeting.minutes_issued_at or timezone.now()))
    }
    return doc


def dossier_document(topic: Topic, rights: Rights) -> Document:
    """A topic's dossier as a paper: what the rules found, the case (ID numbers masked), the
    agencies and their clocks, the 督办 history, the timeline, the written positions."""
    from . import dossier

    with translation.override(settings.LANGUAGE_CODE):
        found = dossier.build(topic, rights)
        sep = pgettext("list separator", ", ")
        colon = pgettext("label separator", ": ")
        doc = Document(title=_("Dossier: %(topic)s") % {"topic": topic.title})
        doc.facts = [(_("Meeting"), str(topic.meeting))]
        doc.sections.append((_("Why proposed"), _numbered(list(topic.reasons)) or ["—"]))
        case = topic.case
        if case is not None:
            doc.facts += [
                (_("Reference"), case.reference),
                (_("Township (street)"), str(case.township)),
                (_("Applicant"), case.applicant.name),
                (_("Classification"), case.household.get_classification_display()),
            ]
            doc.sections.append((_("Difficulties"), [case.statement or "—"]))
            doc.sections.append(
                (
                    _("Household members"),
                    [
                        sep.join(
                            [
                                m.name,
                                m.get_relation_display(),
                                m.masked_id_number,
                                m.get_work_capacity_display(),
                                m.get_disability_display(),
                            ]
                        )
                        for m in found.members
                    ],
                )
            )
            lines = []
            for r in found.referrals:
                due = f"{timezone.localtime(r.due_at):%Y-%m-%d}" if r.due_at else "—"
                late = found.days_overdue.get(r.pk)
                lines.append(
                    _(
                        "%(item)s at %(agency)s: %(step)s, due %(due)s%(late)s; returned "
                        "%(returns)s, transferred %(transfers)s"
                    )
                    % {
                        "item": r.item,
                        "agency": r.agency,
                        "step": r.step or r.get_outcome_display(),
                        "due": due,
                        "late": (_(", %(n)s working days overdue") % {"n": late}) if late else "",
                        "returns": r.returns,
                        "transfers": r.transfers,
                    }
                )
            doc.sections.append((_("Agencies involved"), lines or ["—"]))
            doc.sections.append(
                (
                    _("Supervision notices"),
                    [
                        f"{timezone.localtime(n.issued_at):%Y-%m-%d} {n.referral.agency}{colon}"
                        + (_("Level-2 supervision") if n.level == 2 else _("Level-1 supervision"))
                        + (f"{colon}{n.answer} ({n.promised_date})" if n.answered_at else "")
                        for n in found.notices
                    ]
                    or [_("none")],
                )
            )
            doc.sections.append(
                (
                    _("History"),
                    [
                        f"{r.at:%Y-%m-%d %H:%M} {r.who} {r.label}"
                        + (f"{colon}{r.sentence}" if r.details else "")
                        for r in found.timeline
                    ],
                )
            )
        doc.sections.append(
            (
                _("Written positions"),
                [f"{p.agency}{colon}{p.text}" for p in found.positions] or [_("none")],
            )
        )
        doc.footer = _("Joint-conference office, %(date)s") % {"date": _date(timezone.localdate())}
    return doc


def to_docx(doc: Document) -> bytes:
    """The document as a Word file, in the usual layout: centred title, the facts, numbered
    sections, the copy-to line at the foot."""
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    word = WordDocument()
    style: Any = word.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")
    title = word.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(doc.title)
    run.bold = True
    run.font.size = Pt(20)
    for label, value in doc.facts:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{label}{pgettext('label separator', ': ')}").bold = True
        paragraph.add_run(value)
    for heading, lines in doc.sections:
        word.add_paragraph().add_run(heading).bold = True
        for line in lines:
            word.add_paragraph(line)
    if doc.footer:
        footer = word.add_paragraph(doc.footer)
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if doc.copy_to:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{pgettext('minutes', 'Copy to')}{pgettext('label separator', ': ')}")
        paragraph.add_run(doc.copy_to)
    out = BytesIO()
    word.save(out)
    return out.getvalue()
