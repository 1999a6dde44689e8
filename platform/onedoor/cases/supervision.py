"""督办 as the coordinator sends it (`issue_supervision_notice`): the level it goes at and the
remarks drafted from the referral's clock (a reminder before the limit, a demand after it),
which the coordinator edits.

Level 1 goes to the agency's officers; level 2 to the agency's leader in charge (分管领导) as
well. A notice never stands below the level the process has escalated the referral to.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.deadlines.words import days_late

from .models import Referral, SupervisionNotice
from .services import ActionError, lock_process, referral_process_id

# The working days a demand gives the agency to complete and report back.
DEMAND_DAYS = 2


def lowest_level(referral: Referral) -> int:
    """The lowest level a coordinator's notice may take: where the process stands, at least 1."""
    return max(1, referral.escalation_level)


def working_days_late(referral: Referral, now: datetime) -> int:
    """Working days past the step's limit on the county's calendar (0: not late); a limit
    passed since the last working day counts as one, so a demand never says "0 days"."""
    return _days_late(referral.due_at, _county_if_late(referral, now), now)


def _county_if_late(referral: Referral, now: datetime) -> str:
    """The referral's county code, read only when it is late (its calendar counts the days)."""
    if referral.due_at is None or referral.due_at >= now:
        return ""
    county = referral.township.parent
    return county.code if county is not None else ""


def _days_late(due_at: datetime | None, county: str, now: datetime) -> int:
    if due_at is None or due_at >= now:
        return 0
    return max(1, days_late(due_at, now, county))


def drafted_remarks(referral: Referral, now: datetime) -> str:
    """The remarks a 督办 starts with, from where the referral's clock stands."""
    return remarks_for(
        referral.due_at,
        referral.signed_at,
        referral.referred_at,
        _county_if_late(referral, now),
        now,
    )


def remarks_for(
    due_at: datetime | None,
    signed_at: datetime | None,
    referred_at: datetime,
    county: str,
    now: datetime,
) -> str:
    """`drafted_remarks` from the referral's fields (the board's rows are read as values)."""
    due = f"{timezone.localdate(due_at):%Y-%m-%d}" if due_at else ""
    late = _days_late(due_at, county, now)
    if late:
        return _(
            "This item is %(days)s working days past its time limit (%(due)s). Please complete "
            "it within %(demand)s working days and report back; if it cannot be done, give the "
            "reason and a promised completion date."
        ) % {"days": late, "due": due, "demand": DEMAND_DAYS}
    if signed_at is None:
        return _(
            "This item was referred to your agency on %(referred)s and has not been signed "
            "for yet. Please sign for it by %(due)s and handle it within the time limit."
        ) % {"referred": f"{timezone.localdate(referred_at):%Y-%m-%d}", "due": due}
    return _("This item is due on %(due)s. Please handle it in time and report the result.") % {
        "due": due or "—"
    }


def issue_supervision_notice(
    referral: Referral,
    *,
    actor: User,
    text: str,
    level: int = 1,
    notices_seen: int | None = None,
) -> SupervisionNotice:
    """督办: the coordinator chases the agency about an open referral, at level 1 (the
    agency) or 2 (its leader in charge too); never below where the process has escalated it.

    `notices_seen` is how many 督办 the referral had when the coordinator's page was drawn:
    if there are more now (the same form sent twice, a colleague's, the process's own), the
    notice is not sent again and the coordinator is told why."""
    if not text.strip():
        raise ActionError(_("Please write the supervision remarks"))
    with transaction.atomic(durable=True):
        lock_process(referral_process_id(referral))
        referral = Referral.objects.select_related("case", "agency", "item").get(pk=referral.pk)
        if not referral.is_open:
            raise ActionError(_("This item is completed and needs no supervision"))
        existing = SupervisionNotice.objects.filter(referral=referral)
        if notices_seen is not None and existing.count() != notices_seen:
            latest = existing.select_related("issued_by").order_by("-issued_at", "-pk").first()
            raise ActionError(
                _(
                    "A supervision notice for this item was already sent at %(at)s "
                    "(after your page was shown); yours was not sent again. "
                    "Look at the item before sending another."
                )
                % {"at": f"{timezone.localtime(latest.issued_at):%Y-%m-%d %H:%M}" if latest else ""}
            )
        if level not in (1, 2):
            raise ActionError(_("Choose level 1 or level 2"))
        # A coordinator's own 督办 stands at least at the level the process has escalated it to.
        level = max(level, referral.escalation_level)
        notice = SupervisionNotice.objects.create(
            referral=referral,
            level=level,
            step="handle" if referral.signed_at else "sign",
            due_at=referral.due_at,
            text=text.strip(),
            issued_by=actor,
        )
        log_action(
            "referral.supervised" if level == 1 else "referral.supervised_leader",
            actor=actor,
            referral=referral,
            data={"level": level, "text": text.strip()},
        )
    return notice
