from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """An amount kept in fen, in yuan to the fen: 120050 → "¥1,200.50"; None → ""."""
    if fen is None:
        return ""
    return f"¥{fen // 100:,}.{fen % 100:02d}"
