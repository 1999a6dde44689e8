"""The conference's line on other pages (the coordinator's board): meetings held this year."""

from __future__ import annotations

from typing import Any

from django import template

from ..access import decisions_for, rights_for_page
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


@register.inclusion_tag("meetings/_referral_basis.html", takes_context=True)
def referral_basis(context: dict[str, Any], referral: Any) -> dict[str, Any]:
    """The decision a referral was made on (一事一议), for the referral page's facts: the
    timeline line, linked to the decision and the minutes for those the conference shows them
    to; nothing for a referral of the case's own split."""
    decision = (
        Decision.objects.filter(new_referral=referral)
        .select_related("meeting__conference__county")
        .first()
    )
    if decision is None:
        return {"decision": None}
    from ..effects import decision_line

    request = context.get("request")
    rights = rights_for_page(request) if request is not None else None
    linked = rights is not None and decisions_for(rights).filter(pk=decision.pk).exists()
    return {"decision": decision, "line": decision_line(decision), "linked": linked}
