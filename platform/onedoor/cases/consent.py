"""Consent to share information, recorded after registration (before the case is referred).

A case registered without the applicant's consent cannot be referred (services.refer_case).
The window records the consent once it is given: who gave it, on which day, and how (a signed
consent form, or given on the applicant's behalf), and 分办转办 can then go ahead.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action

from .models import Case, ConsentMethod
from .services import ActionError, lock_process

LATE_METHODS = (ConsentMethod.SIGNED_FORM, ConsentMethod.ON_BEHALF)


def record_consent(
    case: Case, *, actor: User, method: str, given_by: str, given_on: date, note: str = ""
) -> Case:
    """Record the applicant's consent given after registration (audited)."""
    given_by, note = given_by.strip(), note.strip()
    if method not in LATE_METHODS:
        raise ActionError(_("Please say how the consent was given"))
    if not given_by:
        raise ActionError(_("Please give the name of the person who gave the consent"))
    if method == ConsentMethod.ON_BEHALF and not note:
        raise ActionError(
            _("Consent given on the applicant's behalf needs a note: who gave it, and why")
        )
    today = timezone.localdate()
    if given_on > today:
        raise ActionError(_("The consent cannot be dated after today"))
    with transaction.atomic(durable=True):
        lock_process(case.process_id)
        case = Case.objects.select_related("consent_recorded_by__staff").get(pk=case.pk)
        if case.consent_to_share:
            who = case.consent_recorded_by
            raise ActionError(
                _("The consent was already recorded (%(at)s, %(who)s); nothing was changed")
                % {
                    "at": f"{timezone.localtime(case.consent_at):%Y-%m-%d}"
                    if case.consent_at
                    else "",
                    "who": who.staff.display_name
                    if who is not None and hasattr(who, "staff")
                    else (who.get_username() if who else _("at registration")),
                }
            )
        if not case.is_open:
            raise ActionError(_("This case is closed; consent can no longer be recorded"))
        if case.referrals.exists():
            raise ActionError(_("This case has already been referred"))
        now = timezone.now()
        at = now if given_on == today else timezone.make_aware(datetime.combine(given_on, time(12)))
        case.consent_to_share = True
        case.consent_at = at
        case.consent_method = method
        case.consent_given_by = given_by
        case.consent_note = note
        case.consent_recorded_by = actor
        case.save(
            update_fields=[
                "consent_to_share",
                "consent_at",
                "consent_method",
                "consent_given_by",
                "consent_note",
                "consent_recorded_by",
            ]
        )
        log_action(
            "case.consent_recorded",
            actor=actor,
            case=case,
            before={"consent": False},
            after={
                "consent": True,
                "method": method,
                "given_by": given_by,
                "given_on": given_on.isoformat(),
            },
            data={"text": note} if note else {},
        )
    return case
