from __future__ import annotations

from django import template

from onedoor.lib.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """An amount kept in fen, in yuan to the fen: 120050 → "¥1,200.50"; None → ""."""
    return format_yuan(fen)
