"""The office's edits of a meeting's agenda and record: topics, decisions, attendance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onedoor.lib.http import AuthenticatedRequest

from . import agenda, decisions, services
from .access import (
    get_decision_for_user,
    get_meeting_for_user,
    get_topic_for_user,
)
from .forms import (
    AttendanceForm,
    DecisionForm,
    FreeTopicForm,
    NoteForm,
)
from .views import require_office, run_action, submit_form


@login_required
@require_POST
def add_topic(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting, rights = get_meeting_for_user(request.user, pk)
    require_office(rights)
    key = request.POST.get("key", "")
    run_action(
        request, lambda: agenda.add_topic(meeting, key, actor=request.user), _("Topic added")
    )
    return redirect("meetings:meeting", meeting.pk)


@login_required
@require_POST
def add_free_topic(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting, rights = get_meeting_for_user(request.user, pk)
    require_office(rights)
    form = FreeTopicForm(request.POST, county=meeting.conference.county)
    submit_form(
        request,
        form,
        lambda data: agenda.add_free_topic(
            meeting,
            actor=request.user,
            title=data["title"],
            reason=data["reason"],
            units=list(data["units"]),
        ),
        _("Topic added"),
    )
    return redirect("meetings:meeting", meeting.pk)


@login_required
@require_POST
def change_topic(request: AuthenticatedRequest, pk: int, change: str) -> HttpResponse:
    topic, rights = get_topic_for_user(request.user, pk)
    require_office(rights)
    if change == "remove":
        run_action(
            request, lambda: agenda.remove_topic(topic, actor=request.user), _("Topic removed")
        )
    elif change in {"up", "down"}:
        run_action(
            request,
            lambda: agenda.move_topic(topic, actor=request.user, up=change == "up"),
            _("Agenda reordered"),
        )
    elif change == "note":
        form = NoteForm(request.POST)
        if form.is_valid():
            run_action(
                request,
                lambda: services.record_topic_note(
                    topic, actor=request.user, note=form.cleaned_data["note"]
                ),
                _("Saved"),
            )
    else:
        raise Http404("no such change")
    return redirect("meetings:meeting", topic.meeting_id)


@login_required
@require_POST
def add_decision(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topic, rights = get_topic_for_user(request.user, pk)
    require_office(rights)
    form = DecisionForm(request.POST, county=topic.meeting.conference.county)
    submit_form(
        request,
        form,
        lambda data: decisions.add_decision(
            topic,
            actor=request.user,
            kind=data["kind"],
            text=data["text"],
            lead=data["lead"],
            co_units=list(data["co_units"]),
            deadline_days=data["deadline_days"],
            item=data["item"],
        ),
        _("Decision recorded"),
    )
    return redirect("meetings:meeting", topic.meeting_id)


@login_required
@require_POST
def remove_decision(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    decision, rights = get_decision_for_user(request.user, pk)
    require_office(rights)
    run_action(
        request, lambda: decisions.remove_decision(decision, actor=request.user), _("Removed")
    )
    return redirect("meetings:meeting", decision.meeting_id)


@login_required
@require_POST
def attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting, rights = get_meeting_for_user(request.user, pk)
    require_office(rights)
    form = AttendanceForm(request.POST, county=meeting.conference.county)
    submit_form(
        request,
        form,
        lambda data: services.record_attendance(
            meeting,
            data["agency"],
            actor=request.user,
            status=data["status"],
            person=data["person"],
            reason=data["reason"],
        ),
        _("Saved"),
    )
    return redirect("meetings:meeting", meeting.pk)
