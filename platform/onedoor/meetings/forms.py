"""Forms of the conference pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Staff
from onedoor.inputs import BoundedDateField, NoticeLevelForm

from .models import Attendance, Conference, Decision, Meeting


class DateInput(forms.DateInput):
    input_type = "date"


class ConferenceForm(forms.ModelForm):
    class Meta:
        model = Conference
        fields = ["convenor", "overdue_days", "handovers", "on_time_percent", "on_time_period_days"]

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["convenor"]
        field.queryset = (
            get_user_model()
            .objects.filter(staff__division=county)
            .exclude(staff__role=Staff.Role.AGENCY_OFFICER)
            .order_by("username")
        )
        field.label_from_instance = lambda u: u.staff.display_name


class UnitForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), widget=forms.HiddenInput)
    liaison = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label=_("Liaison officer")
    )
    active = forms.BooleanField(required=False, label=_("Member"))

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field: Any = self.fields["agency"]
        agency_field.queryset = Agency.objects.filter(county=county)
        liaison_field: Any = self.fields["liaison"]
        liaison_field.queryset = get_user_model().objects.filter(
            staff__role=Staff.Role.AGENCY_OFFICER, staff__agency__county=county
        )


class PlanForm(forms.Form):
    kind = forms.ChoiceField(choices=Meeting.Kind.choices, label=_("Kind of meeting"))
    held_on = forms.DateField(widget=DateInput, label=_("Date"))
    place = forms.CharField(max_length=100, label=_("Place"))


class FreeTopicForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Topic"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Background")
    )
    units = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(), required=False, label=_("Units concerned")
    )

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["units"]
        field.queryset = Agency.objects.filter(county=county)


class AgendaForm(forms.Form):
    positions_due = forms.DateField(widget=DateInput, label=_("Written positions due"))


class DecideForm(forms.Form):
    approved = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Send back"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label=_("Decision"),
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note")
    )


class MinutesForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["recorder", "observers", "copy_to", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}


class AttendanceForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=Attendance.Status.choices, label=_("Attendance"))
    person = forms.CharField(max_length=100, required=False, label=_("Who attended"))
    reason = forms.CharField(max_length=200, required=False, label=_("Reason for absence"))

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["agency"]
        field.queryset = Agency.objects.filter(county=county)


class NoteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Discussion")
    )


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(choices=Decision.Kind.choices, label=_("Kind of decision"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Decision"))
    lead = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("Lead unit"))
    co_units = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.none(), required=False, label=_("Co-operating units")
    )
    deadline_days = forms.IntegerField(
        min_value=1, max_value=250, initial=10, label=_("Deadline (working days)")
    )
    item = forms.ModelChoiceField(
        queryset=Item.objects.filter(is_active=True),
        required=False,
        label=_("Assistance item (special assistance)"),
    )

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("lead", "co_units"):
            field: Any = self.fields[name]
            field.queryset = Agency.objects.filter(county=county)


class DoneForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("How it was carried out")
    )


class FlagForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why the joint conference should study it"),
    )


class DecisionSuperviseForm(NoticeLevelForm):
    """督办 of a decision: its level and remarks, as a referral's (cases.forms_actions)."""

    LEVELS = (
        (1, _("Level 1: to the lead unit")),
        (2, _("Level 2: to the lead unit and the convenor")),
    )
    text = forms.CharField(
        max_length=2000,
        label=_("Supervision remarks"),
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_(
            "This decision of the joint conference is past its deadline. "
            "Please carry it out within 5 working days and report back."
        ),
    )


class DecisionAnswerForm(forms.Form):
    """督办回复 of the lead unit, as on a referral."""

    answer = forms.CharField(
        max_length=2000, label=_("Reason for the delay"), widget=forms.Textarea(attrs={"rows": 2})
    )
    promised_date = BoundedDateField(label=_("Promised completion date"), widget=DateInput)


class ProposalForm(forms.Form):
    """A member unit's proposed topic (成员单位提出议题)."""

    kind = forms.ChoiceField(
        choices=[
            ("policy", _("Policy question")),
            ("case", _("A case")),
        ],
        widget=forms.RadioSelect,
        label=_("Kind of topic"),
        initial="policy",
    )
    title = forms.CharField(max_length=200, label=_("Topic"))
    reason = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why the joint conference should discuss it"),
    )
    case_reference = forms.CharField(
        max_length=40, required=False, label=_("Case reference (for a case)")
    )


class ProposalAnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept as a candidate topic")), ("0", _("Decline"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label=_("Answer"),
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Reason (required to decline)"),
    )
