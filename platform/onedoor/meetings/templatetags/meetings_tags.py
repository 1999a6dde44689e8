"""The conference's line on other pages (the coordinator's board): meetings held this year."""

from __future__ import annotations

from typing import Any

from django import template

from ..access import rights_for_page
from ..dossier import held_this_year
from ..models import Decision

register = template.Library()


@register.inclusion_tag("meetings/_board_line.html", takes_context=True)
def conference_line(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    rights = rights_for_page(request) if request is not None else None
    if rights is None or not rights.sees_all:
        return {"shown": False}
    return {
        "shown": True,
        "held": held_this_year(rights.conference),
        "overdue": Decision.objects.overdue().filter(meeting__conference=rights.conference).count(),
    }
