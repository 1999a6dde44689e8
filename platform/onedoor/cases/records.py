"""The audit trail in words: who (name, role, agency), when (local time), what (a label per
code), and the details as sentences, for the audit log, its export and the timelines.

The audit app stores codes and snapshots (`{"due_at": "2026-12-14T15:59:59+00:00"}`,
`"agency": "130302-civil"`); reading them back needs the cases' vocabulary (outcomes,
channels, agencies and items by code), which lives up here, not in the audit app below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from onedoor.audit.models import AuditEvent
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.deadlines.words import supervision_level
from onedoor.directory.models import Agency, Staff
from onedoor.lib.money import format_yuan

from .models import ApplicantNotice, Case, Referral


@dataclass(frozen=True)
class Record:
    """One audit event as a person reads it."""

    event: AuditEvent
    at: datetime  # local time
    who: str  # "王芳（窗口工作人员）", or "系统（自动）"
    agency: str  # the actor's agency when they acted, by name ("" if none)
    label: str
    details: list[str]

    @property
    def sentence(self) -> str:
        """The details in one line (the export, the timelines)."""
        return pgettext("sentence separator", "; ").join(self.details)


class Names:
    """Agencies and items by code, looked up once for a page of events."""

    def __init__(
        self,
        events: Iterable[AuditEvent],
        agencies_known: dict[str, str] | None = None,
        items_known: dict[str, str] | None = None,
    ) -> None:
        """`agencies_known`, `items_known`: names by code the page has read already (its
        referrals' agencies, its requested items); only the others are looked up."""
        agencies: set[str] = set()
        items: set[str] = set()
        for e in events:
            agencies.add(e.actor_agency)
            for snapshot in (e.before or {}, e.after or {}):
                agencies.add(str(snapshot.get("agency") or ""))
                items.update(str(code) for code in snapshot.get("items") or [])
                for r in snapshot.get("referrals") or []:
                    if isinstance(r, dict):
                        agencies.add(str(r.get("agency") or ""))
                        items.add(str(r.get("item") or ""))
        self.agencies = dict(agencies_known or {})
        self.items = dict(items_known or {})
        agencies -= {"", *self.agencies}
        items -= {"", *self.items}
        if agencies:
            self.agencies.update(
                Agency.objects.filter(code__in=agencies).values_list("code", "name")
            )
        if items:
            self.items.update(Item.objects.filter(code__in=items).values_list("code", "name"))

    def agency(self, code: object) -> str:
        return self.agencies.get(str(code), str(code or ""))

    def item(self, code: object) -> str:
        return self.items.get(str(code), str(code or ""))


def read(
    events: Iterable[AuditEvent],
    agencies_known: dict[str, str] | None = None,
    items_known: dict[str, str] | None = None,
) -> list[Record]:
    """The events in words (select_related("actor__staff") spares a query per row); the
    names by code a page knows already are not looked up again (`Names`)."""
    events = list(events)
    names = Names(events, agencies_known, items_known)
    return [_record(e, names) for e in events]


def who_acted(event: AuditEvent) -> str:
    """The actor by name and the role they acted in; the process itself is "System"."""
    if event.actor is None:
        return _("System (automatic)")
    user = event.actor
    staff: Staff | None = getattr(user, "staff", None)
    name = staff.display_name if staff else (user.get_full_name() or user.get_username())
    role = Staff.Role(event.actor_role).label if event.actor_role in Staff.Role.values else ""
    if staff is not None and staff.is_agency_leader and event.actor_role == staff.role:
        role = staff.title  # an agency's leader in charge acts as such, not as an officer
    if not role:
        return name
    return _("%(name)s (%(role)s)") % {"name": name, "role": role}


def _record(event: AuditEvent, names: Names) -> Record:
    return Record(
        event=event,
        at=timezone.localtime(event.at),
        who=who_acted(event),
        agency=names.agency(event.actor_agency) if event.actor_agency else "",
        label=event.label,
        details=details(event, names),
    )


def _day(value: object) -> str:
    """An ISO time or date from a snapshot as a local date in words (2026年12月14日)."""
    if isinstance(value, str) and value:
        try:
            parsed: date | datetime = datetime.fromisoformat(value)
        except ValueError:
            return value
        if isinstance(parsed, datetime) and timezone.is_aware(parsed):
            parsed = timezone.localtime(parsed)
        return formats.date_format(parsed, "DATE_FORMAT")
    return ""


def _level(value: object) -> str:
    """An event's 督办 level in words (levels below 2 were always told as level 1 here)."""
    return supervision_level(2 if value == 2 else 1)


def _outcome(value: object) -> str:
    labels = dict(Referral.Outcome.choices)
    return str(labels.get(str(value), value))


STEP_NAMES = dict(TimeLimitRule.Step.choices)


def _due(event: AuditEvent) -> list[str]:
    before = (event.before or {}).get("due_at")
    after = (event.after or {}).get("due_at")
    data_due = (event.data or {}).get("due_at")
    action = event.action
    if action == "referral.extension_approved" and after:
        return [_("Time limit extended to %(date)s") % {"date": _day(after)}]
    if action == "referral.materials_received" and after:
        return [_("Clock resumed: now due %(date)s") % {"date": _day(after)}]
    if before or after:
        return [
            _("Due date %(before)s → %(after)s")
            % {"before": _day(before) or "—", "after": _day(after) or pgettext("clock", "stopped")}
        ]
    if not data_due:
        return []
    if action == "referral.reminder":
        return [_("Due %(date)s") % {"date": _day(data_due)}]
    if action == "referral.materials_requested":
        return [_("Clock stopped; it was due %(date)s") % {"date": _day(data_due)}]
    if action == "referral.extension_requested":
        return [_("Due now %(date)s") % {"date": _day(data_due)}]
    return [_("It was due %(date)s") % {"date": _day(data_due)}]


def _referral_change(event: AuditEvent, names: Names) -> list[str]:
    before, after = event.before or {}, event.after or {}
    lines = []
    if before.get("agency") and after.get("agency") and before["agency"] != after["agency"]:
        lines.append(
            _("From %(before)s to %(after)s")
            % {"before": names.agency(before["agency"]), "after": names.agency(after["agency"])}
        )
    if after.get("outcome") and after.get("outcome") != before.get("outcome"):
        lines.append(_("Outcome: %(outcome)s") % {"outcome": _outcome(after["outcome"])})
    if after.get("amount_fen"):
        lines.append(_("Amount: %(amount)s") % {"amount": format_yuan(int(after["amount_fen"]))})
    if after.get("note"):
        lines.append(_("Note: %(note)s") % {"note": after["note"]})
    return lines


def _channel(value: object, choices: list[tuple[str, Any]]) -> str:
    return str(dict(choices).get(str(value), value))


def _registered(event: AuditEvent, names: Names) -> list[str]:
    after = event.after or {}
    lines = []
    if after.get("items"):
        items = pgettext("list separator", ", ").join(names.item(c) for c in after["items"])
        lines.append(_("Items applied for: %(items)s") % {"items": items})
    if after.get("channel"):
        channel = _channel(after["channel"], Case.Channel.choices)
        lines.append(_("Channel: %(channel)s") % {"channel": channel})
    return lines


def _referred(event: AuditEvent, names: Names) -> list[str]:
    return [
        _("%(item)s → %(agency)s")
        % {"item": names.item(r.get("item")), "agency": names.agency(r.get("agency"))}
        for r in (event.after or {}).get("referrals") or []
        if isinstance(r, dict)
    ]


def _generic_task(event: AuditEvent, names: Names) -> list[str]:
    data = event.data or {}
    lines = []
    if data.get("name"):
        lines.append(_("Step: %(step)s") % {"step": data["name"]})
    if "approved" in data:
        lines.append(_("Opinion: agree") if data["approved"] else _("Opinion: disagree"))
    return lines


def _notified(event: AuditEvent, names: Names) -> list[str]:
    channel = (event.data or {}).get("channel")
    if not channel:
        return []
    return [
        _("Channel: %(channel)s") % {"channel": _channel(channel, ApplicantNotice.Channel.choices)}
    ]


SPECIAL: dict[str, Callable[[AuditEvent, Names], list[str]]] = {
    "case.registered": _registered,
    "case.referred": _referred,
    "case.notified": _notified,
    "task.completed": _generic_task,
}


def details(event: AuditEvent, names: Names) -> list[str]:
    """The event's before/after and data as sentences, in a fixed order."""
    data = event.data or {}
    lines = list(SPECIAL.get(event.action, lambda e, n: [])(event, names))
    if event.referral_id is not None or event.action.startswith("referral."):
        lines += _referral_change(event, names)
    if data.get("step") in STEP_NAMES:
        lines.append(_("Step: %(step)s") % {"step": STEP_NAMES[data["step"]]})
    if "level" in data and event.action != "case.step_overdue":
        lines.append(_level(data["level"]))
    if data.get("days"):
        days = data["days"]
        lines.append(
            ngettext("%(days)s working day", "%(days)s working days", days) % {"days": days}
        )
    lines += _due(event)
    if data.get("reason"):
        label = (
            _("Reason for the delay: %(text)s")
            if event.action == "referral.supervision_answered"
            else _("Reason: %(text)s")
        )
        lines.append(label % {"text": data["reason"]})
    if data.get("promised_date"):
        lines.append(_("Promised to complete by %(date)s") % {"date": _day(data["promised_date"])})
    if data.get("text"):
        lines.append(_("Remarks: %(text)s") % {"text": data["text"]})
    if data.get("note"):
        lines.append(_("Note: %(note)s") % {"note": data["note"]})
    if data.get("object"):
        lines.append(str(data["object"]))
    return lines
