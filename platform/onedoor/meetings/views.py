"""Conference pages: membership, meetings and their agenda, dossiers, follow-ups, flags.

Views parse input, call one service, render; who may see or do what is decided in access.py.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onedoor.directory.models import Agency, Staff
from onedoor.lib.http import AuthenticatedRequest
from workflows.errors import EngineError
from workflows.models import HumanTask

from . import dossier, membership, services
from .access import (
    Rights,
    can_work,
    decisions_for,
    get_meeting_for_user,
    get_topic_for_user,
    meetings_for,
    proposals_for,
    require_rights,
    topics_for,
)
from .forms import (
    AgendaForm,
    AttendanceForm,
    ConferenceForm,
    DecideForm,
    DecisionForm,
    FreeTopicForm,
    MinutesForm,
    NoteForm,
    PlanForm,
    UnitForm,
)
from .models import SUBJECT_MEETING, Meeting, MemberUnit, Topic, TopicProposal
from .topics import candidates

FAILURES = (services.ActionError, EngineError)


def _errors(form: Any) -> str:
    return pgettext("error separator", "; ").join(
        f"{form.fields[name].label if name in form.fields else ''} {error}".strip()
        for name, errors in form.errors.items()
        for error in errors
    )


def require_office(rights: Rights) -> None:
    if not rights.office:
        raise PermissionDenied(_("Only the joint-conference office can do this"))


def run_action(request: HttpRequest, action: Any, success: str) -> bool:
    try:
        action()
    except FAILURES as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def submit_form(request: HttpRequest, form: Any, action: Any, success: str) -> bool:
    """Run `action(cleaned_data)` if the form is valid, else say what to correct."""
    if not form.is_valid():
        messages.error(request, _("Please correct: %(errors)s") % {"errors": _errors(form)})
        return False
    data = form.cleaned_data
    return run_action(request, lambda: action(data), success)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    rights = require_rights(request.user)
    meetings = meetings_for(rights).select_related("conference__county")
    return render(
        request,
        "meetings/index.html",
        {
            "rights": rights,
            "meetings": meetings,
            "held_this_year": dossier.held_this_year(rights.conference),
            "plan_form": PlanForm() if rights.office else None,
            "proposals_waiting": proposals_for(rights)
            .filter(state=TopicProposal.State.PENDING)
            .count()
            if rights.office
            else 0,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def members(request: AuthenticatedRequest) -> HttpResponse:
    rights = require_rights(request.user)
    if not rights.sees_all:
        raise PermissionDenied(
            _("Only the office, the convenor and supervisors see the membership")
        )
    conference = rights.conference
    county = conference.county
    form = ConferenceForm(
        request.POST if request.POST.get("form") == "conference" else None,
        instance=conference,
        county=county,
    )
    if request.method == "POST":
        require_office(rights)
        if request.POST.get("form") == "conference":
            submit_form(
                request,
                form,
                lambda data: membership.update_conference(
                    conference,
                    actor=request.user,
                    convenor=data["convenor"],
                    overdue_days=data["overdue_days"],
                    handovers=data["handovers"],
                    on_time_percent=data["on_time_percent"],
                    on_time_period_days=data["on_time_period_days"],
                ),
                _("Saved"),
            )
        else:
            unit_form = UnitForm(request.POST, county=county)
            submit_form(
                request,
                unit_form,
                lambda data: membership.set_member_unit(
                    conference,
                    data["agency"],
                    actor=request.user,
                    liaison=data["liaison"],
                    active=data["active"],
                ),
                _("Saved"),
            )
        return redirect("meetings:members")
    units = {u.agency_id: u for u in MemberUnit.objects.filter(conference=conference)}
    rows = []
    for agency in Agency.objects.filter(county=county).order_by("code"):
        unit = units.get(agency.pk)
        rows.append(
            (
                agency,
                unit,
                UnitForm(
                    initial={
                        "agency": agency.pk,
                        "liaison": unit.liaison_id if unit else None,
                        "active": unit.active if unit else False,
                    },
                    county=county,
                    auto_id=f"id_unit{agency.pk}_%s",
                ),
            )
        )
    office = Staff.objects.filter(role=Staff.Role.COORDINATOR, division=county).select_related(
        "user"
    )
    return render(
        request,
        "meetings/members.html",
        {"rights": rights, "form": form, "rows": rows, "office": office},
    )


@login_required
@require_POST
def plan(request: AuthenticatedRequest) -> HttpResponse:
    rights = require_rights(request.user)
    require_office(rights)
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct: %(errors)s") % {"errors": _errors(form)})
        return redirect("meetings:index")
    data = form.cleaned_data
    try:
        meeting = services.plan_meeting(
            rights.conference,
            actor=request.user,
            kind=data["kind"],
            held_on=data["held_on"],
            place=data["place"],
        )
    except FAILURES as exc:
        messages.error(request, str(exc))
        return redirect("meetings:index")
    messages.success(request, _("Meeting planned: draft its agenda"))
    return redirect("meetings:meeting", meeting.pk)


def _open_tasks(meeting: Meeting) -> list[HumanTask]:
    return list(
        HumanTask.objects.filter(
            subject_type=SUBJECT_MEETING, subject_id=str(meeting.pk), state=HumanTask.State.OPEN
        ).order_by("id")
    )


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, rights = get_meeting_for_user(request.user, pk)
    county = meeting.conference.county
    tasks = _open_tasks(meeting)
    mine = [task for task in tasks if can_work(request.user, task, meeting)]
    at = {task.bpmn_id for task in tasks}
    topics = list(
        topics_for(meeting, rights).prefetch_related(
            "units", "positions__agency", "decisions__lead"
        )
    )
    context: dict[str, Any] = {
        "meeting": meeting,
        "rights": rights,
        "topics": topics,
        "tasks": tasks,
        "mine": mine,
        "drafting": "draft_agenda" in at and rights.office,
        "holding": "hold_meeting" in at and rights.office,
        "decisions": decisions_for(rights).filter(meeting=meeting).select_related("lead"),
        "previous": dossier.previous_decisions(meeting) if rights.sees_all else [],
        "agenda_form": AgendaForm(initial={"positions_due": meeting.positions_due}),
        "decide_form": DecideForm(),
        "minutes_form": MinutesForm(instance=meeting),
    }
    if context["drafting"]:
        context["candidates"] = candidates(meeting.conference)
        context["free_form"] = FreeTopicForm(county=county)
    if context["holding"]:
        recorded = {a.agency_id: a for a in meeting.attendance.all()}
        context["attendance"] = [
            (
                unit.agency,
                recorded.get(unit.agency_id),
                AttendanceForm(
                    initial={"agency": unit.agency_id},
                    county=county,
                    auto_id=f"id_att{unit.agency_id}_%s",
                ),
            )
            for unit in MemberUnit.objects.filter(
                conference=meeting.conference, active=True
            ).select_related("agency")
        ]
        context["decision_form"] = DecisionForm(county=county)
        context["note_form"] = NoteForm()
    else:
        context["attendance_rows"] = meeting.attendance.select_related("agency")
    return render(request, "meetings/meeting.html", context)


@login_required
@require_POST
def perform_task(request: AuthenticatedRequest, step: UUID) -> HttpResponse:
    """Work one open step of a meeting's process: the form is chosen by the step's BPMN id."""
    task = HumanTask.objects.filter(task_id=step, subject_type=SUBJECT_MEETING).first()
    if task is None:
        raise Http404("task not found")
    meeting, _rights = get_meeting_for_user(request.user, int(task.subject_id))
    target = reverse("meetings:meeting", args=[meeting.pk])
    if task.state != HumanTask.State.OPEN:
        who = task.completed_by.get_username() if task.completed_by else _("System")
        messages.error(
            request,
            _("“%(task)s” was already handled by %(who)s; your submission changed nothing")
            % {"task": task.name, "who": who},
        )
        return redirect(target)
    if not can_work(request.user, task, meeting):
        raise PermissionDenied(_("You cannot work on this task"))
    user, post = request.user, request.POST
    done = _("“%(task)s” done") % {"task": task.name}
    if task.bpmn_id == "draft_agenda":
        submit_form(
            request,
            AgendaForm(post),
            lambda data: services.submit_agenda(
                task, meeting, actor=user, positions_due=data["positions_due"]
            ),
            done,
        )
    elif task.bpmn_id == "submit_position":
        texts = {
            int(key.removeprefix("position-")): str(value)
            for key, value in post.items()
            if key.startswith("position-") and key.removeprefix("position-").isdigit()
        }
        run_action(
            request, lambda: services.submit_positions(task, meeting, actor=user, texts=texts), done
        )
    elif task.bpmn_id in {"approve_agenda", "approve_minutes"}:
        decide = (
            services.decide_agenda if task.bpmn_id == "approve_agenda" else services.decide_minutes
        )
        submit_form(
            request,
            DecideForm(post),
            lambda data: decide(
                task, meeting, actor=user, approved=data["approved"], note=data["note"]
            ),
            done,
        )
    elif task.bpmn_id == "hold_meeting":
        run_action(request, lambda: services.finish_meeting(task, meeting, actor=user), done)
    elif task.bpmn_id == "draft_minutes":
        submit_form(
            request,
            MinutesForm(post),
            lambda data: services.submit_minutes(
                task,
                meeting,
                actor=user,
                summary=data["summary"],
                recorder=data["recorder"],
                observers=data["observers"],
                copy_to=data["copy_to"],
            ),
            done,
        )
    else:
        messages.error(request, _("This step has no form here yet"))
    return redirect(target)


@login_required
@require_GET
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic, rights = get_topic_for_user(request.user, pk)
    return render(
        request,
        "meetings/topic.html",
        {"topic": topic, "rights": rights, "dossier": dossier.build(topic, rights)},
    )


def _meeting_for_print(request: HttpRequest, pk: int) -> tuple[Meeting, Rights, list[Topic]]:
    meeting, rights = get_meeting_for_user(request.user, pk)
    return meeting, rights, list(topics_for(meeting, rights))


@login_required
@require_GET
def document(request: HttpRequest, pk: int, name: str, fmt: str) -> HttpResponse:
    """The agenda (议程), the notice (会议通知) and the minutes (会议纪要): print page or .docx."""
    from . import documents

    meeting, rights, topics = _meeting_for_print(request, pk)
    if name not in documents.DOCUMENTS:
        raise Http404("no such document")
    if name == "minutes" and meeting.minutes_issued_at is None and not rights.edits:
        raise Http404("minutes not issued")
    content = documents.content(name, meeting, rights, topics)
    if fmt == "docx":
        data = documents.to_docx(content)
        response = HttpResponse(
            data,
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        filename = f"meeting-{meeting.year}-{meeting.number}-{name}.docx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "meetings/print.html", {"doc": content, "meeting": meeting})
