"""Who handles a referral inside its agency (承办人), and the leader in charge giving it to
another officer (改派): referrals go to an agency's group, the officer who signs for one
handles it, and the leader, who answers for the agency's late work, moves it when needed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.directory.models import Agency, Staff

from .models import Referral
from .services import ActionError, lock_process, referral_process_id


def officers_of(agency: Agency) -> QuerySet[Any]:
    """The agency's active officers (its leader in charge included), by name."""
    return (
        get_user_model()
        .objects.filter(staff__agency=agency, staff__role=Staff.Role.AGENCY_OFFICER, is_active=True)
        .select_related("staff")
        .order_by("first_name", "username")
    )


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def reassign_referral(referral: Referral, *, actor: User, officer: Any, reason: str) -> Referral:
    """改派: the agency's leader in charge gives an open referral of the agency to another of
    its officers, with a reason; audited, the new officer told. The same choice sent twice
    changes nothing the second time and says so."""
    reason = reason.strip()
    if not reason:
        raise ActionError(_("Please give the reason for the reassignment"))
    with transaction.atomic(durable=True):
        lock_process(referral_process_id(referral))
        referral = Referral.objects.select_related("agency", "officer").get(pk=referral.pk)
        if not referral.is_open or referral.current_task is None:
            raise ActionError(_("This item is completed and cannot be reassigned"))
        if referral.signed_at is None:
            raise ActionError(_("Not signed for yet: any officer of the agency may sign for it"))
        if not officers_of(referral.agency).filter(pk=officer.pk).exists():
            raise ActionError(
                _("Choose an active officer of %(agency)s") % {"agency": referral.agency}
            )
        if referral.officer_id == officer.pk:
            raise ActionError(
                _("%(name)s already handles this item; nothing was changed")
                % {"name": _name(officer)}
            )
        before = {"officer": _name(referral.officer)}
        referral.officer = officer
        referral.save(update_fields=["officer"])
        log_action(
            "referral.reassigned",
            actor=actor,
            referral=referral,
            before=before,
            after={"officer": _name(officer)},
            data={"reason": reason, "officer": officer.pk},
        )
    return referral
