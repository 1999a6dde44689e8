from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from onedoor.cases.access import staff_of


def staff(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role, for the navigation (templates decide nothing else by it)."""
    return {"staff": staff_of(request.user) if hasattr(request, "user") else None}


# Roles that answer for time limits and must hear when the calendar runs out.
CALENDAR_ROLES = {"coordinator", "supervisor", "admin"}


def calendar_gaps(request: HttpRequest) -> dict[str, Any]:
    """Years within the next 90 days that no calendar covers: working days there are guesses."""
    who = staff_of(request.user) if hasattr(request, "user") else None
    if who is None or who.role not in CALENDAR_ROLES:
        return {}
    from django.utils import timezone

    from onedoor.deadlines.workdays import uncovered_years

    return {"calendar_gaps": uncovered_years(timezone.localdate())}
