"""In-app notifications, derived from audit events (as pretix derives them from its log).

A side effect sent once the change commits (as zulip's actions send theirs), for a batch of
events at once: the reminders and 督办 a timer sweep raises for twenty cases cost one query
for every recipient and one INSERT, where each event used to cost a query and an INSERT per
kind of recipient, each in its own transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from notifications.models import Notification

from onedoor.directory.models import Division, Staff

from .models import Case, Referral

if TYPE_CHECKING:
    from onedoor.audit.models import AuditEvent

# action -> (message, who is told: "agency" | "window" | "coordinator").
# The message is stored untranslated (an English msgid) and translated when it is shown
# (templates/home/notifications.html), so each recipient reads it in their own language.
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "case.referred": (gettext_noop("Referral received"), ("case_agencies",)),
    "referral.rerouted": (gettext_noop("Referral received"), ("agency",)),
    "referral.returned": (gettext_noop("Referral returned"), ("window",)),
    "referral.transferred": (gettext_noop("Referral transferred"), ("window", "agency")),
    "referral.reminder": (gettext_noop("Referral due soon (reminder)"), ("agency",)),
    "referral.overdue": (
        gettext_noop("Referral overdue (level-1 supervision)"),
        ("agency", "coordinator"),
    ),
    "referral.escalated": (
        gettext_noop("Still overdue: level-2 supervision"),
        ("agency_leader", "coordinator"),
    ),
    "referral.supervision_answered": (
        gettext_noop("Agency answered supervision"),
        ("coordinator",),
    ),
    "referral.extension_requested": (gettext_noop("Extension requested"), ("coordinator",)),
    "referral.extension_approved": (gettext_noop("Extension approved"), ("agency",)),
    "referral.extension_refused": (gettext_noop("Extension refused"), ("agency",)),
    "referral.materials_requested": (gettext_noop("Missing materials requested"), ("window",)),
    "referral.materials_received": (
        gettext_noop("Materials received, clock resumed"),
        ("agency",),
    ),
    "case.step_overdue": (gettext_noop("Window step overdue"), ("window", "coordinator")),
    "referral.supervised": (gettext_noop("Supervision notice received"), ("agency",)),
    "referral.feedback": (gettext_noop("Agency sent feedback"), ("window",)),
}


class _Recipients:
    """Every recipient a batch of events needs, read at once."""

    def __init__(self, events: Sequence[AuditEvent], roles: set[str]) -> None:
        agencies = {e.referral.agency_id for e in events if e.referral is not None}
        townships = {e.case.township_id for e in events if e.case is not None}
        self.county_of = self._counties([e.case for e in events if e.case is not None])
        self.agencies_of_case: dict[int, set[int]] = defaultdict(set)
        if "case_agencies" in roles:
            cases = {e.case_id for e in events if e.case_id is not None}
            for case_id, agency_id in Referral.objects.filter(case_id__in=cases).values_list(
                "case_id", "agency_id"
            ):
                self.agencies_of_case[case_id].add(agency_id)
            agencies |= {a for found in self.agencies_of_case.values() for a in found}
        wanted = Q(role=Staff.Role.AGENCY_OFFICER, agency_id__in=agencies)
        if "window" in roles:
            wanted |= Q(role=Staff.Role.WINDOW, division_id__in=townships)
        if "coordinator" in roles:
            counties = {c for c in self.county_of.values() if c is not None}
            wanted |= Q(role=Staff.Role.COORDINATOR, division_id__in=counties)
        self.officers: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        self.in_division: dict[tuple[str, int], list[int]] = defaultdict(list)
        rows = Staff.objects.filter(wanted).order_by("user_id")
        for user_id, role, agency_id, division_id, leader in rows.values_list(
            "user_id", "role", "agency_id", "division_id", "is_agency_leader"
        ):
            if role == Staff.Role.AGENCY_OFFICER:
                self.officers[agency_id].append((user_id, leader))
            else:
                self.in_division[(role, division_id)].append(user_id)

    @staticmethod
    def _counties(cases: list[Case]) -> dict[int, int | None]:
        county_of = {
            case.township_id: case.township.parent_id
            for case in cases
            if Case.township.is_cached(case)
        }
        missing = {case.township_id for case in cases} - set(county_of)
        if missing:
            county_of.update(Division.objects.filter(pk__in=missing).values_list("id", "parent_id"))
        return county_of

    def of(self, role: str, event: AuditEvent) -> list[int]:
        referral, case = event.referral, event.case
        if role == "agency" and referral is not None:
            return [user for user, _leader in self.officers[referral.agency_id]]
        if role == "agency_leader" and referral is not None:
            return [user for user, leader in self.officers[referral.agency_id] if leader]
        if role == "case_agencies" and case is not None:
            users = {
                user
                for agency in self.agencies_of_case[case.pk]
                for user, _leader in self.officers[agency]
            }
            return sorted(users)
        if role == "window" and case is not None:
            return self.in_division[(Staff.Role.WINDOW, case.township_id)]
        if role == "coordinator" and case is not None:
            county = self.county_of.get(case.township_id)
            return self.in_division[(Staff.Role.COORDINATOR, county)] if county else []
        return []


def _url(role: str, event: AuditEvent) -> str:
    if role in {"agency", "agency_leader"} and event.referral is not None:
        return reverse("cases:referral", args=[event.referral.pk])
    if role == "case_agencies":
        return reverse("cases:inbox")
    if event.case is not None:
        return reverse("cases:case", args=[event.case.pk])
    return reverse("home:index")


Ruled = list[tuple["AuditEvent", tuple[str, tuple[str, ...]]]]


def notify_all(events: Sequence[AuditEvent]) -> None:
    """Queue the notifications saved audit events call for, sent once the change commits.
    A failure to send is logged; it does not undo the change (robust)."""
    # Every rule tells people about a case (a referral's event carries its case too).
    ruled = [
        (event, RULES[event.action])
        for event in events
        if event.action in RULES and event.case is not None
    ]
    if ruled:
        transaction.on_commit(lambda: _send(ruled), robust=True)


def _send(ruled: Ruled) -> None:
    """One query for the recipients of every event, one INSERT."""
    recipients = _Recipients(
        [event for event, _rule in ruled], {role for _e, (_v, roles) in ruled for role in roles}
    )
    user_type = ContentType.objects.get_for_model(get_user_model())
    case_type = ContentType.objects.get_for_model(Case)
    referral_type = ContentType.objects.get_for_model(Referral)
    now = timezone.now()
    rows: list[Notification] = []
    for event, (verb, roles) in ruled:
        case = event.case
        assert case is not None
        target: Referral | Case = event.referral or case
        # Who did it: the person, or for what the platform does by itself, the case.
        if event.actor_id is not None:
            actor_type, actor_id = user_type, event.actor_id
        else:
            actor_type, actor_id = case_type, case.pk
        description = str(target)
        for role in roles:
            for user_id in recipients.of(role, event):
                if user_id == event.actor_id:
                    continue
                rows.append(
                    Notification(
                        recipient_id=user_id,
                        actor_content_type=actor_type,
                        actor_object_id=str(actor_id),
                        verb=verb,
                        description=description,
                        target_content_type=referral_type if event.referral else case_type,
                        target_object_id=str(target.pk),
                        timestamp=now,
                        data={"url": _url(role, event), "action": event.action},
                    )
                )
    if rows:
        Notification.objects.bulk_create(rows)
