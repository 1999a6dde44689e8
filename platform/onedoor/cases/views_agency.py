"""Agency pages: the inbox and the referral page; the coordinator's board and 督办."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onedoor.directory.models import Agency, Division, Staff

from . import clock, services
from .access import can_act, get_referral_for_user, staff_of
from .forms import SupervisionAnswerForm, SupervisionForm, form_for
from .models import Referral, SupervisionNotice

DUE_SOON = timedelta(days=2)


INBOX_PAGE = 50
BOARD_PAGE = 50
# The inbox's views of the agency's open referrals (the `show` parameter).
INBOX_VIEWS = ("all", "overdue", "soon", "unanswered")


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role != Staff.Role.AGENCY_OFFICER:
        raise PermissionDenied(_("The inbox is for agency officers only"))
    now = timezone.now()
    soon = now + DUE_SOON
    open_referrals = Referral.objects.filter(agency=staff.agency, current_task__isnull=False)
    unanswered = Exists(
        SupervisionNotice.objects.filter(referral=OuterRef("pk"), answered_at__isnull=True)
    )
    views = {
        "all": Q(),
        "overdue": Q(due_at__lt=now),
        "soon": Q(due_at__gte=now, due_at__lt=soon),
        "unanswered": Q(unanswered),
    }
    # One statement counts every view (the tabs), read from the open-referral index.
    counts = open_referrals.aggregate(
        **{name: Count("id", filter=condition) for name, condition in views.items()}
    )
    show = request.GET.get("show", "all")
    if show not in views:
        show = "all"
    rows = (
        open_referrals.filter(views[show])
        .select_related("case__township", "case__applicant", "item", "current_task")
        .with_notice_counts()
        .order_by("due_at", "referred_at", "pk")
    )
    paginator = Paginator(rows, INBOX_PAGE)
    paginator.count = counts[show]  # already counted above
    return render(
        request,
        "cases/inbox.html",
        {
            "page": paginator.get_page(request.GET.get("page")),
            "counts": counts,
            "show": show,
            "now": now,
            "soon": soon,
            "agency": staff.agency,
        },
    )


@login_required
@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    task = referral.current_task
    form = (
        form_for(task, referral.case) if task is not None and can_act(request.user, task) else None
    )
    staff = staff_of(request.user)
    # The referral's own agency answers 督办 (reason and promised date), once per notice.
    may_answer = (
        staff is not None
        and staff.role == Staff.Role.AGENCY_OFFICER
        and staff.agency_id == referral.agency_id
    )
    return render(
        request,
        "cases/referral.html",
        {
            "referral": referral,
            "case": referral.case,
            "task": task,
            "form": form,
            "members": referral.case.household.members.all(),
            # The officer handling it needs the household's details; others see them masked.
            "show_personal": form is not None,
            "supervision_form": SupervisionForm(
                initial={"notices_seen": referral.supervision_notices.count()}
            )
            if staff is not None and staff.role == Staff.Role.COORDINATOR and referral.is_open
            else None,
            "events": referral.audit_events.select_related("actor").order_by("at", "pk"),
            "notices": referral.supervision_notices.select_related("issued_by", "answered_by"),
            "answer_form": SupervisionAnswerForm() if may_answer else None,
            "clock_changes": referral.clock_changes.select_related("requested_by", "decided_by"),
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role not in {Staff.Role.COORDINATOR, Staff.Role.SUPERVISOR}:
        raise PermissionDenied(
            _("The supervision board is for the joint-conference office and supervisors only")
        )
    now = timezone.now()
    # A coordinator's and supervisor's scope is their county: its open referrals are read
    # by township from their partial index (Referral.township), never through the cases.
    open_referrals = Referral.objects.visible_to(request.user).filter(current_task__isnull=False)
    late = Q(due_at__lt=now)
    by_agency = (
        open_referrals.values("agency__name", "agency__code")
        .annotate(open=Count("id"), overdue=Count("id", filter=late))
        .order_by("-overdue", "agency__code")
    )
    by_township = (
        open_referrals.values("township__name", "township__code")
        .annotate(open=Count("id"), overdue=Count("id", filter=late))
        .order_by("-overdue", "township__name")
    )
    # The overdue list, oldest first, a page at a time; a click on an agency or a township
    # in the tables above narrows it.
    overdue = open_referrals.filter(late)
    narrowed = ""
    if agency := request.GET.get("agency", ""):
        overdue = overdue.filter(agency__code=agency)
        narrowed = (
            Agency.objects.filter(code=agency).values_list("name", flat=True).first() or agency
        )
    elif township := request.GET.get("township", ""):
        overdue = overdue.filter(township__code=township)
        narrowed = (
            Division.objects.filter(code=township).values_list("name", flat=True).first()
            or township
        )
    overdue = (
        overdue.select_related("case", "township", "agency", "item")
        .with_notice_counts()
        .order_by("due_at", "pk")
    )
    extensions = (
        open_referrals.filter(current_task__bpmn_id="approve_extension")
        .select_related("case", "agency", "item")
        .prefetch_related("clock_changes")
        .order_by("referred_at")
    )
    broken = (
        Referral.objects.visible_to(request.user)
        .promise_broken()
        .select_related("case", "agency", "item")
        .order_by("due_at")
    )
    return render(
        request,
        "cases/board.html",
        {
            "by_agency": by_agency,
            "by_township": by_township,
            "overdue": Paginator(overdue, BOARD_PAGE).get_page(request.GET.get("page")),
            "narrowed": narrowed,
            "extensions": extensions,
            "broken": broken,
            "now": now,
            "can_supervise": staff.role == Staff.Role.COORDINATOR,
            "form": SupervisionForm(),
        },
    )


@login_required
@require_POST
def supervise(request: HttpRequest, pk: int) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role != Staff.Role.COORDINATOR:
        raise PermissionDenied(_("Only the joint-conference office can issue supervision notices"))
    referral = get_referral_for_user(request.user, pk)
    form = SupervisionForm(request.POST)
    if form.is_valid():
        try:
            services.issue_supervision_notice(
                referral,
                actor=request.user,
                text=form.cleaned_data["text"],
                notices_seen=form.cleaned_data["notices_seen"],
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Supervision notice sent to %(agency)s") % {"agency": referral.agency}
            )
    elif "text" in form.errors:
        messages.error(request, " ".join([_("Supervision remarks:"), *form.errors["text"]]))
    else:
        messages.error(request, _("The page was out of date; reload it and try again"))
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith("/") and not back.startswith("//") else "cases:board")


@login_required
@require_POST
def answer_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """督办回复: the referral's agency answers with a reason and a promised date."""
    staff = staff_of(request.user)
    notice = SupervisionNotice.objects.select_related("referral").filter(pk=pk).first()
    if notice is None:
        raise Http404("notice not found")
    referral = get_referral_for_user(request.user, notice.referral_id)
    if (
        staff is None
        or staff.role != Staff.Role.AGENCY_OFFICER
        or staff.agency_id != referral.agency_id
    ):
        raise PermissionDenied(
            _("Only the agency handling the referral can answer its supervision notices")
        )
    form = SupervisionAnswerForm(request.POST)
    if form.is_valid():
        try:
            clock.answer_supervision_notice(
                notice,
                actor=request.user,
                answer=form.cleaned_data["answer"],
                promised_date=form.cleaned_data["promised_date"],
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Supervision notice answered"))
    else:
        messages.error(
            request, _("Please give the reason for the delay and the promised completion date")
        )
    return redirect("cases:referral", referral.pk)
