"""The search page behind the header's search box."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .access import SEARCH_ROLES, may_see_personal_data, require_role
from .search import MIN_DIGITS, MIN_NAME, Results, search

SEARCH_MAX = 50


class SearchForm(forms.Form):
    # CharField refuses NUL characters and strips spaces; the length is bounded here.
    q = forms.CharField(
        label=_("Name, ID number, phone or reference"), max_length=SEARCH_MAX, required=False
    )


@login_required
@require_GET
@require_role(SEARCH_ROLES, _("Your role has no case search"))
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = Results(text="")
    if form.is_valid():
        results = search(request.user, form.cleaned_data["q"])
    context = {
        "form": form,
        "results": results,
        "text": form.data.get("q", "")[:SEARCH_MAX] if form.is_bound else "",
        "min_digits": MIN_DIGITS,
        "min_name": MIN_NAME,
        # Households are found only by those who register them (full numbers): the one rule.
        "show_personal": may_see_personal_data(request.user),
    }
    return render(request, "cases/search.html", context)
