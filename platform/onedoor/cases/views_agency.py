"""Agency pages: the inbox and the referral page; the coordinator's board and 督办."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from onedoor.directory.models import Agency, Division
from onedoor.lib import fieldhtml, paging
from onedoor.lib.http import AuthenticatedRequest
from onedoor.lib.redirects import safe_next

from . import assignment, clock, materials, records, rows, services, supervision
from .access import (
    BOARD_ROLES,
    INBOX_ROLES,
    SUPERVISE_ROLES,
    access_referral,
    can_supervise,
    get_notice_to_answer,
    get_referral_for_user,
    may_reassign,
    requested_items,
    require_role,
    staff_of,
    visible_materials,
)
from .board import late_window_steps
from .forms import form_for
from .forms_actions import ReassignForm, SupervisionAnswerForm, SupervisionForm
from .models import INBOX_VIEWS, ClockChange, Referral
from .panels import BOARD, INBOX, panels_for, referral_facts
from .returned_input import returned_input

DUE_SOON = timedelta(days=2)


INBOX_PAGE = 50
BOARD_PAGE = 50


@login_required
@require_GET
@require_role(INBOX_ROLES, gettext_lazy("The inbox is for agency officers only"))
def inbox(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None  # @require_role
    now = timezone.now()
    soon = now + DUE_SOON
    mine = Referral.objects.filter(agency=staff.agency)
    counts = mine.inbox_counts(now, soon)
    show = request.GET.get("show", "all")
    if show not in INBOX_VIEWS:
        show = "all"
    paginator = Paginator(mine.inbox(show, now, soon).values(*rows.INBOX_FIELDS), INBOX_PAGE)
    paginator.count = counts[show]  # already counted above
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = rows.inbox_rows(page.object_list, now, staff.county.code)
    return render(
        request,
        "cases/inbox.html",
        {
            "page": page,
            "lines": rows.inbox_html(page.object_list),  # the rows written
            "counts": counts,
            "show": show,
            "now": now,
            "agency": staff.agency,
            "county_code": staff.county.code,  # lateness on the county's calendar
            # Work other apps give the unit (the joint conference's follow-ups).
            "sections": panels_for(INBOX, request.user, now),
        },
    )


@login_required
@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral, rights = access_referral(request.user, pk)
    task = referral.current_task
    # The forms' fields as the template writes them by hand (onedoor/lib/fieldhtml.py).
    form = (
        fieldhtml.fields_of(
            form_for(task, referral.case, returned_input(request, task), referral=referral)
        )
        if task is not None and rights.work_task
        else None
    )
    now = timezone.now()
    # The case's requested items, read once: the checklist, what the user may read of it, and
    # whom the referral's item is for.
    requested, visible = requested_items(request.user, referral.case)
    for_names = next((row.for_names for row in requested if row.item_id == referral.item_id), "")
    return render(
        request,
        "cases/referral.html",
        {
            "referral": referral,
            "case": referral.case,
            "task": task,
            "form": form,
            # Every row the page shows is read here, none from inside the template.
            # Members in their order (by household, then id): by id within the one household.
            "members": list(referral.case.household.members.order_by("pk")),
            "materials": visible_materials(
                request.user, referral.case, materials.checklist(referral.case, requested), visible
            ),
            "for_names": for_names,
            # Lines other apps add to the facts (the joint conference's decision it was made on).
            "facts": referral_facts(referral, request),
            "show_personal": rights.see_personal_data,
            "supervision_form": fieldhtml.fields_of(
                SupervisionForm(
                    lowest=supervision.lowest_level(referral),
                    initial={
                        "notices_seen": referral.supervision_notices.count(),
                        "text": supervision.drafted_remarks(referral, now),
                    },
                )
            )
            if rights.supervise and referral.is_open
            else None,
            "events": records.read(
                referral.audit_events.select_related("actor__staff").order_by("at", "pk"),
                agencies_known={referral.agency.code: referral.agency.name},
                items_known={row.code: row.name for row in requested},
            ),
            "notices": list(
                referral.supervision_notices.select_related(
                    "issued_by__staff", "answered_by__staff"
                )
            ),
            "answer_form": fieldhtml.fields_of(SupervisionAnswerForm())
            if rights.answer_notices
            else None,
            "reassign_form": fieldhtml.fields_of(
                ReassignForm(
                    officers=assignment.officers_of(referral.agency),
                    initial={"officer": referral.officer_id},
                )
            )
            if referral.signed_at and referral.is_open and may_reassign(request.user, referral)
            else None,
            "clock_changes": list(
                referral.clock_changes.select_related("requested_by__staff", "decided_by__staff")
            ),
            # The form marks its task late; the page compares no dates itself.
            "task_overdue": task is not None and task.due_at is not None and task.due_at < now,
            "now": now,
            "county_code": referral.case.township.county.code,
        },
    )


@login_required
@require_GET
@require_role(
    BOARD_ROLES,
    gettext_lazy("The supervision board is for the joint-conference office and supervisors only"),
)
def board(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None  # @require_role
    now = timezone.now()
    # A coordinator's and supervisor's scope is their county: its open referrals are read
    # by township from their partial index (Referral.township), never through the cases.
    in_county = Referral.objects.visible_to(request.user)
    # The overdue list, oldest first, a page at a time; a click on an agency or a township
    # in the tables above narrows it.
    overdue = in_county.overdue(now)
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
    # Rows read as values and their texts made in the view (rows.py), as the inbox's are.
    overdue = overdue.with_notice_counts().order_by("due_at", "pk").values(*rows.BOARD_FIELDS)
    overdue_page = Paginator(overdue, BOARD_PAGE).get_page(request.GET.get("page"))
    # One click on the board sends the 督办 the referral page would draft, at its level.
    overdue_page.object_list = rows.board_rows(overdue_page.object_list, now, staff.county.code)
    # Extension requests oldest first, a page at a time without counting them (lib/paging):
    # a county with hundreds waiting is not one endless table.
    extensions_page = paging.window(
        in_county.awaiting_extension_decision()
        .order_by("referred_at", "pk")
        .values(*rows.LISTED_FIELDS),
        BOARD_PAGE,
        request.GET.get("extensions_page"),
    )
    extensions = rows.listed_rows(extensions_page.object_list)
    rows.pending_changes(
        extensions,
        ClockChange.objects.filter(
            referral_id__in=[r["pk"] for r in extensions], decided_at__isnull=True
        ).only("referral_id", "days", "reason"),
    )
    broken = rows.listed_rows(
        in_county.promise_broken().order_by("due_at").values(*rows.LISTED_FIELDS)
    )
    window = late_window_steps(
        request.user, now, township=request.GET.get("window", ""), county=staff.county.code
    )
    return render(
        request,
        "cases/board.html",
        {
            "by_agency": in_county.by_agency(now),
            "by_township": in_county.by_township(now),
            "overdue": overdue_page,
            "narrowed": narrowed,
            "extensions": extensions,
            "extensions_page": extensions_page,
            "broken": broken,
            "now": now,
            "county_code": staff.county.code,
            "window": window,
            "can_supervise": can_supervise(request.user),
            # The joint conference's figures (registered by meetings).
            "panels": panels_for(BOARD, request.user, now),
        },
    )


@login_required
@require_POST
@require_role(
    SUPERVISE_ROLES,
    gettext_lazy("Only the joint-conference office can issue supervision notices"),
)
def supervise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    form = SupervisionForm(request.POST, lowest=supervision.lowest_level(referral))
    if form.is_valid():
        try:
            notice = supervision.issue_supervision_notice(
                referral,
                actor=request.user,
                text=form.cleaned_data["text"],
                level=form.cleaned_data["level"],
                notices_seen=form.cleaned_data["notices_seen"],
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            if notice.level == 2:
                sent = _("Level-2 supervision notice sent to %(agency)s and its leader in charge")
            else:
                sent = _("Supervision notice sent to %(agency)s")
            messages.success(request, sent % {"agency": referral.agency})
    elif "text" in form.errors:
        messages.error(request, " ".join([_("Supervision remarks:"), *form.errors["text"]]))
    elif "level" in form.errors:
        messages.error(
            request,
            _(
                "This item has been escalated to level 2 since your page was shown; "
                "reload it and send the notice at level 2"
            ),
        )
    else:
        messages.error(request, _("The page was out of date; reload it and try again"))
    return redirect(safe_next(request, request.POST.get("next"), "cases:board"))


@login_required
@require_POST
def answer_notice(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """督办回复: the referral's agency answers with a reason and a promised date."""
    notice = get_notice_to_answer(request.user, pk)
    referral = notice.referral
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


@login_required
@require_POST
def reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """改派: the agency's leader in charge gives a referral to another of its officers."""
    referral, _rights = access_referral(request.user, pk)
    if not may_reassign(request.user, referral):
        raise PermissionDenied(_("Only the agency's leader in charge can reassign its referrals"))
    form = ReassignForm(request.POST, officers=assignment.officers_of(referral.agency))
    if form.is_valid():
        try:
            assignment.reassign_referral(
                referral,
                actor=request.user,
                officer=form.cleaned_data["officer"],
                reason=form.cleaned_data["reason"],
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Reassigned to %(name)s, who has been told")
                % {"name": form.cleaned_data["officer"].get_full_name()},
            )
    else:
        messages.error(
            request,
            _("Please correct: %(errors)s")
            % {"errors": " ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
    return redirect("cases:referral", referral.pk)
