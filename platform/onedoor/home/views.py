from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from workflows.models import HumanTask, ProcessDefinition, ProcessInstance


@require_GET
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
        "lanes": lanes,
        "tasks": HumanTask.objects.filter(state=HumanTask.State.OPEN).order_by(
            "due_at", "created_at"
        )[:50],
        "now": now,
    }
    return render(request, "home/index.html", context)
