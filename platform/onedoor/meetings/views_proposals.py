"""Topics proposed by member units: the liaison officer proposes, the office answers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import proposals
from .access import liaison_unit, proposals_for, require_rights
from .forms import ProposalAnswerForm, ProposalForm
from .models import TopicProposal
from .views import require_office, submit_form


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    rights = require_rights(request.user)
    unit = liaison_unit(request.user, rights)
    rows = list(
        proposals_for(rights).select_related(
            "agency", "case", "proposed_by__staff", "answered_by__staff"
        )
    )
    # One answer form per pending proposal, its fields' ids its own (a label names its input).
    for p in rows:
        p.answer_form = (
            ProposalAnswerForm(auto_id=f"id_proposal{p.pk}_%s")
            if rights.office and p.state == TopicProposal.State.PENDING
            else None
        )
    return render(
        request,
        "meetings/proposals.html",
        {
            "rights": rights,
            "rows": rows,
            "unit": unit,
            "form": ProposalForm() if unit is not None else None,
        },
    )


@login_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    rights = require_rights(request.user)
    unit = liaison_unit(request.user, rights)
    if unit is None:
        raise PermissionDenied(_("Only the unit's liaison officer proposes topics"))
    submit_form(
        request,
        ProposalForm(request.POST),
        lambda data: proposals.propose_topic(
            unit,
            actor=request.user,
            kind=data["kind"],
            title=data["title"],
            reason=data["reason"],
            case_reference=data["case_reference"],
        ),
        _("Topic proposed; the joint-conference office has been told"),
    )
    return redirect("meetings:proposals")


@login_required
@require_POST
def answer_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    rights = require_rights(request.user)
    proposal = proposals_for(rights).filter(pk=pk).first()
    if proposal is None:
        raise Http404("proposal not found")
    require_office(rights)
    submit_form(
        request,
        ProposalAnswerForm(request.POST),
        lambda data: proposals.answer_proposal(
            proposal, actor=request.user, accept=data["accept"], reason=data["reason"]
        ),
        _("Answer sent to the unit"),
    )
    return redirect("meetings:proposals")
