"""Who may see and do what in the joint conference: one place decides.

- the office (联席办: the county's coordinators) and the convenor see and edit everything of
  their county's conference;
- supervisors and administrators of the county read everything;
- an agency officer of a member unit sees the meetings whose topics concern the unit, those
  topics (dossiers masked) and the decisions it leads or co-operates on; the unit's liaison
  officer works its liaison tasks;
- nobody else sees anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext as _

from onedoor.cases.access import register_subjects_of_county, staff_of
from onedoor.cases.models import Referral
from onedoor.directory.models import Agency, Staff
from workflows.models import HumanTask

from .models import (
    SUBJECT_DECISION,
    SUBJECT_MEETING,
    Conference,
    Decision,
    Meeting,
    MemberUnit,
    Topic,
    TopicProposal,
)

# The plenary watch process (meetings.services.WATCH_PROCESS) is about a meeting too.
SUBJECT_PLENARY_WATCH = "plenary_watch"


def register_engine_subjects() -> None:
    """The conference's processes on a county administrator's engine overview."""
    register_subjects_of_county(
        SUBJECT_MEETING, lambda county: Meeting.objects.filter(conference__county=county)
    )
    register_subjects_of_county(
        SUBJECT_PLENARY_WATCH, lambda county: Meeting.objects.filter(conference__county=county)
    )
    register_subjects_of_county(
        SUBJECT_DECISION,
        lambda county: Decision.objects.filter(meeting__conference__county=county),
    )


READERS = {Staff.Role.SUPERVISOR, Staff.Role.ADMINISTRATOR}
DRAFTING = "draft_agenda"  # the BPMN step while the office drafts the agenda


def convenor_group(conference: Conference) -> str:
    """The candidate group of the convenor's tasks in joint_meeting.bpmn."""
    return f"convenor-{conference.county.code}"


@dataclass(frozen=True)
class Rights:
    """A user's rights over their county's conference."""

    conference: Conference
    office: bool = False  # the coordinators: plan, draft, record
    convenor: bool = False
    reader: bool = False  # supervisors: read all
    unit: Agency | None = None  # an officer of a member unit: what concerns it

    @property
    def sees_all(self) -> bool:
        return self.office or self.convenor or self.reader

    @property
    def edits(self) -> bool:
        return self.office or self.convenor

    def reports_done(self, decision: Decision) -> bool:
        """The lead unit (or the office) reports a decision carried out; one of special
        assistance is carried out by its referral's feedback, not by a report."""
        if decision.new_referral_id is not None:
            return False
        return self.office or (self.unit is not None and self.unit.pk == decision.lead_id)


FLAG_ROLES = {Staff.Role.WINDOW, Staff.Role.AGENCY_OFFICER}


def require_may_flag(user: Any, referral: Referral | None) -> None:
    """提请联席会议研究: window staff for a case they may see, an agency officer for its own
    referral (the case or referral lookup has checked the scope)."""
    staff = staff_of(user)
    if staff is None or staff.role not in FLAG_ROLES:
        raise PermissionDenied(
            _("Window staff and agency officers refer cases to the joint conference")
        )
    if staff.role == Staff.Role.AGENCY_OFFICER and (
        referral is None or referral.agency_id != staff.agency_id
    ):
        raise PermissionDenied(_("An agency refers its own items to the joint conference"))


def conference_of(county: Any) -> Conference:
    conference, _created = Conference.objects.select_related("county").get_or_create(county=county)
    return conference


def rights_of(user: Any) -> Rights | None:
    """The user's rights in the conference of their county, or None (sees nothing)."""
    staff = staff_of(user)
    if staff is None:
        return None
    if staff.role in {Staff.Role.WINDOW, Staff.Role.VILLAGE_ASSISTANT}:
        return None
    if staff.role == Staff.Role.AGENCY_OFFICER and staff.agency is not None:
        # The conference and whether the officer's agency is an active member unit of it, in
        # one statement (every page of an officer asks, for the navigation).
        found = (
            Conference.objects.select_related("county")
            .filter(county=staff.county)
            .annotate(
                member=Exists(
                    MemberUnit.objects.filter(
                        conference=OuterRef("pk"), agency=staff.agency, active=True
                    )
                )
            )
            .first()
        )
        # A conference made just now has no member units yet.
        conference, member = (
            (conference_of(staff.county), False) if found is None else (found, found.member)
        )
        convenor = conference.convenor_id == user.pk
        if member or convenor:
            return Rights(conference, convenor=convenor, unit=staff.agency if member else None)
        return None
    conference = conference_of(staff.county)
    convenor = conference.convenor_id == user.pk
    if staff.role == Staff.Role.COORDINATOR:
        return Rights(conference, office=True, convenor=convenor)
    if staff.role in READERS:
        return Rights(conference, reader=True, convenor=convenor)
    return None


def liaison_unit(user: Any, rights: Rights) -> MemberUnit | None:
    """The member unit whose liaison officer (联络员) the user is, if any."""
    if rights.unit is None:
        return None
    return MemberUnit.objects.filter(
        conference=rights.conference, agency=rights.unit, liaison=user, active=True
    ).first()


def proposals_for(rights: Rights) -> Any:
    """Topic proposals: all of the county's for those who see all, else the unit's own."""
    proposals = TopicProposal.objects.filter(conference=rights.conference)
    if rights.sees_all:
        return proposals
    return proposals.filter(agency=rights.unit)


def rights_for_page(request: Any) -> Rights | None:
    """`rights_of` the request's user, read once per request: the navigation, the board's
    conference line and the inbox's and board's panels all ask (see rights_for_panel)."""
    return rights_for_panel(request.user)


def rights_for_panel(user: Any) -> Rights | None:
    """`rights_of`, read once for the user object a request carries. For drawing pages only:
    services ask `rights_of`, which reads the membership afresh."""
    if not hasattr(user, "_conference_rights"):
        user._conference_rights = rights_of(user)
    rights: Rights | None = user._conference_rights
    return rights


def require_rights(user: Any) -> Rights:
    rights = rights_of(user)
    if rights is None:
        raise Http404("no conference")
    return rights


def meetings_for(rights: Rights) -> Any:
    meetings = Meeting.objects.filter(conference=rights.conference)
    if rights.sees_all:
        return meetings
    assert rights.unit is not None
    concerned = Q(topics__units=rights.unit) | Q(decisions__lead=rights.unit)
    # A unit sees the agenda once the office sends it out for positions, not while drafting.
    return meetings.filter(concerned).exclude(stage=DRAFTING).distinct()


def get_meeting_for_user(user: Any, pk: int) -> tuple[Meeting, Rights]:
    rights = require_rights(user)
    meeting = (
        meetings_for(rights)
        .select_related("conference__county", "created_by")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404("meeting not found")
    return meeting, rights


def topics_for(meeting: Meeting, rights: Rights) -> Any:
    topics = meeting.topics.select_related("case", "referral__agency", "referral__item", "agency")
    if rights.sees_all:
        return topics
    return topics.filter(units=rights.unit)


def get_topic_for_user(user: Any, pk: int) -> tuple[Topic, Rights]:
    rights = require_rights(user)
    topic = Topic.objects.select_related("meeting__conference__county").filter(pk=pk).first()
    if topic is None or topic.meeting.conference_id != rights.conference.pk:
        raise Http404("topic not found")
    if not rights.sees_all and topic.meeting.stage == DRAFTING:
        raise Http404("topic not found")
    if not rights.sees_all and (
        rights.unit is None or not topic.units.filter(pk=rights.unit.pk).exists()
    ):
        raise Http404("topic not found")
    return topic, rights


def decisions_for(rights: Rights) -> Any:
    decisions = Decision.objects.filter(meeting__conference=rights.conference)
    if rights.sees_all:
        return decisions
    return decisions.filter(Q(lead=rights.unit) | Q(co_units=rights.unit)).distinct()


def get_decision_for_user(user: Any, pk: int) -> tuple[Decision, Rights]:
    rights = require_rights(user)
    decision = decisions_for(rights).select_related("meeting", "lead").filter(pk=pk).first()
    if decision is None:
        raise Http404("decision not found")
    return decision, rights


def can_work(user: Any, task: HumanTask, meeting: Meeting) -> bool:
    """May the user complete this open task of the meeting's process (lane and group)?"""
    if task.state != HumanTask.State.OPEN or task.subject_id != str(meeting.pk):
        return False
    rights = rights_of(user)
    if rights is None or rights.conference.pk != meeting.conference_id:
        return False
    if task.lane == "coordinator":
        return rights.office and task.candidate_group == rights.conference.county.code
    if task.lane == "convenor":
        return rights.convenor and task.candidate_group == convenor_group(rights.conference)
    if task.lane == "liaison":
        return MemberUnit.objects.filter(
            conference=rights.conference,
            agency__code=task.candidate_group,
            liaison=user,
            active=True,
        ).exists()
    return False
