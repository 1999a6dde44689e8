"""log_action: the one way an audit event is written (log_actions: several at once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from onedoor.households.idnumber import mask

from .models import AuditEvent
from .signals import events_logged

if TYPE_CHECKING:
    # Annotations only: the log records cases and referrals but never runs their code, and
    # the cases app, above it, calls log_action (the import contracts skip these imports).
    from django.contrib.auth.models import AbstractBaseUser

    from onedoor.cases.models import Case, Referral
    from onedoor.households.models import Household

# Keys whose values never go into the audit trail in clear.
SECRET_KEYS = {"id_number", "password"}


def _masked(data: dict[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if key in SECRET_KEYS and isinstance(value, str):
            clean[key] = mask(value)
        elif isinstance(value, dict):
            clean[key] = _masked(value)
        else:
            clean[key] = value
    return clean


def build_action(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    case: Case | None = None,
    referral: Referral | None = None,
    household: Household | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """The audit event of a state change, not saved yet: log_actions writes it."""
    staff = getattr(actor, "staff", None) if actor is not None else None
    if referral is not None and case is None:
        case = referral.case
    return AuditEvent(
        at=timezone.now(),
        actor=actor,  # type: ignore[misc]
        actor_role=staff.role if staff else "",
        actor_agency=staff.agency.code if staff and staff.agency else "",
        action=action,
        case=case,
        referral=referral,
        household=household,
        before=_masked(before),
        after=_masked(after),
        data=_masked(data),
    )


def log_actions(events: Sequence[AuditEvent]) -> None:
    """Write built events (one INSERT) and announce them (`events_logged`: notifications are
    queued from it, sent on commit). Call inside the transaction that makes the changes."""
    if not events:
        return
    AuditEvent.objects.bulk_create(events)
    events_logged.send(sender=AuditEvent, events=events)


def log_action(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    case: Case | None = None,
    referral: Referral | None = None,
    household: Household | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a state change. Call inside the transaction that makes the change."""
    event = build_action(
        action,
        actor=actor,
        case=case,
        referral=referral,
        household=household,
        before=before,
        after=after,
        data=data,
    )
    log_actions([event])
    return event
