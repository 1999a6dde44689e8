"""Start page by role, notifications, the audit log, and the engine overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from notifications.models import Notification

from onedoor.audit.models import AuditEvent
from onedoor.cases.access import staff_of
from onedoor.cases.models import Case
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
        return redirect("home:index" if request.user.is_staff else "home:notifications")
    return redirect(START_PAGES[Staff.Role(staff.role)])


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The engine at a glance: deployed processes, instances, open work by lane (projections)."""
    staff = staff_of(request.user)
    if not request.user.is_staff and (staff is None or staff.role != Staff.Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only system administrators can see this page"))
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


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notices = Notification.objects.filter(recipient=request.user).order_by("-timestamp")
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "home/notifications.html", {"page": page})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def bell(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.filter(recipient=request.user, unread=True).count()
    return render(request, "base.html#bell", {"unread_count": count})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notification.mark_as_read()
    url = (notification.data or {}).get("url") if request.POST.get("follow") else None
    return redirect(url if url and url.startswith("/") else "home:notifications")


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role not in {
        Staff.Role.SUPERVISOR,
        Staff.Role.COORDINATOR,
        Staff.Role.ADMINISTRATOR,
    }:
        raise PermissionDenied(_("The audit log is for supervisors only"))
    scope = Q(case__in=Case.objects.visible_to(request.user))
    if staff.role != Staff.Role.COORDINATOR:
        # Changes to no case (calendar days, time-limit rules) are the platform's settings:
        # supervisors and administrators check them too (?case=none: only those).
        scope |= Q(case__isnull=True)
    events = (
        AuditEvent.objects.filter(scope)
        .select_related("actor", "case", "referral__agency")
        .order_by("-at", "-pk")
    )
    if request.GET.get("case") == "none":
        events = events.filter(case__isnull=True)
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "home/audit.html", {"page": page, "action": action})
