"""督办 as the coordinator writes it: the level it goes at and the remarks drafted from the
referral's clock (a reminder before the limit, a demand after it), which the coordinator edits.

Level 1 goes to the agency's officers; level 2 to the agency's leader in charge (分管领导) as
well. A notice never stands below the level the process has escalated the referral to.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.deadlines.words import days_late

from .models import Referral

# The working days a demand gives the agency to complete and report back.
DEMAND_DAYS = 2


def lowest_level(referral: Referral) -> int:
    """The lowest level a coordinator's notice may take: where the process stands, at least 1."""
    return max(1, referral.escalation_level)


def working_days_late(referral: Referral, now: datetime) -> int:
    """Working days past the step's limit on the county's calendar (0: not late); a limit
    passed since the last working day counts as one, so a demand never says "0 days"."""
    if referral.due_at is None or referral.due_at >= now:
        return 0
    county = referral.township.parent
    return max(1, days_late(referral.due_at, now, county.code if county is not None else ""))


def drafted_remarks(referral: Referral, now: datetime) -> str:
    """The remarks a 督办 starts with, from where the referral's clock stands."""
    due = f"{timezone.localdate(referral.due_at):%Y-%m-%d}" if referral.due_at else ""
    late = working_days_late(referral, now)
    if late:
        return _(
            "This item is %(days)s working days past its time limit (%(due)s). Please complete "
            "it within %(demand)s working days and report back; if it cannot be done, give the "
            "reason and a promised completion date."
        ) % {"days": late, "due": due, "demand": DEMAND_DAYS}
    if referral.signed_at is None:
        return _(
            "This item was referred to your agency on %(referred)s and has not been signed "
            "for yet. Please sign for it by %(due)s and handle it within the time limit."
        ) % {"referred": f"{timezone.localdate(referral.referred_at):%Y-%m-%d}", "due": due}
    return _("This item is due on %(due)s. Please handle it in time and report the result.") % {
        "due": due or "—"
    }
