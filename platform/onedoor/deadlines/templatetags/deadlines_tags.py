"""Lateness and 督办 levels in words on every page (deadlines/words.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from onedoor.deadlines import words

register = template.Library()


@register.simple_tag(takes_context=True)
def lateness(context: Any, due_at: datetime | None, county: str = "") -> str:
    """`{% lateness r.due_at %}`: "逾期3个工作日", "今日到期"; the page's `now` if it has one.
    The county's own calendar when the page names it (`county_code`)."""
    return words.lateness(due_at, context.get("now"), county or context.get("county_code", ""))


@register.filter
def supervision_level(level: int | None) -> str:
    """`{{ r.escalation_level|supervision_level|default:"—" }}`"""
    return words.supervision_level(level)
