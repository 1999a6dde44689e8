"""Who may see, act on and fetch what: the one module that decides (zulip's access_* style).

Views ask here and nowhere else: a page's role requirement is a decorator (`@require_role`),
an object comes from an `access_*` / `get_*_for_user` helper that checks the user's scope and
answers 404 outside it, and what the user may do with the object comes back with it
(healthchecks' `_get_check_for_user`), so neither a view nor a template re-derives a rule.
Which rows a user may see at all are the `visible_to` QuerySet methods in `models.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from notifications.models import Notification

from onedoor.audit.models import AuditEvent, AuditEventQuerySet
from onedoor.directory.models import Agency, Division, Staff
from onedoor.households.models import Household, HouseholdQuerySet, Member
from workflows.models import HumanTask, Incident, ProcessInstance

from .materials import Requested, requested
from .models import SUBJECT_CASE, Case, Referral, ReferralQuerySet, SupervisionNotice

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

Role = Staff.Role

# The BPMN lane a task stands in names the role that works it.
LANE_ROLES = {
    "window": Role.WINDOW,
    "agency": Role.AGENCY_OFFICER,
    "coordinator": Role.COORDINATOR,
}

# Who may open each page that is not about one object. The navigation (home's context
# processor) is built from these same sets, so a link shows exactly when its page opens.
INTAKE_ROLES = frozenset({Role.WINDOW, Role.VILLAGE_ASSISTANT})
# The household registry (find a household, its history, apply again, update it): those who
# register households, each within their scope (a township's window, a village's assistant).
HOUSEHOLD_ROLES = INTAKE_ROLES
INBOX_ROLES = frozenset({Role.AGENCY_OFFICER})
BOARD_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR})
FIGURES_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR})
AUDIT_LOG_ROLES = frozenset({Role.SUPERVISOR, Role.COORDINATOR, Role.ADMINISTRATOR})
SUPERVISE_ROLES = frozenset({Role.COORDINATOR})
# Changes to no case (calendar days, time-limit rules) are the platform's settings: those who
# check the platform as a whole read them in the audit log; a county's coordinator does not.
SETTINGS_AUDIT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
ENGINE_ROLES = frozenset({Role.ADMINISTRATOR})
# Where a county's cases wait, step by step on the process diagram: those who unblock them
# (the joint-conference office) and those who change the process (the system administrators).
PROCESS_LOAD_ROLES = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
# The search box in the header: everyone who works cases (each within their scope below).
SEARCH_ROLES = frozenset(
    {Role.WINDOW, Role.VILLAGE_ASSISTANT, Role.AGENCY_OFFICER, Role.COORDINATOR, Role.SUPERVISOR}
)
# The county's own administration pages: staff accounts, agencies, divisions.
ADMINISTRATION_ROLES = frozenset({Role.ADMINISTRATOR})
# Roles that answer for time limits and must hear when the official calendar runs out.
CALENDAR_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR, Role.ADMINISTRATOR})
EVERY_ROLE = frozenset(Role)
# The refusal for a signed-in user without a staff row, whatever the page.
NO_ROLE = gettext_lazy("Your account has no role yet; please contact the administrator")

View = Callable[..., HttpResponse]


def staff_of(user: Any) -> Staff | None:
    return getattr(user, "staff", None) if user.is_authenticated else None


def has_role(user: Any, roles: frozenset[Staff.Role]) -> bool:
    staff = staff_of(user)
    return staff is not None and staff.role in roles


def may_see_engine(user: Any) -> bool:
    """The engine overview: a county's system administrators (their county's part) and the
    platform's administrators (superusers: all of it)."""
    return bool(user.is_authenticated and user.is_superuser) or has_role(user, ENGINE_ROLES)


# Which rows each kind of process subject is about, per county: the engine overview shows a
# county's administrator the instances of their county's subjects. Cases are registered
# here; the joint conference registers its meetings and decisions (meetings.access).
SubjectsOfCounty = Callable[[Division], "QuerySet[Any]"]
SUBJECTS_OF_COUNTY: dict[str, SubjectsOfCounty] = {
    SUBJECT_CASE: lambda county: Case.objects.filter(township__parent=county),
}


def register_subjects_of_county(subject_type: str, rows: SubjectsOfCounty) -> None:
    SUBJECTS_OF_COUNTY[subject_type] = rows


@dataclass(frozen=True)
class EngineScope:
    """What of the engine a user sees on /engine/: one county's processes, or (county None)
    the whole platform's, the process files included."""

    county: Division | None

    def _instance_ids(self, county: Division) -> QuerySet[ProcessInstance, Any]:
        """The ids of the county's instances: one branch per kind of subject, each read
        through the instances' subject index (an OR of the kinds would scan every instance)."""
        parts = [
            ProcessInstance.objects.filter(
                subject_type=subject_type,
                subject_id__in=rows(county).annotate(sid=Cast("pk", CharField())).values("sid"),
            ).values("pk")
            for subject_type, rows in SUBJECTS_OF_COUNTY.items()
        ]
        return parts[0].union(*parts[1:], all=True)

    def instances(self) -> QuerySet[ProcessInstance]:
        if self.county is None:
            return ProcessInstance.objects.all()
        return ProcessInstance.objects.filter(pk__in=self._instance_ids(self.county))

    def tasks(self) -> QuerySet[HumanTask]:
        if self.county is None:
            return HumanTask.objects.all()
        return HumanTask.objects.filter(instance__in=self._instance_ids(self.county))

    def incidents(self) -> QuerySet[Incident]:
        if self.county is None:
            return Incident.objects.all()
        return Incident.objects.filter(instance__in=self._instance_ids(self.county))


def engine_scope(user: Any) -> EngineScope:
    """A superuser sees the whole platform; a county's administrator, their county."""
    if not may_see_engine(user):
        raise PermissionDenied(_("Only system administrators can see this page"))
    if user.is_superuser:
        return EngineScope(county=None)
    staff = staff_of(user)
    assert staff is not None  # may_see_engine: an administrator's role
    return EngineScope(county=staff.county)


def may_deploy_processes(user: Any) -> bool:
    """Upload a new version of a process: it changes the path of every county's new cases,
    so the platform's administrators (superusers) only."""
    return bool(user.is_authenticated and user.is_superuser)


def may_see_process_load(user: Any) -> bool:
    """Where cases pile up on a process's diagram: a county's coordinators and administrators
    (their county), and the platform's administrators (superusers: every county)."""
    return bool(user.is_authenticated and user.is_superuser) or has_role(user, PROCESS_LOAD_ROLES)


def process_load_county(user: Any) -> Division | None:
    """The county whose waiting work the user may see on a process diagram (None: all)."""
    if not may_see_process_load(user):
        raise PermissionDenied(
            _("Only the joint-conference office and system administrators can see this page")
        )
    if user.is_superuser:
        return None
    staff = staff_of(user)
    assert staff is not None  # may_see_process_load: a role of PROCESS_LOAD_ROLES
    return staff.county


def get_incident_for_user(user: Any, pk: int) -> Incident:
    """An incident of the user's scope (404 outside it)."""
    incident = engine_scope(user).incidents().select_related("instance").filter(pk=pk).first()
    if incident is None:
        raise Http404("incident not found")
    return incident


def require_role(roles: frozenset[Staff.Role], message: StrOrPromise) -> Callable[[View], View]:
    """Refuse (403, with `message`) a signed-in user whose role is not among `roles`.

    Put it under `@login_required`, which sends a visitor to the login page first. Pass
    `message` as `gettext_lazy(...)`: it is translated when a refusal happens, in the user's
    language.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            staff = staff_of(request.user)
            if staff is None:
                raise PermissionDenied(str(NO_ROLE))
            if staff.role not in roles:
                raise PermissionDenied(str(message))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_engine_admin(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_see_engine(request.user):
            raise PermissionDenied(_("Only system administrators can see this page"))
        return view(request, *args, **kwargs)

    return wrapped


def scope_code(staff: Staff) -> str:
    """The candidate-group code a user's tasks carry: their agency, township or county."""
    if staff.role == Role.AGENCY_OFFICER and staff.agency is not None:
        return staff.agency.code
    if staff.role == Role.COORDINATOR:
        return staff.county.code
    return staff.division.code


def can_act(user: Any, task: HumanTask) -> bool:
    staff = staff_of(user)
    if staff is None or task.state != HumanTask.State.OPEN:
        return False
    return LANE_ROLES.get(task.lane) == staff.role and task.candidate_group == scope_code(staff)


def may_see_agency_figures(user: Any) -> bool:
    """The agency's own figures and late work: its leader in charge (分管领导)."""
    staff = staff_of(user)
    return (
        staff is not None
        and staff.role == Role.AGENCY_OFFICER
        and staff.is_agency_leader
        and staff.agency_id is not None
    )


def may_reassign(user: Any, referral: Referral) -> bool:
    """改派 within the agency: the leader in charge of the referral's own agency."""
    staff = staff_of(user)
    return (
        may_see_agency_figures(user)
        and staff is not None
        and (staff.agency_id == referral.agency_id)
    )


def led_agency(user: Any) -> Agency:
    """The agency whose leader in charge the user is (403 for anyone else)."""
    if not may_see_agency_figures(user):
        raise PermissionDenied(_("Only an agency's leader in charge can see its figures"))
    staff = staff_of(user)
    assert staff is not None and staff.agency is not None
    return staff.agency


def can_supervise(user: Any) -> bool:
    """Issue a 督办: the joint-conference office."""
    return has_role(user, SUPERVISE_ROLES)


def can_answer_notice(user: Any, referral: Referral) -> bool:
    """Answer a 督办 (reason and promised date): an officer of the referral's own agency."""
    staff = staff_of(user)
    return (
        staff is not None
        and staff.role == Role.AGENCY_OFFICER
        and staff.agency_id == referral.agency_id
    )


def administered_county(user: Any) -> Division:
    """The county a system administrator administers (their own: every row they may change
    is looked up within it)."""
    staff = staff_of(user)
    if staff is None or staff.role not in ADMINISTRATION_ROLES:
        raise PermissionDenied(_("Only the county's system administrators can do this"))
    return staff.county


def may_edit_catalogue(user: Any) -> bool:
    """The item catalogue (救助事项清单) is the province's, shared by every county: the
    platform's administrators (superusers) change it; county administrators read it."""
    return bool(getattr(user, "is_superuser", False))


def in_county(county: Division) -> Q:
    """Staff rows whose scope lies in `county` (the county itself, a township, a village)."""
    return Q(division=county) | Q(division__parent=county) | Q(division__parent__parent=county)


def may_see_settings_changes(user: Any) -> bool:
    """Audit events without a case (calendar, time-limit rules) in the audit log."""
    staff = staff_of(user)
    return staff is not None and staff.role in SETTINGS_AUDIT_ROLES


def may_see_personal_data(user: Any, referrals: Iterable[Referral] = ()) -> bool:
    """Full ID numbers and incomes, else masked: one rule for the case page and the referral
    page, so a number is never shown in full on one and masked on the other.

    The window and village staff who register the households of their scope see them in full
    on every page of those cases. An agency officer sees them while one of `referrals` (the
    referral on its page; the agency's referrals on the case page) is theirs to work, to
    handle it; once the work is done, masked again. Everyone else: masked.
    """
    staff = staff_of(user)
    if staff is None:
        return False
    if staff.sees_personal_data:
        return True
    return any(r.current_task is not None and can_act(user, r.current_task) for r in referrals)


def hears_about_calendar_gaps(user: Any) -> bool:
    return has_role(user, CALENDAR_ROLES)


@dataclass(frozen=True)
class IntakeScope:
    """Where a user registers applications: their township, and for a village assistant
    only their own village, filed on the household's behalf."""

    township: Division
    village: Division | None


def intake_scope(user: Any) -> IntakeScope:
    staff = staff_of(user)
    assert staff is not None and staff.role in INTAKE_ROLES  # the view's @require_role
    if staff.role == Role.VILLAGE_ASSISTANT:
        assert staff.division.parent is not None
        return IntakeScope(township=staff.division.parent, village=staff.division)
    return IntakeScope(township=staff.division, village=None)


# Objects, checked against the user's scope (404 outside it).


def visible_households(user: Any) -> HouseholdQuerySet:
    """The households a user may find and open: a window's township, an assistant's village."""
    staff = staff_of(user)
    if staff is None or staff.role not in HOUSEHOLD_ROLES:
        return Household.objects.none()
    if staff.role == Role.VILLAGE_ASSISTANT:
        return Household.objects.filter(village=staff.division)
    # The township's villages by id (a small list), so a township's households are read from
    # their village index rather than by joining every household to its village.
    villages = list(Division.objects.filter(parent=staff.division).values_list("pk", flat=True))
    return Household.objects.filter(village__in=villages)


def may_open_household(user: Any, household: Household) -> bool:
    """Whether `household` (with its village read) is among `visible_households(user)`, by
    the same rule, without a query: an assistant's own village, a window's township's."""
    staff = staff_of(user)
    if staff is None or staff.role not in HOUSEHOLD_ROLES:
        return False
    if staff.role == Role.VILLAGE_ASSISTANT:
        return household.village_id == staff.division_id
    return household.village.parent_id == staff.division_id


def search_villages(user: Any) -> list[int]:
    """The villages whose households a user's search may reach at most: their village, their
    township's villages, or their county's. Which of those households and cases they may
    open is then decided by `visible_households` and `Case.objects.visible_to` (an agency
    sees only the cases referred to it)."""
    staff = staff_of(user)
    if staff is None or staff.role not in SEARCH_ROLES:
        return []
    if staff.role == Role.VILLAGE_ASSISTANT:
        return [staff.division_id]
    if staff.role == Role.WINDOW:
        township = Q(parent=staff.division)
    else:
        township = Q(parent__parent=staff.county)
    villages = Division.objects.filter(township, level=Division.Level.VILLAGE)
    return list(villages.values_list("pk", flat=True))


def visible_window_tasks(user: Any) -> QuerySet[HumanTask]:
    """The window's open steps (受理审查, 分办转办, 告知, …) of the townships a coordinator or
    supervisor answers for: their county's. Read by township code from the open-task index,
    never through the cases."""
    staff = staff_of(user)
    if staff is None or staff.role not in BOARD_ROLES:
        return HumanTask.objects.none()
    townships = Division.objects.filter(parent=staff.county, level=Division.Level.TOWNSHIP)
    return HumanTask.objects.filter(
        subject_type=SUBJECT_CASE,
        lane="window",
        state=HumanTask.State.OPEN,
        candidate_group__in=list(townships.values_list("code", flat=True)),
    )


@dataclass(frozen=True)
class HouseholdRights:
    """What the user may do with a household of the registry."""

    see_personal_data: bool  # full ID numbers and income, else masked
    change: bool  # update its members, income and circumstances
    apply: bool  # register a new application for it


def access_household(user: Any, pk: int) -> tuple[Household, HouseholdRights]:
    household = visible_households(user).select_related("village__parent").filter(pk=pk).first()
    if household is None:
        raise Http404("household not found")
    return household, HouseholdRights(
        see_personal_data=may_see_personal_data(user),
        change=has_role(user, HOUSEHOLD_ROLES),
        apply=has_role(user, INTAKE_ROLES),
    )


def get_member_for_user(user: Any, pk: int) -> Member:
    """A member of a household the user may open (404 otherwise)."""
    member = (
        Member.objects.filter(household__in=visible_households(user))
        .select_related("household__village__parent")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404("member not found")
    return member


def can_record_consent(user: Any, case: Case) -> bool:
    """Record the applicant's consent to share information, given after registration: the
    window (or the village assistant who filed it) of a case they can see, while it is open
    and not yet referred (once referred, the consent it needed is on record)."""
    return (
        has_role(user, INTAKE_ROLES)
        and case.is_open
        and not case.consent_to_share
        and Case.objects.visible_to(user).filter(pk=case.pk).exists()
        and not case.referrals.exists()
    )


def get_case_for_user(user: Any, pk: int) -> Case:
    case = (
        Case.objects.visible_to(user)
        # What the case page shows of them: read with the case, not one by one from the page.
        .select_related(
            "household__village",
            "township__parent",
            "applicant",
            "first_contact__staff",
            "consent_recorded_by",
        )
        .filter(pk=pk)
        .order_by()  # one row: not sorted by the cases' order (first() takes it by pk)
        .first()
    )
    if case is None:
        raise Http404("case not found")
    return case


def get_referral_for_user(user: Any, pk: int) -> Referral:
    referral = (
        Referral.objects.visible_to(user)
        .select_related(
            "case__township__parent",
            "case__household",
            "agency",
            "item",
            "current_task",
            "officer__staff",
        )
        .filter(pk=pk)
        .order_by()  # one row: not joined to its case to be sorted (first() takes it by pk)
        .first()
    )
    if referral is None:
        raise Http404("referral not found")
    return referral


def get_task_to_work(
    user: Any, task_id: Any, *, with_referral: Callable[[HumanTask], bool] | None = None
) -> tuple[HumanTask, Case, Referral | None]:
    """A task of a case the user can see, with that case as its form needs it (the county's
    agencies to choose from), in the task POST's two reads. An open or closed task; 404
    outside the user's scope; acting is checked by can_act.

    Where `with_referral(task)` says the form needs the task's referral (its item), that
    referral is read instead of the case, with its case, item and agency: still two reads.
    The referral is None otherwise, or when the task names none of the case's."""
    task = HumanTask.objects.filter(task_id=task_id).first()
    if task is None:
        raise Http404("task not found")
    rid = task.properties.get("referralId")
    if with_referral is not None and str(rid).isdigit() and with_referral(task):
        visible = Case.objects.visible_to(user).filter(pk=int(task.subject_id)).values("pk")
        referral = (
            Referral.objects.select_related("case__township__parent", "item", "agency")
            .filter(pk=int(rid), case__in=visible)
            .first()
        )
        if referral is not None:
            return task, referral.case, referral
    case = (
        Case.objects.visible_to(user)
        .select_related("township__parent")
        .filter(pk=int(task.subject_id))
        .first()
    )
    if case is None:
        raise Http404("task not found")
    return task, case, None


def get_notice_to_answer(user: Any, pk: int) -> SupervisionNotice:
    """A 督办 the user may answer: 404 outside their scope, 403 if it is not their agency's."""
    notice = SupervisionNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404("notice not found")
    notice.referral = get_referral_for_user(user, notice.referral_id)
    if not can_answer_notice(user, notice.referral):
        raise PermissionDenied(
            _("Only the agency handling the referral can answer its supervision notices")
        )
    return notice


def get_notification_for_user(user: Any, pk: int) -> Notification:
    """One of the user's own notifications: anyone else's is "not found"."""
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise Http404("notification not found")
    return notification


@dataclass(frozen=True)
class ReferralRights:
    """What the user may do on a referral's page."""

    work_task: bool  # the referral's open task is theirs to work
    see_personal_data: bool
    supervise: bool  # issue a 督办 (while the referral is open)
    answer_notices: bool


def access_referral(user: Any, pk: int) -> tuple[Referral, ReferralRights]:
    referral = get_referral_for_user(user, pk)
    task = referral.current_task
    return referral, ReferralRights(
        work_task=task is not None and can_act(user, task),
        see_personal_data=may_see_personal_data(user, [referral]),
        supervise=can_supervise(user) and referral.is_open,
        answer_notices=can_answer_notice(user, referral),
    )


@dataclass(frozen=True)
class CaseView:
    """A case as the user may read it: an agency officer sees their agency's part only."""

    referrals: ReferralQuerySet
    steps: QuerySet[HumanTask]
    timeline: AuditEventQuerySet
    see_personal_data: bool


def visible_case_items(user: Any, case: Case) -> Any:
    """The requested items of a case the user may read: an agency sees the items referred to
    it, not what the household asked of other agencies."""
    items = case.items.select_related("item")
    staff = staff_of(user)
    if staff is not None and staff.role == Role.AGENCY_OFFICER:
        referred = Referral.objects.visible_to(user).filter(case=case)
        items = items.filter(item__in=referred.values("item_id"))
    return items


def may_keep_materials(user: Any, case: Case) -> bool:
    """Tick materials received and attach scans: the window and village staff of the case's
    scope (the case was looked up within it), while it is open."""
    return has_role(user, INTAKE_ROLES) and case.is_open


def requested_items(user: Any, case: Case) -> tuple[list[Requested], list[Requested]]:
    """A case's requested items read once (cases.materials.requested), and of them those the
    user may read, by the rule of `visible_case_items`: an agency officer the items referred
    to it (marked in the same statement)."""
    staff = staff_of(user)
    if staff is None or staff.role != Role.AGENCY_OFFICER:
        items = requested(case.pk)
        return items, items
    items = requested(case.pk, Referral.objects.visible_to(user).order_by())
    return items, [row for row in items if row.referred]


def visible_materials(
    user: Any, case: Case, lines: list[Any], visible: list[Requested] | None = None
) -> list[Any]:
    """The checklist lines (cases.materials.Line) the user may read: an agency officer those of
    the items referred to their agency, as with the case's items; everyone else who may see the
    case, all of them. `visible`: the requested items `requested_items` left the user, when
    the page read them already."""
    staff = staff_of(user)
    if staff is None or staff.role != Role.AGENCY_OFFICER:
        return lines
    if visible is None:
        names = {str(row.item.name) for row in visible_case_items(user, case)}
    else:
        names = {row.name for row in visible}
    return [line for line in lines if names & set(line.items)]


def access_case(user: Any, pk: int) -> tuple[Case, CaseView]:
    case = get_case_for_user(user, pk)
    staff = staff_of(user)
    # In their order (the case's, then by id): by id alone for one case, not joined to it.
    referrals = case.referrals.select_related("agency", "item", "current_task").order_by("pk")
    steps = HumanTask.objects.filter(subject_type=SUBJECT_CASE, subject_id=str(case.pk))
    timeline = AuditEvent.objects.for_case(case.pk)
    if staff is not None and staff.role == Role.AGENCY_OFFICER:
        # Their agency's referrals (including ones it transferred on), its own steps, and
        # the history of those referrals only: not other agencies' work on the case.
        referrals = referrals.filter(pk__in=Referral.objects.visible_to(user))
        assert staff.agency is not None
        steps = steps.filter(candidate_group=staff.agency.code)
        timeline = timeline.filter(referral__in=referrals)
    return case, CaseView(
        referrals=referrals,
        steps=steps.select_related("completed_by__staff").order_by("created_at", "id"),
        timeline=timeline.select_related("actor__staff", "referral__item").order_by("at", "pk"),
        # The same referrals the page lists (evaluated once, here, with their open tasks).
        see_personal_data=may_see_personal_data(user, referrals),
    )
