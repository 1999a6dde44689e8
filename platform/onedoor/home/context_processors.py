from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from onedoor.cases.access import staff_of


def staff(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role, for the navigation (templates decide nothing else by it)."""
    return {"staff": staff_of(request.user) if hasattr(request, "user") else None}
