"""Forms of the actions on a referral that are no BPMN task: 督办 and its answer, 改派 within
the agency, materials received and scans attached."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Agency
from onedoor.inputs import (
    NOTE_MAX,
    BoundedDateField,
    IdChoiceField,
    NoticeLevelForm,
)


class OfficerChoice(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class ReassignForm(forms.Form):
    """改派: another officer of the agency, and why."""

    officer = OfficerChoice(label=_("Officer in charge"), queryset=Agency.objects.none())
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for the reassignment"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, OfficerChoice)
        field.queryset = officers


class SupervisionAnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for the delay"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    promised_date = BoundedDateField(
        label=_("Promised completion date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class SupervisionForm(NoticeLevelForm):
    """督办: its level and remarks, drafted from the referral's clock (cases/supervision.py)."""

    LEVELS = (
        (1, _("Level 1: to the agency")),
        (2, _("Level 2: to the agency and its leader in charge")),
    )
    text = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Supervision remarks"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MaterialForm(forms.Form):
    """A line of the materials checklist ticked received (on a day) or unticked."""

    name = forms.CharField(max_length=200)
    received = forms.BooleanField(required=False)
    received_on = BoundedDateField(label=_("Received on"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("received") and not data.get("received_on"):
            self.add_error("received_on", _("Please give the day it was received"))
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Scanned document (PDF, JPEG or PNG)"))
    material = forms.CharField(label=_("Material"), max_length=200, required=False)
