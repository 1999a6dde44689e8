"""The audit log's filters (who, what, when, which case) and its Excel export.

The rows are those the user may see (`scope`); the filters narrow them through indexed
columns only: the actor's id, the action code, the time, and a case looked up by its unique
reference first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onedoor.audit.labels import ACTION_LABELS
from onedoor.audit.models import AuditEvent
from onedoor.cases import records
from onedoor.cases.access import may_see_settings_changes, staff_of
from onedoor.cases.models import Case
from onedoor.directory.models import Staff
from onedoor.inputs import BoundedDateField
from onedoor.lib.xlsx import list_workbook

SYSTEM = "system"
SETTINGS_ONLY = "none"  # ?case=none: the changes to no case (calendar, time limits)
PAGE_SIZE = 50
# An export larger than this is cut at the newest rows, and the workbook says so: an auditor
# who needs more narrows the period (and no request builds a workbook of a million rows).
EXPORT_LIMIT = 20_000


def _people(user: Any) -> list[tuple[str, str]]:
    """The county's staff, by name and role, for the "who" filter."""
    staff = staff_of(user)
    if staff is None:
        return []
    county = staff.county
    people = (
        Staff.objects.filter(
            Q(division=county) | Q(division__parent=county) | Q(division__parent__parent=county)
        )
        .select_related("user", "agency", "division")
        .order_by("role", "agency__code", "user__username")
    )
    choices = []
    for s in people:
        where = s.agency.name if s.agency else s.division.name if s.division_id else ""
        label = _("%(name)s (%(role)s)") % {"name": s.display_name, "role": s.title}
        choices.append((str(s.user_id), f"{label} · {where}" if where else label))
    return choices


class AuditFilterForm(forms.Form):
    who = forms.ChoiceField(label=gettext_lazy("Who"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    start = BoundedDateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    case = forms.CharField(label=gettext_lazy("Case reference"), required=False, max_length=40)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", _("Everyone")), (SYSTEM, _("System (automatic)"))]
        self.fields["who"].choices = everyone + _people(user)  # type: ignore[attr-defined]
        actions = sorted(((str(label), code) for code, label in ACTION_LABELS.items()))
        self.fields["action"].choices = [("", _("Every action"))] + [  # type: ignore[attr-defined]
            (code, label) for label, code in actions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(user: Any, form: AuditFilterForm) -> tuple[QuerySet[AuditEvent], bool]:
    """The events the user may see, narrowed by the form's valid filters, newest first; and
    whether the user may see changes to settings (events of no case)."""
    scope = Q(case__in=Case.objects.visible_to(user))
    settings_changes = may_see_settings_changes(user)
    if settings_changes:
        scope |= Q(case__isnull=True)
    events = AuditEvent.objects.filter(scope)
    if form.is_valid():
        data = form.cleaned_data
        if data["who"] == SYSTEM:
            events = events.filter(actor__isnull=True)
        elif data["who"]:
            events = events.filter(actor_id=int(data["who"]))
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["start"]:
            events = events.filter(at__gte=_day_start(data["start"]))
        if data["end"]:
            events = events.filter(at__lt=_day_start(data["end"] + timedelta(days=1)))
        reference = data["case"].strip()
        if reference == SETTINGS_ONLY and settings_changes:
            events = events.filter(case__isnull=True)
        elif reference:
            case_id = Case.objects.filter(reference=reference).values_list("pk", flat=True).first()
            events = events.filter(case_id=case_id) if case_id else events.none()
    events = events.select_related("actor__staff", "case", "referral__item").order_by("-at", "-pk")
    return events, settings_changes


def _rows(events: QuerySet[AuditEvent]) -> Iterator[records.Record]:
    batch: list[AuditEvent] = []
    for event in events.iterator(chunk_size=1000):
        batch.append(event)
        if len(batch) == 1000:
            yield from records.read(batch)
            batch = []
    yield from records.read(batch)


def workbook(events: QuerySet[AuditEvent]) -> bytes:
    """The filtered log as an .xlsx (lib.xlsx, like every list export): local times as text
    (Excel has no zones), in words; a note on top when the newest EXPORT_LIMIT are cut."""
    total = events.count()
    note = ""
    if total > EXPORT_LIMIT:
        note = _(
            "Only the newest %(limit)s of %(total)s records are exported: "
            "narrow the filters to export the rest."
        ) % {"limit": EXPORT_LIMIT, "total": total}
    rows = (
        [
            f"{record.at:%Y-%m-%d %H:%M:%S}",
            record.who,
            record.agency,
            record.label,
            record.event.case.reference if record.event.case else "",
            str(record.event.referral.item) if record.event.referral else "",
            record.sentence,
            record.event.action,
        ]
        for record in _rows(events[:EXPORT_LIMIT])
    )
    headings = [
        _("Time"),
        _("Actor"),
        _("Agency"),
        _("Action"),
        _("Case"),
        _("Item"),
        _("Details"),
        _("Code"),
    ]
    return list_workbook(
        _("Audit log"), headings, rows, note=note, widths=(20, 22, 18, 16, 18, 14, 60, 28)
    )
