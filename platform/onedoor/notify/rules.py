"""In-app notifications, derived from audit events (as pretix derives them from its log).

A side effect sent once the change commits (as zulip's actions send theirs), for a batch of
events at once: the reminders and 督办 a timer sweep raises for twenty cases cost one query
for every recipient and one INSERT, where each event used to cost a query and an INSERT per
kind of recipient, each in its own transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases.models import Case, Referral
from onedoor.directory.models import Division, Staff


class Audience(StrEnum):
    """Who hears of an event, named by what they may do about it (pretix's way: recipients
    follow from rights over the event's case, never from lists kept in views)."""

    # The officers of the agency the referral is with: they sign for it and handle it.
    AGENCY = "agency"
    # That agency's leader in charge (分管领导), who answers for a level-2 督办.
    AGENCY_LEADER = "agency_leader"
    # The officers of every agency the case is referred to.
    CASE_AGENCIES = "case_agencies"
    # The window staff of the case's township, who work its window steps.
    WINDOW = "window"
    # The joint-conference office of the case's county, who may issue 督办.
    COORDINATOR = "coordinator"
    # The officer handling the referral (承办人), e.g. the one it was just reassigned to.
    OFFICER_IN_CHARGE = "officer_in_charge"


@dataclass(frozen=True)
class Notifies:
    """What an audit code tells, and whom. The message is stored untranslated (an English
    msgid) and translated when shown (templates/notify/notifications.html), so each
    recipient reads it in their own language."""

    message: str
    to: tuple[Audience, ...]


# Every audit code that notifies, in one place; a code not listed tells no one.
RULES: dict[str, Notifies] = {
    "case.referred": Notifies(gettext_noop("Referral received"), (Audience.CASE_AGENCIES,)),
    "referral.rerouted": Notifies(gettext_noop("Referral received"), (Audience.AGENCY,)),
    "referral.returned": Notifies(gettext_noop("Referral returned"), (Audience.WINDOW,)),
    "referral.transferred": Notifies(
        gettext_noop("Referral transferred"), (Audience.WINDOW, Audience.AGENCY)
    ),
    "referral.reminder": Notifies(gettext_noop("Referral due soon (reminder)"), (Audience.AGENCY,)),
    "referral.overdue": Notifies(
        gettext_noop("Referral overdue (level-1 supervision)"),
        (Audience.AGENCY, Audience.COORDINATOR),
    ),
    "referral.escalated": Notifies(
        gettext_noop("Still overdue: level-2 supervision"),
        (Audience.AGENCY_LEADER, Audience.COORDINATOR),
    ),
    "referral.supervision_answered": Notifies(
        gettext_noop("Agency answered supervision"), (Audience.COORDINATOR,)
    ),
    "referral.extension_requested": Notifies(
        gettext_noop("Extension requested"), (Audience.COORDINATOR,)
    ),
    "referral.extension_approved": Notifies(gettext_noop("Extension approved"), (Audience.AGENCY,)),
    "referral.extension_refused": Notifies(gettext_noop("Extension refused"), (Audience.AGENCY,)),
    "referral.materials_requested": Notifies(
        gettext_noop("Missing materials requested"), (Audience.WINDOW,)
    ),
    "referral.materials_received": Notifies(
        gettext_noop("Materials received, clock resumed"), (Audience.AGENCY,)
    ),
    "case.step_overdue": Notifies(
        gettext_noop("Window step overdue"), (Audience.WINDOW, Audience.COORDINATOR)
    ),
    "referral.supervised": Notifies(
        gettext_noop("Supervision notice received"), (Audience.AGENCY,)
    ),
    # The leader in charge is an officer of the agency: one notification each.
    "referral.supervised_leader": Notifies(
        gettext_noop("Level-2 supervision notice received"), (Audience.AGENCY,)
    ),
    "referral.feedback": Notifies(gettext_noop("Agency sent feedback"), (Audience.WINDOW,)),
    "referral.reassigned": Notifies(
        gettext_noop("A referral was reassigned to you"), (Audience.OFFICER_IN_CHARGE,)
    ),
    # The joint conference (onedoor.meetings): a case flagged difficult reaches the office; a
    # decision that moves a referral reaches its agency and the window. The meeting's own cycle
    # (agenda, positions, minutes) notifies by the conference's roles: meetings/notify.py.
    "case.flagged_difficult": Notifies(
        gettext_noop("Case referred to the joint conference"), (Audience.COORDINATOR,)
    ),
    "meeting.decision_applied": Notifies(
        gettext_noop("Joint conference decision on your referral"),
        (Audience.AGENCY, Audience.WINDOW),
    ),
}


class _Recipients:
    """Every recipient a batch of events needs, read at once."""

    def __init__(self, events: Sequence[AuditEvent], roles: set[Audience]) -> None:
        agencies = {e.referral.agency_id for e in events if e.referral is not None}
        townships = {e.case.township_id for e in events if e.case is not None}
        self.county_of = self._counties([e.case for e in events if e.case is not None])
        self.agencies_of_case: dict[int, set[int]] = defaultdict(set)
        if Audience.CASE_AGENCIES in roles:
            cases = {e.case_id for e in events if e.case_id is not None}
            for case_id, agency_id in Referral.objects.filter(case_id__in=cases).values_list(
                "case_id", "agency_id"
            ):
                self.agencies_of_case[case_id].add(agency_id)
            agencies |= {a for found in self.agencies_of_case.values() for a in found}
        wanted = Q(role=Staff.Role.AGENCY_OFFICER, agency_id__in=agencies)
        if Audience.WINDOW in roles:
            wanted |= Q(role=Staff.Role.WINDOW, division_id__in=townships)
        if Audience.COORDINATOR in roles:
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

    def of(self, role: Audience, event: AuditEvent) -> list[int]:
        referral, case = event.referral, event.case
        if role == Audience.AGENCY and referral is not None:
            return [user for user, _leader in self.officers[referral.agency_id]]
        if role == Audience.OFFICER_IN_CHARGE and referral is not None:
            return [referral.officer_id] if referral.officer_id else []
        if role == Audience.AGENCY_LEADER and referral is not None:
            return [user for user, leader in self.officers[referral.agency_id] if leader]
        if role == Audience.CASE_AGENCIES and case is not None:
            users = {
                user
                for agency in self.agencies_of_case[case.pk]
                for user, _leader in self.officers[agency]
            }
            return sorted(users)
        if role == Audience.WINDOW and case is not None:
            return self.in_division[(Staff.Role.WINDOW, case.township_id)]
        if role == Audience.COORDINATOR and case is not None:
            county = self.county_of.get(case.township_id)
            return self.in_division[(Staff.Role.COORDINATOR, county)] if county else []
        return []


def _url(role: Audience, event: AuditEvent) -> str:
    agency_roles = {Audience.AGENCY, Audience.AGENCY_LEADER, Audience.OFFICER_IN_CHARGE}
    if role in agency_roles and event.referral is not None:
        return reverse("cases:referral", args=[event.referral.pk])
    if role == Audience.CASE_AGENCIES:
        return reverse("cases:inbox")
    if event.case is not None:
        return reverse("cases:case", args=[event.case.pk])
    return reverse("home:index")


Ruled = list[tuple[AuditEvent, Notifies]]


def notify_logged(sender: Any, *, events: Sequence[AuditEvent], **kwargs: Any) -> None:
    """Receiver of `audit.signals.events_logged` (connected in apps.py)."""
    notify_all(events)


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
        [event for event, _rule in ruled], {who for _e, rule in ruled for who in rule.to}
    )
    user_type = ContentType.objects.get_for_model(get_user_model())
    case_type = ContentType.objects.get_for_model(Case)
    referral_type = ContentType.objects.get_for_model(Referral)
    now = timezone.now()
    rows: list[Notification] = []
    for event, rule in ruled:
        case = event.case
        assert case is not None
        target: Referral | Case = event.referral or case
        # Who did it: the person, or for what the platform does by itself, the case.
        if event.actor_id is not None:
            actor_type, actor_id = user_type, event.actor_id
        else:
            actor_type, actor_id = case_type, case.pk
        description = str(target)
        for role in rule.to:
            for user_id in recipients.of(role, event):
                if user_id == event.actor_id:
                    continue
                rows.append(
                    Notification(
                        recipient_id=user_id,
                        actor_content_type=actor_type,
                        actor_object_id=str(actor_id),
                        verb=rule.message,
                        description=description,
                        target_content_type=referral_type if event.referral else case_type,
                        target_object_id=str(target.pk),
                        timestamp=now,
                        data={"url": _url(role, event), "action": event.action},
                    )
                )
    if len(rows) == 1:
        # One row: its INSERT alone (bulk_create wraps even one row in BEGIN and COMMIT).
        rows[0].save()
    elif rows:
        Notification.objects.bulk_create(rows)
