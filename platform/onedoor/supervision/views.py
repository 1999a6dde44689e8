"""What the county oversees: the figures page, its Excel downloads, and the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from onedoor.cases import records
from onedoor.cases.access import AUDIT_LOG_ROLES, FIGURES_ROLES, led_agency, require_role
from onedoor.cases.agency_work import agency_work
from onedoor.cases.panels import FIGURES, panels_for
from onedoor.lib import paging

from . import audit_log as auditlog
from . import charts
from . import export as excel
from .figures import compute
from .forms import PRESET_CHOICES, PeriodForm

require_figures_role = require_role(
    FIGURES_ROLES,
    gettext_lazy("Supervision figures are for the joint-conference office and supervisors only"),
)


@login_required
@require_GET
@require_figures_role
def figures_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    start, end = form.period()
    figures = compute(request.user, start, end)
    agency_rate = charts.rate_chart(
        figures.by_agency,
        figures.threshold,
        _("On-time rate by agency"),
        _("Bars shorter than the line are below the threshold."),
    )
    context = {
        "form": form,
        "figures": figures,
        # Figures of the apps above (the joint conference's), registered in cases.panels.
        "panels": panels_for(FIGURES, request.user, timezone.now()),
        "presets": PRESET_CHOICES,
        "period_query": f"start={start.isoformat()}&end={end.isoformat()}",
        "charts": {
            "agency_rate": agency_rate,
            "agency_overdue": charts.count_chart(
                figures.by_agency,
                lambda r: r.overdue,
                _("Overdue now by agency"),
                _("Referrals received in the period and still open past their due time."),
            ),
            "township_rate": charts.rate_chart(
                figures.by_township,
                figures.threshold,
                _("On-time rate by township"),
                _("Bars shorter than the line are below the threshold."),
            ),
        },
    }
    return render(request, "supervision/figures.html", context)


@login_required
@require_GET
def agency_page(request: HttpRequest) -> HttpResponse:
    """The agency's own figures for a period and its late work now, for its leader in charge."""
    agency = led_agency(request.user)
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    start, end = form.period()
    # The county's figures, read by township and period from their indexes, and the agency's
    # row of them: the officer's own scope (referrals it ever touched) is an EXISTS over the
    # task table that no index serves.
    figures = compute(agency.county, start, end)
    now = timezone.now()
    context = {
        "agency": agency,
        "form": form,
        "presets": PRESET_CHOICES,
        "row": next((r for r in figures.by_agency if r.code == agency.code), None),
        "figures": figures,
        "work": agency_work(agency, now),
        "now": now,
        "county_code": agency.county.code,
    }
    return render(request, "supervision/agency.html", context)


@login_required
@require_GET
@require_figures_role
def export(request: HttpRequest, table: str) -> HttpResponse:
    """One table as an .xlsx file, for the same period and scope as the page."""
    if table not in excel.TABLES:
        raise Http404("no such table")
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(
            " ".join(str(e) for errors in form.errors.values() for e in errors)
        )
    start, end = form.period()
    figures = compute(request.user, start, end)
    response = HttpResponse(
        excel.workbook(figures, table),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"supervision-{table}-{start.isoformat()}-{end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


require_audit_role = require_role(
    AUDIT_LOG_ROLES, gettext_lazy("The audit log is for supervisors only")
)


@login_required
@require_GET
@require_audit_role
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every audited change to the cases the user may see, newest first, in words; filtered
    by who, what, when and case."""
    form = auditlog.AuditFilterForm(request.GET or None, user=request.user)
    events, settings_changes = auditlog.filtered(request.user, form)
    # Newer / older without counting the log (its COUNT was most of the page at 1M cases).
    page = paging.window(events, auditlog.PAGE_SIZE, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": records.read(page.object_list),
        "settings_changes": settings_changes,
        "settings_only": auditlog.SETTINGS_ONLY,
    }
    return render(request, "supervision/audit.html", context)


@login_required
@require_GET
@require_audit_role
def audit_export(request: HttpRequest) -> HttpResponse:
    """The audit log with the page's filters, as an .xlsx file."""
    form = auditlog.AuditFilterForm(request.GET or None, user=request.user)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(
            " ".join(str(e) for errors in form.errors.values() for e in errors)
        )
    events, _settings = auditlog.filtered(request.user, form)
    response = HttpResponse(
        auditlog.workbook(events),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.xlsx"'
    return response
