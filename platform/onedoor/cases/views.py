"""Window pages: intake, case list, case page (with the task forms), receipt and slip."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onedoor.audit.models import AuditEvent
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.directory.models import Agency, Staff
from workflows.errors import EngineError
from workflows.models import HumanTask

from . import services
from .access import can_act, get_case_for_user, get_referral_for_user, get_task_for_user, staff_of
from .forms import IntakeForm, MemberFormSet, action_for, cleaned, form_for
from .models import Case, CaseItem, Referral

INTAKE_ROLES = {Staff.Role.WINDOW, Staff.Role.VILLAGE_ASSISTANT}


def _require_staff(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied(_("Your account has no role yet; please contact the administrator"))
    return staff


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    staff = _require_staff(request)
    cases = Case.objects.visible_to(request.user).select_related(
        "household__village", "township", "applicant"
    )
    stage = request.GET.get("stage", "")
    item = request.GET.get("item", "")
    agency = request.GET.get("agency", "")
    overdue = request.GET.get("overdue", "")
    if stage:
        cases = cases.filter(stage=stage)
    # Filters on items and referrals are EXISTS, not joins: a join repeats a case once per
    # match and needs DISTINCT, which sorts every visible case before the first page shows;
    # without it the page is read in order from the (township, created_at) index.
    # Codes are looked up first (two small tables), so the EXISTS probes are index-only.
    if item:
        item_id = Item.objects.filter(code=item).values_list("pk", flat=True).first()
        cases = cases.filter(Exists(CaseItem.objects.filter(case=OuterRef("pk"), item=item_id)))
    if agency:
        agency_id = Agency.objects.filter(code=agency).values_list("pk", flat=True).first()
        cases = cases.filter(Exists(Referral.objects.filter(case=OuterRef("pk"), agency=agency_id)))
    if overdue:
        # Cases with an overdue referral the user can see: the few overdue referrals of the
        # scope come from their partial index (by township), instead of a probe per case.
        late = Referral.objects.visible_to(request.user).overdue(timezone.now())
        cases = cases.filter(pk__in=late.values("case_id"))
    visible = Case.objects.visible_to(request.user)
    context = {
        "page": Paginator(cases.order_by("-created_at"), 30).get_page(request.GET.get("page")),
        "stages": visible.order_by().values_list("stage", "stage_name").distinct(),
        "items": Item.objects.filter(is_active=True),
        # The county's member agencies: every case is referred within its county.
        "agencies": Agency.objects.filter(county=staff.county).order_by("code"),
        "filters": {"stage": stage, "item": item, "agency": agency, "overdue": overdue},
    }
    template = "cases/list.html#rows" if getattr(request, "htmx", False) else "cases/list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    staff = _require_staff(request)
    if staff.role not in INTAKE_ROLES:
        raise PermissionDenied(
            _("Only window staff and village assistants can register applications")
        )
    township = staff.division if staff.role == Staff.Role.WINDOW else staff.division.parent
    assert township is not None
    form = IntakeForm(request.POST or None, township=township)
    members = MemberFormSet(request.POST or None, prefix="m")
    if staff.role == Staff.Role.VILLAGE_ASSISTANT:
        village_field: Any = form.fields["village"]
        village_field.queryset = village_field.queryset.filter(pk=staff.division_id)
        form.initial["channel"] = Case.Channel.ON_BEHALF
    if request.method == "POST" and form.is_valid() and members.is_valid():
        data = form.cleaned_data
        try:
            case = services.register_application(
                actor=request.user,
                township=township,
                village=data["village"],
                members=[services.MemberData(**m) for m in members.cleaned_data if m],
                items=list(data["items"]),
                channel=data["channel"],
                statement=data["statement"],
                consent=data["consent"],
                address=data["address"],
                classification=data["classification"],
                monthly_income_fen=int(data["monthly_income_yuan"] * Decimal(100)),
            )
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Application registered, reference %(ref)s") % {"ref": case.reference}
            )
            return redirect("cases:case", case.pk)
    return render(
        request,
        "cases/intake.html",
        {
            "form": form,
            "members": members,
            "items": TimeLimitRule.objects.prime(
                Item.objects.filter(is_active=True), "handle", timezone.localdate()
            ),
        },
    )


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    staff = staff_of(request.user)
    referrals = case.referrals.select_related("agency", "item", "current_task")
    if staff is not None and staff.role == Staff.Role.AGENCY_OFFICER:
        referrals = referrals.filter(pk__in=Referral.objects.visible_to(request.user))
    open_tasks = HumanTask.objects.filter(
        subject_type="case", subject_id=str(case.pk), state=HumanTask.State.OPEN
    ).order_by("id")
    actionable = [
        (task, form_for(task, case)) for task in open_tasks if can_act(request.user, task)
    ]
    steps = HumanTask.objects.filter(subject_type="case", subject_id=str(case.pk)).select_related(
        "completed_by"
    )
    if staff is not None and staff.role == Staff.Role.AGENCY_OFFICER and staff.agency is not None:
        steps = steps.filter(candidate_group=staff.agency.code)
    return {
        "case": case,
        "members": case.household.members.all(),
        "show_personal": staff is not None and staff.sees_personal_data,
        "referrals": referrals,
        "actionable": actionable,
        "steps": steps.order_by("created_at", "id"),
        "timeline": AuditEvent.objects.for_case(case.pk).order_by("at", "pk")
        if staff is not None and staff.role != Staff.Role.AGENCY_OFFICER
        else AuditEvent.objects.for_case(case.pk)
        .filter(referral__in=referrals)
        .order_by("at", "pk"),
        "notices": case.notices.all(),
        "now": timezone.now(),
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    return render(request, "cases/detail.html", _case_context(request, case))


@login_required
@require_POST
def perform_task(request: HttpRequest, task_id: UUID) -> HttpResponse:
    """Work one open task of a case: the form is chosen by the task's BPMN id."""
    task = get_task_for_user(request.user, task_id)
    case = get_case_for_user(request.user, int(task.subject_id))
    back = request.POST.get("next") or ""
    target = back if back.startswith("/") and not back.startswith("//") else f"/cases/{case.pk}/"
    if task.state != HumanTask.State.OPEN:
        who = task.completed_by.get_username() if task.completed_by else _("System")
        messages.error(
            request,
            _("“%(task)s” was already handled by %(who)s; your submission changed nothing")
            % {"task": task.name, "who": who},
        )
        return redirect(target)
    if not can_act(request.user, task):
        raise PermissionDenied(_("You cannot work on this task"))
    form = form_for(task, case, request.POST)
    if form.is_valid():
        try:
            action_for(task).perform(task, request.user, cleaned(form))
        except (services.ActionError, EngineError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(task)s” done") % {"task": task.name})
            return redirect(target)
    else:
        errors = pgettext("error separator", "; ").join(
            f"{form.fields[name].label if name in form.fields else ''} {error}".strip()
            for name, field_errors in form.errors.items()
            for error in field_errors
        )
        messages.error(request, _("Please correct: %(errors)s") % {"errors": errors})
    return redirect(target)


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    items = case.items.select_related("item")
    staff = staff_of(request.user)
    if staff is not None and staff.role == Staff.Role.AGENCY_OFFICER:
        # An agency sees the items referred to it, not what the household asked of others.
        referred = Referral.objects.visible_to(request.user).filter(case=case)
        items = items.filter(item__in=referred.values("item_id"))
    return render(request, "cases/receipt.html", {"case": case, "items": _with_limits(items)})


@login_required
@require_GET
def referral_slip(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    return render(request, "cases/slip.html", {"referral": referral, "case": referral.case})


def _with_limits(case_items: Any) -> list[Any]:
    """Case items with their items' handling limits looked up in one query."""
    rows = list(case_items)
    TimeLimitRule.objects.prime([row.item for row in rows], "handle", timezone.localdate())
    return rows
