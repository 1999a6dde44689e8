"""The household registry: find a household, its page and history, apply again, update it;
and consent recorded after registration, from the case page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Func, OuterRef, Prefetch, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onedoor.audit.models import AuditEvent
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.households.models import Household, Member
from onedoor.lib.http import AuthenticatedRequest
from onedoor.lib.money import fen_from_yuan, yuan_from_fen

from . import consent, registration, registry, services
from .access import (
    HOUSEHOLD_ROLES,
    INTAKE_ROLES,
    access_household,
    get_case_for_user,
    get_member_for_user,
    may_see_personal_data,
    require_role,
    visible_households,
)
from .forms_registry import (
    ApplyAgainForm,
    ConsentForm,
    HouseholdForm,
    HouseholdSearchForm,
    MemberEditForm,
)
from .models import Case, CaseItem, Referral

REGISTRY_ONLY = gettext_lazy(
    "Only window staff and village assistants can use the household registry"
)


@login_required
@require_GET
@require_role(HOUSEHOLD_ROLES, REGISTRY_ONLY)
def household_list(request: HttpRequest) -> HttpResponse:
    """Find a household by any member's name, ID number or phone, or by its address."""
    form = HouseholdSearchForm(request.GET or None)
    households = visible_households(request.user)
    text = ""
    if form.is_valid():
        text = form.cleaned_data["q"]
    if text:
        households = households.search(text, full_numbers=may_see_personal_data(request.user))
    households = (
        households.select_related("village")
        # In member order alone: the model's ordering would join each member's household.
        .prefetch_related(Prefetch("members", queryset=Member.objects.order_by("id")))
        # A subquery, not a join with GROUP BY: the page's LIMIT stops at twenty households.
        .annotate(
            case_count=Subquery(
                Case.objects.filter(household=OuterRef("pk"))
                .order_by()
                .values(n=Func(F("id"), function="COUNT"))
            )
        )
        .order_by("-created_at", "-pk")
    )
    context = {
        "form": form,
        "text": text,
        "page": Paginator(households, 20).get_page(request.GET.get("page")),
        "show_personal": may_see_personal_data(request.user),
    }
    return render(request, "cases/households.html", context)


def _history(user: Any, household: Household) -> list[Case]:
    """Every application of the household the user may see, newest first, with its items
    (and whom each is for) and each referral's outcome."""
    return list(
        Case.objects.visible_to(user)
        .filter(household=household)
        .select_related("applicant")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CaseItem.objects.select_related("item").prefetch_related("members"),
            ),
            Prefetch("referrals", queryset=Referral.objects.select_related("agency", "item")),
        )
        .order_by("-created_at", "-pk")
    )


@login_required
@require_GET
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household, rights = access_household(request.user, pk)
    context = {
        "household": household,
        "rights": rights,
        "members": household.members.all(),
        "show_personal": rights.see_personal_data,
        "cases": _history(request.user, household),
        "changes": AuditEvent.objects.filter(household=household)
        .select_related("actor__staff")
        .order_by("-at", "-pk")[:100],
    }
    return render(request, "cases/household.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit_household(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household, rights = access_household(request.user, pk)
    if not rights.change:
        raise PermissionDenied(str(REGISTRY_ONLY))
    current = {
        "address": household.address,
        "classification": household.classification,
        "monthly_income_yuan": yuan_from_fen(household.monthly_income_fen),
        "seen": registry.fingerprint(registry.household_facts(household)),
    }
    form = HouseholdForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registry.update_household(
                household,
                actor=request.user,
                address=data["address"],
                classification=data["classification"],
                monthly_income_fen=fen_from_yuan(data["monthly_income_yuan"]),
                seen=data["seen"],
            )
        except registry.NothingChanged as exc:
            messages.info(request, str(exc))
            return redirect("cases:household", household.pk)
        except services.ActionError as exc:
            household.refresh_from_db()
            messages.error(request, str(exc))
            return redirect("cases:edit_household", household.pk)
        messages.success(request, _("Household details updated"))
        return redirect("cases:household", household.pk)
    return render(request, "cases/household_form.html", {"household": household, "form": form})


def _member_data(data: dict[str, Any]) -> registration.MemberData:
    return registration.MemberData(
        **{name: data[name] for name in registry.MEMBER_FIELDS if name in data}
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household, rights = access_household(request.user, pk)
    if not rights.change:
        raise PermissionDenied(str(REGISTRY_ONLY))
    form = MemberEditForm(request.POST or None, initial={"relation": Member.Relation.CHILD})
    if request.method == "POST" and form.is_valid():
        try:
            member = registry.add_member(
                household, actor=request.user, data=_member_data(form.cleaned_data)
            )
        except registry.NothingChanged as exc:
            messages.info(request, str(exc))
            return redirect("cases:household", household.pk)
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(name)s added to the household") % {"name": member.name})
            return redirect("cases:household", household.pk)
    return render(
        request, "cases/member_form.html", {"household": household, "form": form, "member": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    household, rights = access_household(request.user, member.household_id)
    if not rights.change:
        raise PermissionDenied(str(REGISTRY_ONLY))
    current = {
        **registry.member_facts(member),
        "seen": registry.fingerprint(registry.member_facts(member)),
    }
    form = MemberEditForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            registry.update_member(
                member,
                actor=request.user,
                data=_member_data(form.cleaned_data),
                seen=form.cleaned_data["seen"],
            )
        except registry.NothingChanged as exc:
            messages.info(request, str(exc))
            return redirect("cases:household", household.pk)
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Details of %(name)s updated") % {"name": form.cleaned_data["name"]}
            )
            return redirect("cases:household", household.pk)
    return render(
        request,
        "cases/member_form.html",
        {"household": household, "form": form, "member": member},
    )


@login_required
@require_http_methods(["GET", "POST"])
@require_role(
    INTAKE_ROLES,
    gettext_lazy("Only window staff and village assistants can register applications"),
)
def apply_again(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A new application of a registered household: the intake with the household filled in."""
    household, rights = access_household(request.user, pk)
    items = TimeLimitRule.objects.prime(
        Item.objects.filter(is_active=True), "handle", timezone.localdate()
    )
    form = ApplyAgainForm(request.POST or None, household=household, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = registration.register_application(
                actor=request.user,
                township=household.township,
                village=household.village,
                members=[],
                household=household,
                applicant=data["applicant"],
                items=list(data["items"]),
                item_members=form.item_members(),
                channel=data["channel"],
                statement=data["statement"],
                consent=data["consent"],
            )
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Application registered, reference %(ref)s") % {"ref": case.reference}
            )
            return redirect("cases:case", case.pk)
    open_cases = [c for c in _history(request.user, household) if c.is_open]
    return render(
        request,
        "cases/apply_again.html",
        {
            "household": household,
            "form": form,
            "members": household.members.all(),
            "show_personal": rights.see_personal_data,
            "open_cases": open_cases,
        },
    )


@login_required
@require_POST
@require_role(
    INTAKE_ROLES, gettext_lazy("Only window staff and village assistants can record consent")
)
def record_consent(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The applicant's consent, given after registration: 分办转办 can then go ahead."""
    case = get_case_for_user(request.user, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            consent.record_consent(
                case,
                actor=request.user,
                method=data["method"],
                given_by=data["given_by"],
                given_on=data["given_on"],
                note=data["note"],
            )
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Consent recorded: the case can now be referred to the agencies")
            )
    else:
        errors = pgettext("error separator", "; ").join(
            f"{form.fields[name].label if name in form.fields else ''} {error}".strip()
            for name, field_errors in form.errors.items()
            for error in field_errors
        )
        messages.error(request, _("Please correct: %(errors)s") % {"errors": errors})
    return redirect("cases:case", case.pk)
