"""Window pages: intake, case list, case page (with the task forms), receipt and slip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.directory.models import Agency
from onedoor.lib import fieldhtml
from onedoor.lib.http import AuthenticatedRequest
from onedoor.lib.money import fen_from_yuan
from onedoor.lib.redirects import safe_next
from workflows.errors import EngineError
from workflows.models import HumanTask

from . import listing, materials, records, registration, rows, services
from .access import (
    EVERY_ROLE,
    INTAKE_ROLES,
    NO_ROLE,
    access_case,
    can_act,
    can_record_consent,
    get_case_for_user,
    get_referral_for_user,
    get_task_to_work,
    intake_scope,
    may_keep_materials,
    may_open_household,
    requested_items,
    require_role,
    staff_of,
    visible_case_items,
    visible_households,
    visible_materials,
)
from .forms import action_for, cleaned, confirmation_of, form_for, reads_referral
from .forms_registry import ConsentForm, IntakeForm, MemberFormSet
from .models import Case, CaseItem
from .progress import progress
from .returned_input import keep_returned_input, returned_input


@dataclass(frozen=True)
class TaskToWork:
    """An open task the user may work on the case page, with its form."""

    task: HumanTask
    fields: fieldhtml.Fields  # its form's fields, as the template writes them by hand
    overdue: bool  # past its due time: the page marks it (templates compare no dates)


def _to_work(task: HumanTask, form: forms.Form, now: datetime) -> TaskToWork:
    return TaskToWork(
        task, fieldhtml.fields_of(form), overdue=task.due_at is not None and task.due_at < now
    )


@login_required
@require_GET
@require_role(EVERY_ROLE, NO_ROLE)
@vary_on_headers("HX-Request")
def case_list(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None  # @require_role
    filters = listing.filters_of(request)
    cases = listing.matching(request.user, filters).order_by("-created_at")
    page = Paginator(cases.values(*rows.CASE_LIST_FIELDS), 30).get_page(request.GET.get("page"))
    page.object_list = rows.case_list_rows(page.object_list)
    visible = Case.objects.visible_to(request.user)
    context = {
        "page": page,
        "lines": rows.case_list_html(page.object_list),  # the rows written
        "stages": visible.order_by().values_list("stage", "stage_name").distinct(),
        "items": Item.objects.filter(is_active=True),
        # The county's member agencies: every case is referred within its county.
        "agencies": Agency.objects.filter(county=staff.county).order_by("code"),
        "filters": filters,
        "export_query": listing.query_of(filters),
    }
    template = "cases/list.html#rows" if getattr(request, "htmx", False) else "cases/list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@require_role(
    INTAKE_ROLES,
    gettext_lazy("Only window staff and village assistants can register applications"),
)
def intake(request: AuthenticatedRequest) -> HttpResponse:
    scope = intake_scope(request.user)
    township = scope.township
    existing = None
    form = IntakeForm(request.POST or None, township=township)
    members = MemberFormSet(request.POST or None, prefix="m")
    if scope.village is not None:
        village_field: Any = form.fields["village"]
        village_field.queryset = village_field.queryset.filter(pk=scope.village.pk)
        form.initial["channel"] = Case.Channel.ON_BEHALF
    if request.method == "POST" and form.is_valid() and members.is_valid():
        data = form.cleaned_data
        try:
            case = registration.register_application(
                actor=request.user,
                township=township,
                village=data["village"],
                members=[registration.MemberData(**m) for m in members.cleaned_data if m],
                item_members=_items_named(request, members, data["items"]),
                items=list(data["items"]),
                channel=data["channel"],
                statement=data["statement"],
                consent=data["consent"],
                address=data["address"],
                classification=data["classification"],
                monthly_income_fen=fen_from_yuan(data["monthly_income_yuan"]),
            )
        except registration.AlreadyRegistered as exc:
            form.add_error(None, str(exc))
            # The household's page, where the application is made again (if the user may
            # open it: a village assistant sees their own village's households only).
            existing = visible_households(request.user).filter(pk=exc.household.pk).first()
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
            "chosen": _items_chosen(request),
            "existing": existing,
            "members": members,
            "items": TimeLimitRule.objects.prime(
                Item.objects.filter(is_active=True), "handle", timezone.localdate()
            ),
        },
    )


def _items_chosen(request: HttpRequest) -> dict[str, list[str]]:
    """The member rows ticked for each item, by item id, as the intake form sent them."""
    if request.method != "POST" or not request.POST.get("members_named"):
        return {}
    return {
        key.removeprefix("for_"): request.POST.getlist(key)[:100]
        for key in request.POST
        if key.startswith("for_") and key.removeprefix("for_").isdigit()
    }


def _items_named(request: HttpRequest, members: Any, items: Any) -> dict[int, list[str]] | None:
    """Whom each item is for, by ID number, from the member rows ticked at intake; None when
    the page sent no choice (no script), so the catalogue's defaults apply."""
    if not request.POST.get("members_named"):
        return None
    numbers = {
        str(i): f.cleaned_data["id_number"] for i, f in enumerate(members.forms) if f.cleaned_data
    }
    return {
        item.pk: [numbers[row] for row in request.POST.getlist(f"for_{item.pk}") if row in numbers]
        for item in items
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case, view = access_case(request.user, pk)
    now = timezone.now()
    steps = list(view.steps)
    # The open tasks the user may work (can_act: of their own scope) are among the steps they
    # may see; in the order they were created, by id.
    open_tasks = sorted((t for t in steps if t.state == HumanTask.State.OPEN), key=lambda t: t.pk)
    actionable = [
        _to_work(task, form_for(task, case, returned_input(request, task)), now)
        for task in open_tasks
        if can_act(request.user, task)
    ]
    referrals = list(view.referrals)
    # The requested items, read once: whom each is for, the checklist, what the user may read.
    requested, visible = requested_items(request.user, case)
    for_whom = {row.item_id: row.for_names for row in requested}
    for referral in referrals:
        referral.for_names = for_whom.get(referral.item_id, "")  # type: ignore[attr-defined]
    # What the household asked for (before the split too), as this user may read it, in the
    # order the catalogue's items were entered (as the page has always listed them).
    applied = [(row.name, row.for_names) for row in sorted(visible, key=lambda row: row.item_id)]
    context = {
        "applied": applied,
        "case": case,
        "consent_form": ConsentForm(case=case) if can_record_consent(request.user, case) else None,
        "household_link": may_open_household(request.user, case.household),
        # Every row the page shows is read here, none from inside the template.
        # Members in their order (by household, then id): by id within the one household.
        "members": list(case.household.members.order_by("pk")),
        "show_personal": view.see_personal_data,
        "referrals": referrals,
        "actionable": actionable,
        "progress": progress(steps, referrals, township=case.township),
        "timeline": records.read(
            view.timeline,
            agencies_known={r.agency.code: r.agency.name for r in referrals},
            items_known={row.code: row.name for row in requested},
        ),
        "notices": list(case.notices.all()),
        "materials": visible_materials(
            request.user, case, materials.checklist(case, requested), visible
        ),
        "keep_materials": may_keep_materials(request.user, case),
        "today": timezone.localdate(),
        "now": now,
    }
    return render(request, "cases/detail.html", context)


@login_required
@require_POST
def perform_task(request: HttpRequest, task_id: UUID) -> HttpResponse:
    """Work one open task of a case: the form is chosen by the task's BPMN id."""
    task, case, referral = get_task_to_work(request.user, task_id, with_referral=reads_referral)
    target = safe_next(request, request.POST.get("next"), f"/cases/{case.pk}/")
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
    form = form_for(task, case, request.POST, referral=referral)
    if form.is_valid():
        summary = confirmation_of(form)
        if summary is not None and request.POST.get("confirmed") != "yes":
            # A final step is shown back first; only the confirming submit does it. The
            # form's own fields go round again hidden, so nothing is typed twice.
            return render(
                request,
                "cases/confirm.html",
                {
                    "task": task,
                    "case": case,
                    "summary": summary,
                    "carried": [
                        (name, value)
                        for name, values in request.POST.lists()
                        if name not in {"csrfmiddlewaretoken", "confirmed", "next"}
                        for value in values
                    ],
                    "next": target,
                },
            )
        try:
            action_for(task).perform(task, request.user, cleaned(form))
        except (services.ActionError, EngineError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, action_for(task).done_message(task, cleaned(form)))
            return redirect(target)
    else:
        errors = pgettext("error separator", "; ").join(
            f"{form.fields[name].label if name in form.fields else ''} {error}".strip()
            for name, field_errors in form.errors.items()
            for error in field_errors
        )
        messages.error(request, _("Please correct: %(errors)s") % {"errors": errors})
        keep_returned_input(request, task)
    return redirect(target)


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    items = visible_case_items(request.user, case)
    return render(request, "cases/receipt.html", {"case": case, "items": _with_limits(items)})


@login_required
@require_GET
def referral_slip(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    TimeLimitRule.objects.prime([referral.item], "handle", timezone.localdate())
    context = {
        "referral": referral,
        "case": referral.case,
        "for_names": CaseItem.names_for(referral.case_id).get(referral.item_id, ""),
    }
    return render(request, "cases/slip.html", context)


def _with_limits(case_items: Any) -> list[Any]:
    """Case items with their items' handling limits looked up in one query."""
    rows = list(case_items)
    TimeLimitRule.objects.prime([row.item for row in rows], "handle", timezone.localdate())
    return rows
