"""A form's fields as a template writes them by hand (issue 17): what Django's own widget and
label templates are given, worked out once, so the page places them in one template
(templates/_fields/) instead of Django rendering a template per widget, per label, per
option of a choice and per empty error list. The HTML is the same, byte for byte: the
attributes (name, id, required, maxlength, aria-describedby, checked, selected) come from
the widget's own `get_context`, as `BoundField.as_widget` asks for them
(tests/cases/test_fieldhtml.py compares every task form with Django's rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext


def _value(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` in an autoescaping template."""
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def attributes(attrs: dict[str, Any]) -> SafeString:
    """A widget's attributes as django/forms/widgets/attrs.html writes them, in their order:
    ` name="value"`, ` name` for True, nothing for False."""
    return mark_safe(  # noqa: S308 (each name and value escaped here)
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{_value(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


@dataclass(frozen=True)
class Option:
    """A choice of a select or a radio group, as Django's option templates are given it."""

    value: Any
    label: Any
    attrs: SafeString  # written out (`attributes`): id, required, checked, selected
    id: str  # a radio button's, for its label
    type: str
    name: str
    wrap_label: bool


def _groups(context: dict[str, Any]) -> list[tuple[Any, list[Option]]]:
    return [
        (
            group_name,
            [
                Option(
                    o["value"],
                    o["label"],
                    attributes(o["attrs"]),
                    str(o["attrs"].get("id") or ""),
                    o["type"],
                    o["name"],
                    o.get("wrap_label", False),
                )
                for o in group_choices
            ],
        )
        for group_name, group_choices, _index in context.get("optgroups", [])
    ]


@dataclass(frozen=True)
class Field:
    """One field: its label as `label_tag` writes it, and its widget as Django's widget
    templates are given it (`type`, `name`, `value`, `attrs`, `optgroups`)."""

    bound: BoundField
    kind: str  # "radio", "select", "textarea" or "input" (text, number, date, checkbox, hidden)
    widget: dict[str, Any]
    attrs: SafeString  # the widget's attributes written out (`attributes`)
    groups: list[tuple[Any, list[Option]]]  # a select's or radio group's choices
    label: str  # with the form's suffix (":") unless it ends in punctuation
    label_for: str  # the label's `for` ("" for a group of radio buttons)
    has_label_tag: bool  # label_tag writes a <label> (the field has an id)
    help_text: str
    errors: Any  # the field's ErrorList (empty for an unbound form)


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, forms.SelectMultiple | forms.CheckboxSelectMultiple):
        raise TypeError(f"no hand-written HTML for {type(widget).__name__}")
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.widgets.Input | forms.CheckboxInput):
        return "input"
    raise TypeError(f"no hand-written HTML for {type(widget).__name__}")


def field(bound: BoundField) -> Field:
    """`bound` as `BoundField.as_widget` and `label_tag` would render it."""
    widget = bound.field.widget
    if bound.field.localize:
        widget.is_localized = True
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    label = str(bound.label or "")
    suffix = (
        bound.field.label_suffix
        if bound.field.label_suffix is not None
        else bound.form.label_suffix
    )
    if suffix and label and label[-1] not in gettext(":?.!"):
        label = f"{label}{suffix}"
    id_ = widget.attrs.get("id") or bound.auto_id
    return Field(
        bound=bound,
        kind=_kind(widget),
        widget=context,
        attrs=attributes(context["attrs"]),
        groups=_groups(context),
        label=label,
        label_for=widget.id_for_label(id_) if id_ else "",
        has_label_tag=bool(id_),
        help_text=str(bound.help_text or ""),
        errors=bound.errors,
    )


@dataclass(frozen=True)
class Fields:
    """A form's fields in order, and apart its visible and its hidden ones (as `as_p` places
    them), for templates/_fields/."""

    every: list[Field]
    visible: list[Field]
    hidden: list[Field]


def fields_of(form: forms.Form) -> Fields:
    every = [field(bound) for bound in form]
    return Fields(
        every=every,
        visible=[f for f in every if not f.bound.is_hidden],
        hidden=[f for f in every if f.bound.is_hidden],
    )
