"""Where cases pile up: each process's diagram with the open tasks on each step, and the list
of those tasks, for the county's coordinators and administrators (supervision.piles)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from onedoor.cases.access import LANE_ROLES, process_load_county
from onedoor.cases.models import SUBJECT_CASE, Case
from onedoor.directory.models import Agency, Division
from workflows.models import HumanTask, ProcessDefinition

from .forms import ProcessLoadForm
from .piles import LoadFilters, WaitingDays, open_tasks, scope_groups, step_loads

TASK_PAGE = 50


def _latest(process_id: str) -> ProcessDefinition:
    definition = (
        ProcessDefinition.objects.filter(process_id=process_id).order_by("-version").first()
    )
    if definition is None:
        raise Http404("process not deployed")
    return definition


def _filters(request: HttpRequest, county: Division | None) -> tuple[ProcessLoadForm, LoadFilters]:
    townships = Division.objects.filter(level=Division.Level.TOWNSHIP).order_by("code")
    agencies = Agency.objects.order_by("code")
    if county is not None:
        townships = townships.filter(parent=county)
        agencies = agencies.filter(county=county)
    form = ProcessLoadForm(
        request.GET or None,
        townships=list(townships.values_list("code", "name")),
        agencies=list(agencies.values_list("code", "name")),
    )
    if not form.is_valid():
        return form, LoadFilters()
    data = form.cleaned_data
    return form, LoadFilters(
        township=townships.filter(code=data["township"]).first() if data["township"] else None,
        agency=agencies.filter(code=data["agency"]).first() if data["agency"] else None,
        start=data["start"],
        end=data["end"],
    )


@login_required
@require_GET
def processes(request: HttpRequest) -> HttpResponse:
    """The deployed processes, each with its open and overdue tasks in the user's scope."""
    county = process_load_county(request.user)
    now = timezone.now()
    tasks = HumanTask.objects.filter(state=HumanTask.State.OPEN)
    if county is not None:
        tasks = tasks.filter(candidate_group__in=scope_groups(county))
    totals: dict[str, dict[str, int]] = {
        row["process_id"]: {"open": row["open"], "overdue": row["overdue"]}
        for row in tasks.order_by()
        .values("process_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    }
    latest: dict[str, ProcessDefinition] = {}
    for definition in ProcessDefinition.objects.order_by("process_id", "-version").defer(
        "source", "dependencies"
    ):
        latest.setdefault(definition.process_id, definition)
    rows = [
        {"definition": d, **totals.get(pid, {"open": 0, "overdue": 0})} for pid, d in latest.items()
    ]
    return render(request, "supervision/processes.html", {"rows": rows, "county": county})


@login_required
@require_GET
def process_load(request: HttpRequest, process_id: str) -> HttpResponse:
    """One process's diagram (its newest version) with the open tasks on each step."""
    county = process_load_county(request.user)
    definition = _latest(process_id)
    form, filters = _filters(request, county)
    loads = step_loads(process_id, county, filters)
    query = filters.query()
    return render(
        request,
        "supervision/process_load.html",
        {
            "definition": definition,
            "county": county,
            "form": form,
            "loads": loads,
            "total_open": sum(s.open for s in loads),
            "total_overdue": sum(s.overdue for s in loads),
            "query": urlencode(query),
            "load_json": {
                "elements": {s.bpmn_id: s.as_json() for s in loads},
                "tasks": reverse("supervision:process_tasks", args=[process_id]),
                "query": query,
                "lanes": {lane: str(role.label) for lane, role in LANE_ROLES.items()},
            },
        },
    )


@login_required
@require_GET
def process_tasks(request: HttpRequest, process_id: str) -> HttpResponse:
    """The open tasks behind one count: a step's (or every step's), overdue ones only if asked."""
    county = process_load_county(request.user)
    definition = _latest(process_id)
    form, filters = _filters(request, county)
    now = timezone.now()
    tasks = open_tasks(process_id, county, filters)
    step = request.GET.get("step", "")[:200]
    if step:
        tasks = tasks.filter(bpmn_id=step)
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        tasks = tasks.filter(due_at__lt=now)
    page = Paginator(tasks.order_by("created_at", "pk"), TASK_PAGE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    case_ids = [int(t.subject_id) for t in rows if t.subject_type == SUBJECT_CASE]
    cases = Case.objects.visible_to(request.user).in_bulk(case_ids) if case_ids else {}
    codes = {t.candidate_group for t in rows}
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    names.update(Agency.objects.filter(code__in=codes).values_list("code", "name"))
    waiting = WaitingDays(county, timezone.localdate(now))
    step_name = next((t.name for t in rows), "") or step
    return render(
        request,
        "supervision/process_tasks.html",
        {
            "definition": definition,
            "form": form,
            "step": step,
            "step_name": step_name,
            "overdue": overdue,
            "page": page,
            "rows": [
                {
                    "task": t,
                    "case": cases.get(int(t.subject_id)) if t.subject_id.isdigit() else None,
                    "who": names.get(t.candidate_group, t.candidate_group),
                    "days": waiting(t.created_at),
                    "late": t.due_at is not None and t.due_at < now,
                }
                for t in rows
            ],
            "query": urlencode(
                {
                    **filters.query(),
                    **({"step": step} if step else {}),
                    **({"overdue": "1"} if overdue else {}),
                }
            ),
            "filters_query": urlencode(filters.query()),
        },
    )


@login_required
@require_GET
def definition_diagram(request: HttpRequest, pk: int) -> HttpResponse:
    """The BPMN document of one deployed version: immutable, so cached by its hash."""
    process_load_county(request.user)
    definition = ProcessDefinition.objects.filter(pk=pk).first()
    if definition is None:
        raise Http404("definition not found")
    etag = f'"{definition.content_hash}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(definition.source, content_type="application/xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=86400"
    # Opened directly, a BPMN file is an XML document: let nothing in it run.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Content-Disposition"] = f'inline; filename="{definition.filename}"'
    return response
