"""After the meeting: follow-ups of decisions, and 提请联席会议研究 from a case or referral."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onedoor.cases.access import get_case_for_user, get_referral_for_user
from onedoor.lib.redirects import safe_next

from . import agenda, decisions, followups
from .access import (
    decisions_for,
    get_decision_for_user,
    require_may_flag,
    require_rights,
)
from .forms import (
    DecisionAnswerForm,
    DecisionSuperviseForm,
    DoneForm,
    FlagForm,
)
from .models import Decision, DecisionNotice
from .views import require_office, run_action, submit_form


@login_required
@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    rights = require_rights(request.user)
    rows = (
        decisions_for(rights)
        .filter(applied_at__isnull=False)
        .select_related("meeting__conference__county", "lead", "case", "done_by")
        .prefetch_related("co_units")
        .order_by("done_at", "due_on", "pk")
    )
    return render(
        request,
        "meetings/follow_ups.html",
        {"rights": rights, "rows": rows, "done_form": DoneForm(), "today": timezone.localdate()},
    )


@login_required
@require_POST
def complete_decision(request: HttpRequest, pk: int) -> HttpResponse:
    decision, rights = get_decision_for_user(request.user, pk)
    if not rights.reports_done(decision):
        raise PermissionDenied(_("Only the lead unit or the office can report it carried out"))
    submit_form(
        request,
        DoneForm(request.POST),
        lambda data: decisions.complete_decision(decision, actor=request.user, note=data["note"]),
        _("Reported carried out"),
    )
    return redirect(safe_next(request, request.POST.get("next"), "meetings:follow_ups"))


@login_required
@require_http_methods(["GET", "POST"])
def flag(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """提请联席会议研究, from the case or referral page."""
    if kind == "referral":
        referral = get_referral_for_user(request.user, pk)
        case = referral.case
        back = reverse("cases:referral", args=[referral.pk])
    elif kind == "case":
        referral = None
        case = get_case_for_user(request.user, pk)
        back = reverse("cases:case", args=[case.pk])
    else:
        raise Http404("nothing to flag")
    require_may_flag(request.user, referral)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        if run_action(
            request,
            lambda: agenda.flag_difficult(
                case, actor=request.user, reason=reason, referral=referral
            ),
            _("Referred to the joint conference; the office has been told"),
        ):
            return redirect(back)
    return render(
        request,
        "meetings/flag.html",
        {"form": form, "case": case, "referral": referral, "back": back},
    )


def _draft_remarks(decision: Decision) -> str:
    """The 督办 remarks drafted from the clock; the office edits them before sending."""
    return _(
        "Decision %(n)s of the %(meeting)s was due on %(due)s and is %(days)s working days "
        "late. Please carry it out within 5 working days and report back."
    ) % {
        "n": decision.number,
        "meeting": decision.meeting,
        "due": decision.due_on.isoformat() if decision.due_on else "",
        "days": followups.days_overdue(decision),
    }


@login_required
@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The follow-up of one decision: its clock, its 督办 and their answers, what to do."""
    decision, rights = get_decision_for_user(request.user, pk)
    notices = list(decision.notices.select_related("issued_by", "answered_by"))
    lead = rights.unit is not None and rights.unit.pk == decision.lead_id
    open_notice = next((n for n in notices if n.answered_at is None), None)
    return render(
        request,
        "meetings/decision.html",
        {
            "decision": decision,
            "rights": rights,
            "notices": notices,
            "days_overdue": followups.days_overdue(decision),
            "lateness": followups.lateness_of(decision),
            "done_form": DoneForm() if rights.reports_done(decision) else None,
            "supervise_form": DecisionSuperviseForm(
                initial={"notices_seen": len(notices), "text": _draft_remarks(decision)},
                lowest=2 if notices else 1,
            )
            if rights.office and decision.is_overdue and decision.applied_at
            else None,
            "open_notice": open_notice,
            "answer_form": DecisionAnswerForm() if lead and open_notice else None,
        },
    )


@login_required
@require_POST
def supervise_decision(request: HttpRequest, pk: int) -> HttpResponse:
    decision, rights = get_decision_for_user(request.user, pk)
    require_office(rights)
    submit_form(
        request,
        DecisionSuperviseForm(request.POST, lowest=followups.lowest_level(decision)),
        lambda data: followups.supervise_decision(
            decision,
            actor=request.user,
            text=data["text"],
            level=data["level"],
            notices_seen=data["notices_seen"],
        ),
        _("Supervision notice sent to the lead unit"),
    )
    return redirect("meetings:decision", pk=decision.pk)


@login_required
@require_POST
def answer_decision_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """督办回复 from the lead unit."""
    notice = DecisionNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404("notice not found")
    decision, rights = get_decision_for_user(request.user, notice.decision_id)
    if rights.unit is None or rights.unit.pk != decision.lead_id:
        raise PermissionDenied(_("Only the lead unit answers the supervision notice"))
    submit_form(
        request,
        DecisionAnswerForm(request.POST),
        lambda data: followups.answer_decision_notice(
            notice, actor=request.user, answer=data["answer"], promised_date=data["promised_date"]
        ),
        _("Answer sent to the joint-conference office"),
    )
    return redirect("meetings:decision", pk=decision.pk)
