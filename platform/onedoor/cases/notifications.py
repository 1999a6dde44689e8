"""In-app notifications, derived from audit events (as pretix derives them from its log)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop
from notifications.signals import notify

from onedoor.directory.models import Staff

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


def _users(role: str, event: AuditEvent) -> Iterable[Any]:
    User = get_user_model()
    case = event.case
    if role == "agency" and event.referral is not None:
        return User.objects.filter(
            staff__role=Staff.Role.AGENCY_OFFICER, staff__agency=event.referral.agency
        )
    if role == "agency_leader" and event.referral is not None:
        return User.objects.filter(
            staff__role=Staff.Role.AGENCY_OFFICER,
            staff__agency=event.referral.agency,
            staff__is_agency_leader=True,
        )
    if role == "case_agencies" and case is not None:
        return User.objects.filter(
            staff__role=Staff.Role.AGENCY_OFFICER, staff__agency__referrals__case=case
        ).distinct()
    if role == "window" and case is not None:
        return User.objects.filter(staff__role=Staff.Role.WINDOW, staff__division=case.township)
    if role == "coordinator" and case is not None:
        return User.objects.filter(
            staff__role=Staff.Role.COORDINATOR, staff__division=case.township.parent
        )
    return User.objects.none()


def _url(role: str, event: AuditEvent) -> str:
    if role in {"agency", "agency_leader"} and event.referral is not None:
        return reverse("cases:referral", args=[event.referral.pk])
    if role == "case_agencies":
        return reverse("cases:inbox")
    if event.case is not None:
        return reverse("cases:case", args=[event.case.pk])
    return reverse("home:index")


def notify_for(event: AuditEvent) -> None:
    """Queue the notifications an audit event calls for, sent once the change commits."""
    rule = RULES.get(event.action)
    if rule is None:
        return
    verb, roles = rule

    def send() -> None:
        for role in roles:
            recipients = [u for u in _users(role, event) if u.pk != event.actor_id]
            if not recipients:
                continue
            notify.send(
                event.actor or event.case,
                recipient=recipients,
                verb=verb,
                target=event.referral or event.case,
                description=str(event.referral or event.case),
                data={"url": _url(role, event), "action": event.action},
            )

    transaction.on_commit(send)
