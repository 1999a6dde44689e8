from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext

from onedoor.audit.models import AuditEvent
from onedoor.cases import progress
from onedoor.households.models import Household, Member
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


@register.filter
def field(form: forms.Form, name: str) -> forms.BoundField:
    """A form's field by a name the view computed (`form|field:name`)."""
    return form[name]


def _shown(model: type[models.Model], name: str, value: Any) -> str:
    if name == "monthly_income_fen":
        return format_yuan(value) if isinstance(value, int) else str(value)
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(model_field, "flatchoices", None) or [])
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value in choices:
        return str(choices[value])
    return str(value) if value not in ("", None) else "—"


def _label(model: type[models.Model], name: str) -> str:
    if name == "monthly_income_fen":
        return gettext("Monthly household income")
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


@register.filter
def change_lines(event: AuditEvent) -> list[str]:
    """A registry change in words: "Field: before → after", one line per field changed."""
    before, after = event.before or {}, event.after or {}
    model: type[models.Model] = Household
    if "member" in after:
        model, before, after = Member, before.get("member", {}), after["member"]
    lines = []
    for name, value in after.items():
        if name == "name" and before.get("name") == value:
            continue
        label = _label(model, name)
        if name in before:
            lines.append(
                gettext("%(field)s: %(before)s → %(after)s")
                % {
                    "field": label,
                    "before": _shown(model, name, before[name]),
                    "after": _shown(model, name, value),
                }
            )
        else:
            lines.append(
                gettext("%(field)s: %(value)s")
                % {"field": label, "value": _shown(model, name, value)}
            )
    return lines
