"""The site's own pages: the start page by role, and the engine overview."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onedoor.cases.access import (
    engine_scope,
    get_incident_for_user,
    may_deploy_processes,
    may_see_engine,
    require_engine_admin,
    staff_of,
)
from onedoor.cases.models import SUBJECT_CASE
from onedoor.directory.models import Staff
from onedoor.lib.http import AuthenticatedRequest
from onedoor.meetings.models import SUBJECT_MEETING
from workflows.errors import EngineError
from workflows.models import HumanTask, Incident, ProcessDefinition, ProcessInstance

from . import services

START_PAGES = {
    Staff.Role.WINDOW: "cases:list",
    Staff.Role.VILLAGE_ASSISTANT: "cases:list",
    Staff.Role.AGENCY_OFFICER: "cases:inbox",
    Staff.Role.COORDINATOR: "cases:board",
    Staff.Role.SUPERVISOR: "cases:board",
    Staff.Role.ADMINISTRATOR: "home:index",
}


@login_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None:
        return redirect("home:index" if may_see_engine(request.user) else "notify:list")
    return redirect(START_PAGES[Staff.Role(staff.role)])


def subject_link(instance: ProcessInstance) -> str:
    """The page of what the process is about (a case, a meeting), or none."""
    if not instance.subject_id.isdigit():
        return ""
    if instance.subject_type == SUBJECT_CASE:
        return reverse("cases:case", args=[int(instance.subject_id)])
    if instance.subject_type == SUBJECT_MEETING:
        return reverse("meetings:meeting", args=[int(instance.subject_id)])
    return ""


@login_required
@require_GET
@require_engine_admin
def index(request: HttpRequest) -> HttpResponse:
    """The engine at a glance, for the user's scope (engine_scope: their county, or the whole
    platform for a superuser): processes, instances, incidents, open work by lane."""
    now = timezone.now()
    scope = engine_scope(request.user)
    instances = scope.instances()
    lanes = (
        scope.tasks()
        .filter(state=HumanTask.State.OPEN)
        .values("lane")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("lane")
    )
    counts = instances.aggregate(
        running=Count("id", filter=Q(state=ProcessInstance.State.RUNNING)),
        completed=Count("id", filter=Q(state=ProcessInstance.State.COMPLETED)),
    )
    open_incidents = list(
        scope.incidents()
        .filter(state=Incident.State.OPEN)
        .select_related("instance__definition")
        .order_by("first_failed_at", "pk")[:200]
    )
    incident_rows: list[dict[str, Any]] = [
        {"incident": incident, "link": subject_link(incident.instance)}
        for incident in open_incidents
    ]
    parked = Incident.objects.filter(instance=OuterRef("pk"), state=Incident.State.OPEN)
    context = {
        "definitions": ProcessDefinition.objects.order_by("process_id", "-version"),
        "scope": scope,
        "running": counts["running"],
        "completed": counts["completed"],
        "incident_count": scope.incidents().filter(state=Incident.State.OPEN).count(),
        "incidents": incident_rows,
        "failing": instances.filter(failure_count__gt=0, state=ProcessInstance.State.RUNNING)
        .exclude(Exists(parked))
        .select_related("definition")
        .defer("serialized")[:200],
        "lanes": lanes,
        "now": now,
        "may_deploy": may_deploy_processes(request.user),
    }
    return render(request, "home/index.html", context)


@login_required
@require_POST
@require_engine_admin
def retry_incident(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Retry an incident of the user's scope: cleared, and its step run at once."""
    incident = get_incident_for_user(request.user, pk)
    try:
        outcome = services.retry_incident(incident, actor=request.user)
    except EngineError as exc:
        messages.error(request, str(exc))
    else:
        if outcome.moved_on:
            messages.success(request, _("Retried: the process has moved on"))
        elif outcome.failed_again:
            messages.error(
                request,
                _("Retried, and it failed again: %(message)s")
                % {"message": outcome.incident.message},
            )
        else:
            messages.success(request, _("Retried: the timer sweeper is running it now"))
    return redirect("home:index")
