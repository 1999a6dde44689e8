"""An agency's own work, for its leader in charge: open referrals by officer, the late ones,
and the 督办 still to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from onedoor.directory.models import Agency

from .models import Referral, ReferralQuerySet, SupervisionNotice
from .progress import person

LIST_LIMIT = 100


@dataclass(frozen=True)
class OfficerLoad:
    officer: str  # the officer in charge (Referral.officer), or "not signed yet"
    open: int
    overdue: int


@dataclass(frozen=True)
class AgencyWork:
    by_officer: list[OfficerLoad]
    overdue: ReferralQuerySet
    overdue_count: int
    notices: list[SupervisionNotice]


def agency_work(agency: Agency, now: datetime) -> AgencyWork:
    """What the agency has in hand now (its open referrals, not those it handed back)."""
    mine = Referral.objects.filter(agency=agency).in_agency_hands()
    # The officer handling each (who signed for it, or whom the leader reassigned it to).
    rows = (
        mine.order_by()
        .values("officer")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    )
    users = get_user_model().objects.select_related("staff")
    people = {u.pk: u for u in users.filter(pk__in=[r["officer"] for r in rows if r["officer"]])}
    by_officer = sorted(
        (
            OfficerLoad(
                officer=person(people[r["officer"]])
                if r["officer"] in people
                else _("Not signed for yet"),
                open=r["open"],
                overdue=r["overdue"],
            )
            for r in rows
        ),
        key=lambda load: (-load.overdue, -load.open, load.officer),
    )
    overdue = mine.filter(due_at__lt=now)
    notices = list(
        SupervisionNotice.objects.filter(referral__in=mine, answered_at__isnull=True)
        .select_related("referral__case", "referral__item")
        .order_by("issued_at", "pk")[:LIST_LIMIT]
    )
    return AgencyWork(
        by_officer=by_officer,
        overdue=overdue.select_related("case", "item", "current_task")
        .with_notice_counts()
        .order_by("due_at", "pk")[:LIST_LIMIT],
        overdue_count=overdue.count(),
        notices=notices,
    )
