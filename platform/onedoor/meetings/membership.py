"""Who sits on the county's joint conference, and the thresholds its topic rules use."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.directory.models import Agency, Staff

from .models import Conference, MemberUnit
from .services import ActionError


def update_conference(
    conference: Conference,
    *,
    actor: User,
    convenor: Any,
    overdue_days: int,
    handovers: int,
    on_time_percent: int,
    on_time_period_days: int,
) -> Conference:
    """The convenor and the thresholds of the topic rules."""
    if convenor is not None:
        staff = getattr(convenor, "staff", None)
        if staff is None or staff.county.pk != conference.county_id:
            raise ActionError(_("The convenor must be a user of this county"))
    if on_time_percent > 100:
        raise ActionError(_("The on-time rate is a percentage from 0 to 100"))
    fields = {
        "convenor_id": convenor.pk if convenor else None,
        "overdue_days": overdue_days,
        "handovers": handovers,
        "on_time_percent": on_time_percent,
        "on_time_period_days": on_time_period_days,
    }
    with transaction.atomic(durable=True):
        conference = Conference.objects.select_for_update().get(pk=conference.pk)
        before = {name: getattr(conference, name) for name in fields}
        for name, value in fields.items():
            setattr(conference, name, value)
        conference.save()
        log_action(
            "conference.changed",
            actor=actor,
            before=before,
            after=fields,
            data={"conference": conference.pk},
        )
    return conference


def set_member_unit(
    conference: Conference, agency: Agency, *, actor: User, liaison: Any, active: bool
) -> MemberUnit:
    """A member unit joins, leaves, or names its liaison officer (an officer of the agency)."""
    if agency.county_id != conference.county_id:
        raise ActionError(_("%(agency)s is not an agency of this county") % {"agency": agency})
    if liaison is not None:
        staff = getattr(liaison, "staff", None)
        if staff is None or staff.role != Staff.Role.AGENCY_OFFICER or staff.agency_id != agency.pk:
            raise ActionError(
                _("The liaison officer must be an officer of %(agency)s") % {"agency": agency}
            )
    with transaction.atomic(durable=True):
        unit, _created = MemberUnit.objects.select_for_update().get_or_create(
            agency=agency, defaults={"conference": conference}
        )
        before = {"liaison": unit.liaison_id, "active": unit.active}
        unit.liaison, unit.active = liaison, active
        unit.save()
        log_action(
            "conference.unit_changed",
            actor=actor,
            before=before,
            after={"liaison": unit.liaison_id, "active": active},
            data={"conference": conference.pk, "agency": agency.code},
        )
    return unit
