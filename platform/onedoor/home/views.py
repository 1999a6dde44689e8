"""The site's own pages: the start page by role, and the engine overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from onedoor.cases.access import require_engine_admin, staff_of
from onedoor.directory.models import Staff
from workflows.models import HumanTask, ProcessDefinition, ProcessInstance

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
        return redirect("home:index" if request.user.is_staff else "notify:list")
    return redirect(START_PAGES[Staff.Role(staff.role)])


@login_required
@require_GET
@require_engine_admin
def index(request: HttpRequest) -> HttpResponse:
    """The engine at a glance: deployed processes, instances, open work by lane (projections)."""
    now = timezone.now()
    lanes = (
        HumanTask.objects.filter(state=HumanTask.State.OPEN)
        .values("lane")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("lane")
    )
    context = {
        "definitions": ProcessDefinition.objects.order_by("process_id", "-version"),
        "running": ProcessInstance.objects.filter(state=ProcessInstance.State.RUNNING).count(),
        "completed": ProcessInstance.objects.filter(state=ProcessInstance.State.COMPLETED).count(),
        "failing": ProcessInstance.objects.filter(failure_count__gt=0),
        "lanes": lanes,
        "now": now,
    }
    return render(request, "home/index.html", context)
