"""Who may act on which task, and fetch which object: one place decides."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from onedoor.directory.models import Staff
from workflows.models import HumanTask

from .models import Case, Referral

# The BPMN lane a task stands in names the role that works it.
LANE_ROLES = {
    "window": Staff.Role.WINDOW,
    "agency": Staff.Role.AGENCY_OFFICER,
    "coordinator": Staff.Role.COORDINATOR,
}


def staff_of(user: Any) -> Staff | None:
    return getattr(user, "staff", None) if user.is_authenticated else None


def scope_code(staff: Staff) -> str:
    """The candidate-group code a user's tasks carry: their agency, township or county."""
    if staff.role == Staff.Role.AGENCY_OFFICER and staff.agency is not None:
        return staff.agency.code
    if staff.role == Staff.Role.COORDINATOR:
        return staff.county.code
    return staff.division.code


def can_act(user: Any, task: HumanTask) -> bool:
    staff = staff_of(user)
    if staff is None or task.state != HumanTask.State.OPEN:
        return False
    return LANE_ROLES.get(task.lane) == staff.role and task.candidate_group == scope_code(staff)


def get_case_for_user(user: Any, pk: int) -> Case:
    case = (
        Case.objects.visible_to(user)
        .select_related("household__village", "township")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404("case not found")
    return case


def get_referral_for_user(user: Any, pk: int) -> Referral:
    referral = (
        Referral.objects.visible_to(user)
        .select_related("case__township", "agency", "item")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404("referral not found")
    return referral


def get_task_for_user(user: Any, task_id: Any) -> HumanTask:
    """An open or closed task of a case the user can see (acting is checked by can_act)."""
    task = HumanTask.objects.filter(task_id=task_id).first()
    if task is None or not Case.objects.visible_to(user).filter(pk=int(task.subject_id)).exists():
        raise Http404("task not found")
    return task
