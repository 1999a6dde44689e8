"""Papers printed from the records: the 办结告知书 given to the household with the outcome, and
the 督办单 sent to a late agency. Each is drawn from what was recorded (the notice's text, the
referrals' outcomes, the 督办 and its answer), never typed again."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import get_case_for_user, get_referral_for_user
from .models import ApplicantNotice, SupervisionNotice


@login_required
@require_GET
def notice_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """办结告知书: what the window told the household, with each item's outcome."""
    notice = ApplicantNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise Http404("no such notice")
    case = get_case_for_user(request.user, notice.case_id)
    referrals = case.referrals.select_related("agency", "item").order_by("pk")
    return render(
        request,
        "cases/notice_letter.html",
        {"case": case, "notice": notice, "referrals": referrals},
    )


@login_required
@require_GET
def supervision_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """督办单: the notice, the late step and its due time, and the agency's answer."""
    notice = SupervisionNotice.objects.filter(pk=pk).select_related("issued_by__staff").first()
    if notice is None:
        raise Http404("no such supervision notice")
    referral = get_referral_for_user(request.user, notice.referral_id)
    number = (
        SupervisionNotice.objects.filter(referral=referral, issued_at__lte=notice.issued_at)
        .exclude(pk__gt=notice.pk, issued_at=notice.issued_at)
        .count()
    )
    return render(
        request,
        "cases/supervision_slip.html",
        {"notice": notice, "referral": referral, "case": referral.case, "number": number},
    )
