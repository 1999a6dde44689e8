"""The task, 督办, answer and reassign forms, written by hand in the templates
(onedoor/lib/fieldhtml.py, templates/_fields/), read exactly as Django renders them: every
widget, label and `as_p`, byte for byte, so a user sees the same form."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.template import engines

from onedoor.cases import assignment
from onedoor.cases.forms import TASK_ACTIONS, GenericTaskForm, HandleForm
from onedoor.cases.forms_actions import ReassignForm, SupervisionAnswerForm, SupervisionForm
from onedoor.cases.models import Referral
from onedoor.catalogue.models import Item
from onedoor.lib import fieldhtml

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db
TEMPLATES = engines["django"]
WIDGET = TEMPLATES.from_string('{% include "_fields/widget.html" %}')
LABEL = TEMPLATES.from_string('{% include "_fields/label.html" %}')
AS_P = TEMPLATES.from_string('{% include "_fields/p.html" %}')


def every_form(alice: Any, bob: Any) -> list[forms.Form]:
    case = register(alice, "yiliao", "edu_compulsory", seq=1)
    refer_all(case, alice)
    referral = Referral.objects.filter(case=case).select_related("item", "agency").first()
    assert referral is not None
    made: list[forms.Form] = []
    for action in TASK_ACTIONS.values():
        kwargs: dict[str, Any] = {"prefix": "t7"}
        if action.needs_case:
            kwargs["case"] = case
        if action.needs_item:
            kwargs["item"] = referral.item
        if action.needs_referral:
            kwargs["referral"] = referral
        made.append(action.form(**kwargs))
    made += [
        HandleForm(prefix="t8", item=Item.objects.get(code="edu_compulsory")),  # pays no money
        GenericTaskForm(prefix="t9"),
        SupervisionForm(lowest=1, initial={"notices_seen": 2, "text": "请尽快办理 <&>"}),
        SupervisionForm(lowest=2, initial={"notices_seen": 0, "text": ""}),
        SupervisionAnswerForm(),
        ReassignForm(
            officers=assignment.officers_of(referral.agency),
            initial={"officer": bob.pk},
        ),
    ]
    return made


def test_every_field_is_written_as_django_writes_it(alice, bob) -> None:
    for form in every_form(alice, bob):
        shown = fieldhtml.fields_of(form)
        assert [f.bound.name for f in shown.every] == list(form.fields)
        for f in shown.every:
            name = f"{type(form).__name__}.{f.bound.name}"
            assert WIDGET.render({"f": f}) == str(f.bound), name
            assert LABEL.render({"f": f}) == f.bound.label_tag(), name
            assert f.help_text == str(f.bound.help_text or ""), name
        assert AS_P.render({"fields": shown}) == form.as_p(), type(form).__name__
