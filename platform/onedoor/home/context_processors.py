"""What every page's frame shows: the signed-in user, their navigation, calendar warnings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onedoor.cases import access
from onedoor.deadlines.workdays import uncovered_years
from onedoor.directory.models import Staff
from onedoor.meetings.access import rights_for_page as conference_rights


@dataclass(frozen=True)
class NavEntry:
    url: str
    label: str


# The case list reads differently by scope: a township's, an agency's, a county's.
CASE_LIST_LABELS = {
    Staff.Role.WINDOW: _("Case list"),
    Staff.Role.VILLAGE_ASSISTANT: _("Case list"),
    Staff.Role.AGENCY_OFFICER: _("Related cases"),
}
COUNTY_CASES = _("County cases")


def _roles(roles: frozenset[Staff.Role]) -> Callable[[Any], bool]:
    return lambda request: access.has_role(request.user, roles)


# (URL name, label, who may reach it) in the order the bar shows them; each test is the one
# the page's view applies, so the bar links exactly the pages that open for the user.
NAVIGATION: list[tuple[str, Any, Callable[[Any], bool]]] = [
    ("cases:intake", _("Register application"), _roles(access.INTAKE_ROLES)),
    ("cases:households", _("Household registry"), _roles(access.HOUSEHOLD_ROLES)),
    ("cases:inbox", _("Inbox"), _roles(access.INBOX_ROLES)),
    (
        "supervision:agency",
        _("Agency figures"),
        lambda request: access.may_see_agency_figures(request.user),
    ),
    ("cases:board", _("Supervision board"), _roles(access.BOARD_ROLES)),
    ("supervision:figures", _("Supervision figures"), _roles(access.FIGURES_ROLES)),
    (
        "supervision:processes",
        _("Where cases pile up"),
        lambda request: access.may_see_process_load(request.user),
    ),
    ("cases:list", None, _roles(access.EVERY_ROLE)),
    ("supervision:audit", _("Audit log"), _roles(access.AUDIT_LOG_ROLES)),
    ("meetings:index", _("Joint conference"), lambda r: conference_rights(r) is not None),
    ("administration:index", _("Administration"), _roles(access.ADMINISTRATION_ROLES)),
    ("home:index", _("Process engine"), lambda request: access.may_see_engine(request.user)),
]


@lru_cache(maxsize=64)
def _url(name: str, prefix: str) -> str:
    """A bar entry's address, reversed once per process (and script prefix), not per page."""
    return reverse(name)


def navigation(request: HttpRequest) -> list[NavEntry]:
    """The pages the user may reach, for the top bar."""
    user: Any = request.user
    if not user.is_authenticated:
        return []
    staff = access.staff_of(user)
    entries = []
    for name, label, may_reach in NAVIGATION:
        if not may_reach(request):
            continue
        if label is None:  # the case list
            assert staff is not None
            label = CASE_LIST_LABELS.get(Staff.Role(staff.role), COUNTY_CASES)
        entries.append(NavEntry(url=_url(name, get_script_prefix()), label=str(label)))
    return entries


def staff(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's staff row (shown by name) and the navigation they may use."""
    if not hasattr(request, "user"):
        return {"staff": None, "nav": [], "may_search": False}
    return {
        "staff": access.staff_of(request.user),
        "nav": navigation(request),
        "may_search": access.has_role(request.user, access.SEARCH_ROLES),
    }


def calendar_gaps(request: HttpRequest) -> dict[str, Any]:
    """Years within the next 90 days that no calendar covers: working days there are guesses."""
    if not hasattr(request, "user") or not access.hears_about_calendar_gaps(request.user):
        return {}
    return {"calendar_gaps": uncovered_years(timezone.localdate())}
