"""Notifications of the meeting's cycle, sent once the change commits.

Events about a case notify through onedoor.notify.rules like any other; these
are the meeting's own: who hears of what follows from their part in the conference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from notifications.models import Notification

from onedoor.directory.models import Staff

from .models import Meeting, MemberUnit, Topic

if TYPE_CHECKING:
    from .models import Decision, DecisionNotice, TopicProposal

# action -> (message, who: "office" | "convenor" | "concerned" | "members" | "leads").
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "meeting.agenda_submitted": (
        gettext_noop("Draft agenda: your unit's written position is invited"),
        ("concerned", "convenor"),
    ),
    "meeting.position_submitted": (gettext_noop("Written position submitted"), ("office",)),
    "meeting.agenda_approved": (gettext_noop("Meeting notice"), ("members", "office")),
    "meeting.agenda_returned": (gettext_noop("Agenda sent back by the convenor"), ("office",)),
    "meeting.minutes_submitted": (gettext_noop("Minutes waiting for your approval"), ("convenor",)),
    "meeting.minutes_returned": (gettext_noop("Minutes sent back by the convenor"), ("office",)),
    "meeting.minutes_issued": (
        gettext_noop("Minutes issued: decisions for your unit"),
        ("leads", "office"),
    ),
}


def _recipients(role: str, meeting: Meeting) -> set[int]:
    conference = meeting.conference
    if role == "office":
        return set(
            Staff.objects.filter(
                role=Staff.Role.COORDINATOR, division=conference.county
            ).values_list("user_id", flat=True)
        )
    if role == "convenor":
        return {conference.convenor_id} if conference.convenor_id else set()
    units = MemberUnit.objects.filter(conference=conference, active=True, liaison__isnull=False)
    if role == "concerned":
        concerned = Topic.units.through.objects.filter(topic__meeting=meeting).values("agency_id")
        units = units.filter(agency_id__in=concerned)
    elif role == "leads":
        agencies = meeting.decisions.values("lead_id")
        return set(
            Staff.objects.filter(
                role=Staff.Role.AGENCY_OFFICER, agency_id__in=agencies
            ).values_list("user_id", flat=True)
        )
    return set(units.values_list("liaison_id", flat=True))


def _send(verb: str, users: set[int], meeting: Any, actor_id: int | None, url: str) -> None:
    """Notify `users` of an event about `meeting` (or another row of the conference)."""
    meeting_type = ContentType.objects.get_for_model(type(meeting))
    user_type = ContentType.objects.get_for_model(get_user_model())
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user,
                actor_content_type=user_type if actor_id else meeting_type,
                actor_object_id=str(actor_id or meeting.pk),
                verb=verb,
                description=str(meeting),
                target_content_type=meeting_type,
                target_object_id=str(meeting.pk),
                timestamp=now,
                data={"url": url},
            )
            for user in sorted(users - {actor_id})
        ]
    )


def after(action: str, meeting: Meeting, actor_id: int | None = None) -> None:
    """Queue the notifications of a meeting event, sent once the change commits."""
    if action not in RULES:
        return
    verb, roles = RULES[action]
    url = reverse("meetings:meeting", args=[meeting.pk])

    def send() -> None:
        users: set[int] = set()
        for role in roles:
            users |= _recipients(role, meeting)
        _send(verb, users, meeting, actor_id, url)

    transaction.on_commit(send, robust=True)


def decision_done(decision: Decision) -> None:
    meeting = decision.meeting

    def send() -> None:
        _send(
            gettext_noop("A decision was reported carried out"),
            _recipients("office", meeting),
            meeting,
            decision.done_by_id,
            reverse("meetings:decision", args=[decision.pk]),
        )

    transaction.on_commit(send, robust=True)


REMINDER = gettext_noop("Joint conference decision due soon (reminder)")
OVERDUE = gettext_noop("Joint conference decision overdue")


def _lead_officers(decision: Decision) -> set[int]:
    return set(
        Staff.objects.filter(
            role=Staff.Role.AGENCY_OFFICER, agency_id=decision.lead_id
        ).values_list("user_id", flat=True)
    )


def followup(
    decision: Decision,
    verb: str,
    *,
    office: bool,
    convenor: bool = False,
    unit: bool = True,
    actor_id: int | None = None,
) -> None:
    """A decision's reminder, overdue notice or 督办: to the lead unit's officers (and the
    office, the convenor), linking to the follow-up page."""
    meeting = decision.meeting

    def send() -> None:
        users = _lead_officers(decision) if unit else set()
        if office:
            users |= _recipients("office", meeting)
        if convenor:
            users |= _recipients("convenor", meeting)
        _send(verb, users, meeting, actor_id, reverse("meetings:decision", args=[decision.pk]))

    transaction.on_commit(send, robust=True)


DECISION_SUPERVISED = gettext_noop("Supervision notice on a joint conference decision")
DECISION_SUPERVISED_AGAIN = gettext_noop(
    "Level-2 supervision notice on a joint conference decision"
)
DECISION_NOTICE_ANSWERED = gettext_noop("Supervision of a decision answered")


def decision_supervised(notice: DecisionNotice) -> None:
    """督办 to the lead unit; a level-2 one to the convenor as well."""
    verb = DECISION_SUPERVISED if notice.level < 2 else DECISION_SUPERVISED_AGAIN
    followup(
        notice.decision,
        verb,
        office=False,
        convenor=notice.level >= 2,
        actor_id=notice.issued_by_id,
    )


def decision_notice_answered(notice: DecisionNotice) -> None:
    followup(
        notice.decision,
        DECISION_NOTICE_ANSWERED,
        office=True,
        unit=False,
        actor_id=notice.answered_by_id,
    )


PLENARY_DUE = gettext_noop("No plenary meeting for six months: plan the next one")


def plenary_due(meeting: Meeting) -> None:
    def send() -> None:
        users = _recipients("office", meeting) | _recipients("convenor", meeting)
        _send(PLENARY_DUE, users, meeting, None, reverse("meetings:index"))

    transaction.on_commit(send, robust=True)


PROPOSED = gettext_noop("A member unit proposed a topic for the joint conference")
PROPOSAL_ACCEPTED = gettext_noop("Your proposed topic was accepted as a candidate")
PROPOSAL_DECLINED = gettext_noop("Your proposed topic was declined")


def _office_of(conference: Any) -> set[int]:
    return set(
        Staff.objects.filter(role=Staff.Role.COORDINATOR, division=conference.county).values_list(
            "user_id", flat=True
        )
    )


def proposal_made(proposal: TopicProposal) -> None:
    def send() -> None:
        users = _office_of(proposal.conference)
        _send(PROPOSED, users, proposal, proposal.proposed_by_id, reverse("meetings:proposals"))

    transaction.on_commit(send, robust=True)


def proposal_answered(proposal: TopicProposal) -> None:
    """The unit hears the answer: the officer who proposed it and the unit's liaison."""

    def send() -> None:
        users = {proposal.proposed_by_id}
        users |= set(
            MemberUnit.objects.filter(
                agency_id=proposal.agency_id, liaison__isnull=False
            ).values_list("liaison_id", flat=True)
        )
        verb = PROPOSAL_ACCEPTED if proposal.state == "accepted" else PROPOSAL_DECLINED
        _send(verb, users, proposal, proposal.answered_by_id, reverse("meetings:proposals"))

    transaction.on_commit(send, robust=True)
