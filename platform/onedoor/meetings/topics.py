"""Topic sources (议题来源): the rules that propose agenda topics from the projections.

Candidates are computed on demand for one county, each from an indexed table:

1. referrals open and overdue by at least N working days (the open-referral partial index by
   township and due time), on the county's calendar;
2. open referrals with a level-2 督办 (the same index, filtered on the escalation level);
3. open referrals past a date promised in answer to a 督办 (the answered-promise index);
4. open referrals returned or transferred at least M times (the same open index);
5. cases or referrals flagged difficult (提请联席会议研究) and not yet decided on;
6. member units below the on-time rate over the last P days (the supervision figures);
7. decisions of earlier meetings in force and past their deadline, not carried out;
8. topics member units proposed and the office accepted, not yet on any agenda;
9. decisions past a date their lead unit promised in answer to a 督办 of the decision, not
   carried out (the answered-promise index of decisions' notices).

A referral hit by several rules is one candidate with every reason. A candidate already on
the agenda of a meeting whose minutes are not issued yet is left out (it is being dealt with).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.deadlines.workdays import WorkingCalendar
from onedoor.directory.models import Agency

from .models import Conference, Decision, DecisionNotice, DifficultFlag, Topic, TopicProposal


@dataclass
class Candidate:
    key: str
    title: str
    sources: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    case: Case | None = None
    referral: Referral | None = None
    agency: Agency | None = None
    decision: Decision | None = None
    units: set[int] = field(default_factory=set)

    def add(self, source: str, reason: str) -> None:
        if source not in self.sources:
            self.sources.append(source)
        self.reasons.append(reason)


def _referral_title(referral: Referral) -> str:
    return _("%(reference)s %(applicant)s: %(item)s at %(agency)s") % {
        "reference": referral.case.reference,
        "applicant": referral.case.applicant.name,
        "item": referral.item,
        "agency": referral.agency,
    }


def candidates(conference: Conference, *, now: datetime | None = None) -> list[Candidate]:
    """Every topic the rules propose for the conference's county, worst first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    county = conference.county
    cal = WorkingCalendar.load(today, county.code)
    found: dict[str, Candidate] = {}

    open_referrals = (
        Referral.objects.filter(township__parent=county, current_task__isnull=False)
        .select_related("case__applicant", "item", "agency")
        .order_by("due_at", "pk")
    )

    def for_referral(referral: Referral) -> Candidate:
        key = f"referral:{referral.pk}"
        if key not in found:
            found[key] = Candidate(
                key=key,
                title=_referral_title(referral),
                case=referral.case,
                referral=referral,
                units={referral.agency_id},
            )
        return found[key]

    # 1. Long overdue: due on or before the working day N working days before today.
    n = conference.overdue_days
    last_due_day = cal.previous(today, n).day if n else today
    cutoff = timezone.make_aware(
        datetime.combine(last_due_day + timedelta(days=1), time.min),
        timezone.get_default_timezone(),
    )
    for referral in open_referrals.filter(due_at__lt=cutoff):
        assert referral.due_at is not None
        late = cal.between(timezone.localdate(referral.due_at), today)
        for_referral(referral).add(
            Topic.Source.OVERDUE,
            _("Overdue by %(days)s working days (rule: at least %(n)s)") % {"days": late, "n": n},
        )
    # 2. Level-2 督办 still open.
    for referral in open_referrals.filter(escalation_level__gte=2):
        for_referral(referral).add(
            Topic.Source.ESCALATED, _("Level-2 supervision raised and the item still open")
        )
    # 3. A promise made in answer to a 督办, broken.
    promises = SupervisionNotice.objects.filter(
        referral__township__parent=county,
        referral__current_task__isnull=False,
        answered_at__isnull=False,
        promised_date__lt=today,
    ).select_related("referral__case__applicant", "referral__item", "referral__agency")
    for notice in promises.order_by("promised_date"):
        assert notice.promised_date is not None
        for_referral(notice.referral).add(
            Topic.Source.PROMISE_BROKEN,
            _("Promised in answer to supervision to complete by %(date)s; still open")
            % {"date": notice.promised_date.isoformat()},
        )
    # 4. Disputed: returned or transferred M times or more.
    m = conference.handovers
    disputed = open_referrals.filter(Q(returns__gte=m) | Q(transfers__gte=m)) if m else []
    handed = {}
    for referral in disputed:
        handed[referral.pk] = referral
    if handed:
        from onedoor.cases.models import Handover

        for rid, agency_id in Handover.objects.filter(referral_id__in=handed).values_list(
            "referral_id", "from_agency_id"
        ):
            for_referral(handed[rid]).units.add(agency_id)
    for referral in handed.values():
        for_referral(referral).add(
            Topic.Source.DISPUTED,
            _("Returned %(returns)s times and transferred %(transfers)s times (rule: %(m)s)")
            % {"returns": referral.returns, "transfers": referral.transfers, "m": m},
        )
    # 5. Flagged difficult.
    flags = DifficultFlag.objects.filter(county=county, resolved_at__isnull=True).select_related(
        "case__applicant", "referral__item", "referral__agency", "referral__case__applicant"
    )
    for flag in flags:
        if flag.referral is not None:
            candidate = for_referral(flag.referral)
        else:
            key = f"case:{flag.case_id}"
            candidate = found.setdefault(
                key,
                Candidate(
                    key=key,
                    title=_("%(reference)s %(applicant)s")
                    % {"reference": flag.case.reference, "applicant": flag.case.applicant.name},
                    case=flag.case,
                ),
            )
            candidate.units |= set(
                Referral.objects.filter(case=flag.case).values_list("agency_id", flat=True)
            )
        candidate.add(
            Topic.Source.DIFFICULT,
            _("Flagged difficult by %(who)s: %(reason)s")
            % {"who": flag.flagged_by.get_full_name() or flag.flagged_by, "reason": flag.reason},
        )
    # 6. Units below the on-time rate (慢作为).
    from onedoor.supervision.figures import compute

    start = today - timedelta(days=conference.on_time_period_days)
    figures = compute(county, start, today, now=now)
    agencies = {a.code: a for a in Agency.objects.filter(county=county)}
    for row in figures.by_agency:
        rate = row.on_time_rate
        if rate is None or rate * 100 >= conference.on_time_percent or row.code not in agencies:
            continue
        agency = agencies[row.code]
        key = f"agency:{agency.pk}"
        candidate = found.setdefault(
            key,
            Candidate(
                key=key,
                title=_("Timeliness of %(agency)s") % {"agency": agency},
                agency=agency,
                units={agency.pk},
            ),
        )
        candidate.add(
            Topic.Source.SLOW_UNIT,
            _(
                "On time %(rate)s%% of decided referrals since %(start)s "
                "(rule: below %(threshold)s%%); %(overdue)s overdue now"
            )
            % {
                "rate": round(rate * 100),
                "start": start.isoformat(),
                "threshold": conference.on_time_percent,
                "overdue": row.overdue,
            },
        )
    # 7. Earlier decisions not carried out by their deadline (carried over by themselves).
    late_decisions = (
        Decision.objects.overdue(today)
        .filter(meeting__conference=conference)
        .select_related("meeting__conference__county", "lead", "case")
    )

    def for_decision(decision: Decision) -> Candidate:
        key = f"decision:{decision.pk}"
        return found.setdefault(
            key,
            Candidate(
                key=key,
                title=_("Decision %(n)s of %(meeting)s: %(text)s")
                % {"n": decision.number, "meeting": decision.meeting, "text": decision.text},
                case=decision.case,
                decision=decision,
                units={decision.lead_id},
            ),
        )

    for decision in late_decisions:
        assert decision.due_on is not None
        candidate = for_decision(decision)
        candidate.add(
            Topic.Source.DECISION_OVERDUE,
            _("Due on %(date)s, %(lead)s has not reported it carried out")
            % {"date": decision.due_on.isoformat(), "lead": decision.lead},
        )

    # 9. A promise made in answer to a decision's 督办, broken: the date passed, not done.
    decision_promises = DecisionNotice.objects.filter(
        decision__meeting__conference=conference,
        decision__applied_at__isnull=False,
        decision__done_at__isnull=True,
        answered_at__isnull=False,
        promised_date__lt=today,
    ).select_related("decision__meeting__conference__county", "decision__lead", "decision__case")
    for promise in decision_promises.order_by("promised_date", "pk"):
        assert promise.promised_date is not None and promise.answered_at is not None
        for_decision(promise.decision).add(
            Topic.Source.DECISION_PROMISE_BROKEN,
            _(
                "%(lead)s promised on %(answered)s, in answer to level-%(level)s supervision, "
                "to carry it out by %(date)s; not reported carried out"
            )
            % {
                "lead": promise.decision.lead,
                "answered": timezone.localdate(promise.answered_at).isoformat(),
                "level": promise.level,
                "date": promise.promised_date.isoformat(),
            },
        )

    # 8. Proposed by a member unit and accepted by the office; discussed once.
    discussed = set(
        Topic.objects.filter(
            meeting__conference=conference, key__startswith="proposal:"
        ).values_list("key", flat=True)
    )
    proposals = TopicProposal.objects.filter(
        conference=conference, state=TopicProposal.State.ACCEPTED
    ).select_related("agency", "case", "proposed_by")
    for proposal in proposals.order_by("proposed_at", "pk"):
        if proposal.key in discussed:
            continue
        candidate = found.setdefault(
            proposal.key,
            Candidate(
                key=proposal.key,
                title=proposal.title,
                case=proposal.case,
                units={proposal.agency_id},
            ),
        )
        if proposal.case_id is not None:
            candidate.units |= set(
                Referral.objects.filter(case_id=proposal.case_id).values_list(
                    "agency_id", flat=True
                )
            )
        candidate.add(
            Topic.Source.PROPOSED,
            _("Proposed by %(unit)s: %(reason)s")
            % {"unit": proposal.agency, "reason": proposal.reason},
        )

    # Already on an agenda whose minutes are not issued yet: being dealt with.
    pending = set(
        Topic.objects.filter(
            meeting__conference=conference, meeting__minutes_issued_at__isnull=True
        ).values_list("key", flat=True)
    )
    return sorted(
        (c for c in found.values() if c.key not in pending),
        key=lambda c: (-len(c.sources), c.key),
    )


def candidate(conference: Conference, key: str, **kwargs: Any) -> Candidate | None:
    for found in candidates(conference, **kwargs):
        if found.key == key:
            return found
    return None
