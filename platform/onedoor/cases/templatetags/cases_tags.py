from __future__ import annotations

from typing import Any

from django import template

from onedoor.cases import progress
from onedoor.lib.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """An amount kept in fen, in yuan to the fen: 120050 → "¥1,200.50"; None → ""."""
    return format_yuan(fen)


@register.filter
def person(user: Any) -> str:
    """A user by name and role ("王芳（窗口工作人员）"), not by login name."""
    return progress.person(user)
