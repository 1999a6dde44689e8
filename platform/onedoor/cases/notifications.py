"""In-app notifications, derived from audit events (as pretix derives them from its log)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from notifications.signals import notify

from onedoor.directory.models import Staff

if TYPE_CHECKING:
    from onedoor.audit.models import AuditEvent

# action -> (message, who is told: "agency" | "window" | "coordinator")
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "case.referred": ("收到转办事项", ("case_agencies",)),
    "referral.rerouted": ("收到转办事项", ("agency",)),
    "referral.returned": ("转办事项被退回", ("window",)),
    "referral.transferred": ("转办事项已移交", ("window", "agency")),
    "referral.reminder": ("转办事项即将到期（催办）", ("agency",)),
    "referral.overdue": ("转办事项已逾期", ("agency", "coordinator")),
    "referral.supervised": ("收到督办通知", ("agency",)),
    "referral.feedback": ("部门已反馈办理结果", ("window",)),
}


def _users(role: str, event: AuditEvent) -> Iterable[Any]:
    User = get_user_model()
    case = event.case
    if role == "agency" and event.referral is not None:
        return User.objects.filter(
            staff__role=Staff.Role.AGENCY_OFFICER, staff__agency=event.referral.agency
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
    if role == "agency" and event.referral is not None:
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
