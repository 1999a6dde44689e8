"""The case list as Excel: the rows the list shows for the same filters, in words."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from onedoor.lib.money import format_yuan
from onedoor.lib.xlsx import list_workbook

from . import listing
from .access import EVERY_ROLE, NO_ROLE, require_role
from .models import Referral

# An export larger than this holds the newest rows and says so: whoever needs more narrows
# the filters (no request builds a workbook of a million rows).
EXPORT_LIMIT = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _referral_words(r: Referral) -> str:
    outcome = r.get_outcome_display() if r.outcome else pgettext("referral", "in progress")
    amount = f" {format_yuan(r.amount_fen)}" if r.amount_fen else ""
    return f"{r.item.name}（{r.agency.name}，{outcome}{amount}）"


@login_required
@require_GET
@require_role(EVERY_ROLE, NO_ROLE)
def case_list_export(request: HttpRequest) -> HttpResponse:
    filters = listing.filters_of(request)
    cases = (
        listing.matching(request.user, filters)
        .select_related("household__village", "township", "applicant")
        .prefetch_related(
            Prefetch(
                "referrals",
                queryset=Referral.objects.select_related("item", "agency").order_by("pk"),
            )
        )
        .order_by("-created_at", "-pk")
    )
    total = cases.count()
    rows = (
        [
            c.reference,
            c.applicant.name,
            c.township.name,
            c.household.village.name,
            c.get_channel_display(),
            c.stage_name,
            f"{timezone.localtime(c.created_at):%Y-%m-%d %H:%M}",
            f"{timezone.localtime(c.closed_at):%Y-%m-%d %H:%M}" if c.closed_at else "",
            "；".join(_referral_words(r) for r in c.referrals.all()),
        ]
        for c in cases[:EXPORT_LIMIT].iterator(chunk_size=2000)
    )
    note = ""
    if total > EXPORT_LIMIT:
        note = _(
            "%(total)s cases match; the newest %(limit)s are listed. "
            "Narrow the filters for the rest."
        ) % {"total": total, "limit": EXPORT_LIMIT}
    body = list_workbook(
        _("Case list"),
        [
            _("Reference"),
            _("Applicant"),
            _("Township (street)"),
            _("Village (community)"),
            _("Channel"),
            _("Current stage"),
            _("Registered at"),
            _("Closed at"),
            _("Items, agencies and outcomes"),
        ],
        rows,
        note=note,
        widths=(22, 10, 14, 14, 12, 14, 18, 18, 60),
    )
    response = HttpResponse(body, content_type=XLSX)
    stamp = f"{timezone.localdate():%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.xlsx"'
    return response
