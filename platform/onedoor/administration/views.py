"""The county administrator's pages: staff accounts, agencies, townships and villages.

Views parse input, call one service, render; who may do it is decided in cases/access.py
(`administered_county`): every row is looked up within the administrator's own county.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onedoor.cases.access import administered_county, in_county, may_edit_catalogue
from onedoor.catalogue.models import Item
from onedoor.deadlines.models import TimeLimitRule
from onedoor.directory.models import Agency, Division, Staff
from onedoor.lib.http import AuthenticatedRequest

from . import services
from .forms import (
    AgencyForm,
    DivisionForm,
    ItemForm,
    NewAgencyForm,
    NewStaffForm,
    PasswordForm,
    RenameForm,
    StaffForm,
    county_divisions,
)


def _errors(form: Any) -> str:
    return pgettext("error separator", "; ").join(
        f"{form.fields[name].label if name in form.fields else ''} {error}".strip()
        for name, errors in form.errors.items()
        for error in errors
    )


def _apply(request: HttpRequest, form: Any, action: Any, success: str) -> bool:
    """Run `action(cleaned_data)` if the form is valid; say what happened either way."""
    if not form.is_valid():
        messages.error(request, _("Please correct: %(errors)s") % {"errors": _errors(form)})
        return False
    try:
        action(form.cleaned_data)
    except services.AdminError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def _staff_in(county: Division, pk: int) -> Staff:
    staff = (
        Staff.objects.filter(in_county(county), pk=pk)
        .select_related("user", "division", "agency")
        .first()
    )
    if staff is None:
        raise Http404("no such staff member in this county")
    return staff


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    county = administered_county(request.user)
    staff = Staff.objects.filter(in_county(county))
    divisions = county_divisions(county)
    return render(
        request,
        "administration/index.html",
        {
            "county": county,
            "staff_active": staff.filter(user__is_active=True).count(),
            "staff_inactive": staff.filter(user__is_active=False).count(),
            "agencies": Agency.objects.filter(county=county).count(),
            "townships": divisions.filter(level=Division.Level.TOWNSHIP).count(),
            "villages": divisions.filter(level=Division.Level.VILLAGE).count(),
        },
    )


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    county = administered_county(request.user)
    rows = (
        Staff.objects.filter(in_county(county))
        .select_related("user", "division", "agency")
        .order_by("role", "division__code", "user__username")
    )
    role = request.GET.get("role", "")
    if role in Staff.Role.values:
        rows = rows.filter(role=role)
    state = request.GET.get("state", "active")
    if state == "active":
        rows = rows.filter(user__is_active=True)
    elif state == "inactive":
        rows = rows.filter(user__is_active=False)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        rows = rows.filter(
            Q(user__username__icontains=q) | Q(user__first_name__icontains=q) | Q(phone=q)
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/staff_list.html",
        {
            "county": county,
            "page": page,
            "roles": Staff.Role.choices,
            "role": role,
            "state": state,
            "q": q,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_new(request: AuthenticatedRequest) -> HttpResponse:
    county = administered_county(request.user)
    form = NewStaffForm(request.POST or None, county=county)
    if request.method == "POST":
        created: list[Staff] = []
        if _apply(
            request,
            form,
            lambda data: created.append(
                services.create_staff(
                    county,
                    actor=request.user,
                    username=data["username"],
                    full_name=data["full_name"],
                    role=data["role"],
                    division=data["division"],
                    agency=data["agency"],
                    is_agency_leader=data["is_agency_leader"],
                    phone=data["phone"],
                    password=data["password"],
                )
            ),
            _("Account created: tell the person their login name and initial password"),
        ):
            return redirect("administration:staff", created[0].pk)
    return render(request, "administration/staff_form.html", {"county": county, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    staff = _staff_in(county, pk)
    initial = {
        "full_name": staff.user.get_full_name(),
        "role": staff.role,
        "division": staff.division_id,
        "agency": staff.agency_id,
        "is_agency_leader": staff.is_agency_leader,
        "phone": staff.phone,
    }
    form = StaffForm(request.POST or None, initial=initial, county=county)
    if request.method == "POST" and _apply(
        request,
        form,
        lambda data: services.update_staff(
            staff,
            actor=request.user,
            full_name=data["full_name"],
            role=data["role"],
            division=data["division"],
            agency=data["agency"],
            is_agency_leader=data["is_agency_leader"],
            phone=data["phone"],
        ),
        _("Changes to %(name)s saved") % {"name": staff.display_name},
    ):
        return redirect("administration:staff", staff.pk)
    return render(
        request,
        "administration/staff_form.html",
        {"county": county, "form": form, "member": staff, "password_form": PasswordForm()},
    )


@login_required
@require_POST
def staff_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    staff = _staff_in(county, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_staff_active(staff, actor=request.user, active=active)
    except services.AdminError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            (_("%(name)s can sign in again") if active else _("%(name)s can no longer sign in"))
            % {"name": staff.display_name},
        )
    return redirect("administration:staff", staff.pk)


@login_required
@require_POST
def staff_password(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    staff = _staff_in(county, pk)
    _apply(
        request,
        PasswordForm(request.POST),
        lambda data: services.reset_password(staff, actor=request.user, password=data["password"]),
        _("Password of %(name)s reset: tell them in person") % {"name": staff.display_name},
    )
    return redirect("administration:staff", staff.pk)


def _missing_kinds(county: Division) -> list[tuple[str, str]]:
    have = set(Agency.objects.filter(county=county).values_list("kind", flat=True))
    return [(value, str(label)) for value, label in Agency.Kind.choices if value not in have]


@login_required
@require_http_methods(["GET", "POST"])
def agencies(request: AuthenticatedRequest) -> HttpResponse:
    county = administered_county(request.user)
    missing = _missing_kinds(county)
    form = NewAgencyForm(request.POST or None, missing=missing)
    if request.method == "POST":
        fields = ("name", "responsible_section", "leader_in_charge", "contact_person")
        if _apply(
            request,
            form,
            lambda data: services.create_agency(
                county,
                actor=request.user,
                kind=data["kind"],
                contact_phone=data["contact_phone"],
                **{name: data[name] for name in fields},
            ),
            _("Agency added"),
        ):
            return redirect("administration:agencies")
    rows = (
        Agency.objects.filter(county=county)
        .annotate(officers=Count("staff", filter=Q(staff__user__is_active=True)))
        .order_by("code")
    )
    return render(
        request,
        "administration/agencies.html",
        {"county": county, "rows": rows, "form": form if missing else None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agency_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    agency = Agency.objects.filter(county=county, pk=pk).first()
    if agency is None:
        raise Http404("no such agency in this county")
    initial = {name: getattr(agency, name) for name in services.AGENCY_FIELDS}
    form = AgencyForm(request.POST or None, initial=initial)
    if request.method == "POST" and _apply(
        request,
        form,
        lambda data: services.update_agency(agency, actor=request.user, **data),
        _("Changes to %(agency)s saved") % {"agency": agency.name},
    ):
        return redirect("administration:agencies")
    officers = agency.staff.select_related("user").order_by("-is_agency_leader", "user__username")
    return render(
        request,
        "administration/agency_form.html",
        {"county": county, "agency": agency, "form": form, "officers": officers},
    )


@login_required
@require_http_methods(["GET", "POST"])
def divisions(request: AuthenticatedRequest) -> HttpResponse:
    county = administered_county(request.user)
    form = DivisionForm(request.POST or None, county=county)
    if request.method == "POST" and _apply(
        request,
        form,
        lambda data: services.add_division(
            data["parent"], actor=request.user, code=data["code"], name=data["name"]
        ),
        _("Division added"),
    ):
        return redirect("administration:divisions")
    townships = (
        Division.objects.filter(parent=county, level=Division.Level.TOWNSHIP)
        .prefetch_related("children")
        .annotate(people=Count("staff", filter=Q(staff__user__is_active=True)))
        .order_by("code")
    )
    return render(
        request,
        "administration/divisions.html",
        {"county": county, "townships": townships, "form": form},
    )


@login_required
@require_POST
def rename_division(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    division = county_divisions(county).filter(pk=pk).first()
    if division is None:
        raise Http404("no such division in this county")
    _apply(
        request,
        RenameForm(request.POST),
        lambda data: services.rename_division(division, actor=request.user, name=data["name"]),
        _("Renamed"),
    )
    return redirect("administration:divisions")


@login_required
@require_GET
def items(request: HttpRequest) -> HttpResponse:
    """The catalogue as every county applies it: items, their agency, materials and limits."""
    county = administered_county(request.user)
    rows = list(Item.objects.order_by("-is_active", "category", "code"))
    today = timezone.localdate()
    for step in ("sign", "handle"):
        TimeLimitRule.objects.prime(rows, step, today)
    return render(
        request,
        "administration/items.html",
        {"county": county, "rows": rows, "may_edit": may_edit_catalogue(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = administered_county(request.user)
    item = Item.objects.filter(pk=pk).first()
    if item is None:
        raise Http404("no such item")
    may_edit = may_edit_catalogue(request.user)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied(_("The item catalogue is changed by the platform's administrators"))
    initial = {name: getattr(item, name) for name in services.ITEM_FIELDS}
    initial["materials"] = "\n".join(item.materials)
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and _apply(
        request,
        form,
        lambda data: services.update_item(item, actor=request.user, **data),
        _("Changes to %(item)s saved") % {"item": item.name},
    ):
        return redirect("administration:items")
    TimeLimitRule.objects.prime([item], "sign", timezone.localdate())
    TimeLimitRule.objects.prime([item], "handle", timezone.localdate())
    return render(
        request,
        "administration/item_form.html",
        {"county": county, "item": item, "form": form if may_edit else None},
    )
