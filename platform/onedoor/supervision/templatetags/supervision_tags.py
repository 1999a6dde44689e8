from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.8 → "80.0%"; None (nothing decided yet) → "—"."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def days(value: float | None) -> str:
    """Working days: 10.0 → "10", 21.25 → "21.3", None → "—"."""
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0")
