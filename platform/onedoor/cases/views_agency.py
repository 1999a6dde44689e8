"""Agency pages: the inbox and the referral page; the coordinator's board and 督办."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onedoor.directory.models import Staff

from . import services
from .access import can_act, get_referral_for_user, staff_of
from .forms import SupervisionForm, form_for
from .models import Referral

DUE_SOON = timedelta(days=2)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role != Staff.Role.AGENCY_OFFICER:
        raise PermissionDenied(_("收件箱仅供部门经办人使用"))
    referrals = (
        Referral.objects.filter(agency=staff.agency, current_task__isnull=False)
        .select_related("case__township", "item", "current_task")
        .annotate(notices=Count("supervision_notices"))
        .order_by("due_at", "referred_at")
    )
    return render(
        request,
        "cases/inbox.html",
        {
            "referrals": referrals,
            "now": timezone.now(),
            "soon": timezone.now() + DUE_SOON,
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
            "supervision_form": SupervisionForm()
            if staff is not None and staff.role == Staff.Role.COORDINATOR and referral.is_open
            else None,
            "events": referral.audit_events.select_related("actor").order_by("at", "pk"),
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or staff.role not in {Staff.Role.COORDINATOR, Staff.Role.SUPERVISOR}:
        raise PermissionDenied(_("督办看板仅供联席会议办公室和监督人员使用"))
    now = timezone.now()
    open_referrals = Referral.objects.visible_to(request.user).filter(current_task__isnull=False)
    late = Q(due_at__lt=now)
    by_agency = (
        open_referrals.values("agency__name", "agency__code")
        .annotate(open=Count("id"), overdue=Count("id", filter=late))
        .order_by("-overdue", "agency__code")
    )
    by_township = (
        open_referrals.values("case__township__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=late))
        .order_by("-overdue", "case__township__name")
    )
    overdue = (
        open_referrals.filter(late)
        .select_related("case__township", "agency", "item")
        .annotate(notices=Count("supervision_notices"))
        .order_by("due_at")
    )
    return render(
        request,
        "cases/board.html",
        {
            "by_agency": by_agency,
            "by_township": by_township,
            "overdue": overdue,
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
        raise PermissionDenied(_("只有联席会议办公室可以督办"))
    referral = get_referral_for_user(request.user, pk)
    form = SupervisionForm(request.POST)
    if form.is_valid():
        try:
            services.issue_supervision_notice(
                referral, actor=request.user, text=form.cleaned_data["text"]
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已向%(agency)s发出督办通知") % {"agency": referral.agency})
    else:
        messages.error(request, _("请填写督办意见"))
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith("/") and not back.startswith("//") else "cases:board")
