"""Forms of registration: the intake and its members, the household registry (search,
update, apply again) and late consent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onedoor.catalogue.models import Item
from onedoor.directory.models import Division
from onedoor.households.idnumber import normalize, validate_id_number
from onedoor.households.models import Household, Member
from onedoor.inputs import (
    INCOME_MAX_YUAN,
    NOTE_MAX,
    STATEMENT_MAX,
    BoundedDateField,
    IdChoiceField,
    IdMultipleChoiceField,
    yuan_field,
)

from .consent import LATE_METHODS
from .models import Case, ConsentMethod


class ApplicationForm(forms.Form):
    """What every application asks, new household or registered: channel, difficulties, the
    items, and consent to share."""

    channel = forms.ChoiceField(label=_("Application channel"), choices=Case.Channel.choices)
    statement = forms.CharField(
        label=_("Difficulties"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    items = IdMultipleChoiceField(
        label=_("Items applied for"),
        queryset=Item.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        label=_(
            "The applicant agrees to share the household's information with the agencies concerned"
        ),
        required=False,
    )


class IntakeForm(ApplicationForm):
    village = IdChoiceField(label=_("Village (community)"), queryset=Division.objects.none())
    address = forms.CharField(label=_("Street address"), required=False, max_length=200)
    classification = forms.ChoiceField(
        label=_("Household classification"), choices=Household.Classification.choices
    )
    monthly_income_yuan = yuan_field(
        _("Monthly household income (yuan)"), maximum=INCOME_MAX_YUAN, initial=0
    )
    field_order = ["village", "address", "classification", "monthly_income_yuan"]

    def __init__(self, *args: Any, township: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Division.objects.filter(parent=township)  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=20)
    relation = forms.ChoiceField(
        label=_("Relation to head of household"), choices=Member.Relation.choices
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    work_capacity = forms.ChoiceField(label=_("Work capacity"), choices=Member.WorkCapacity.choices)
    disability = forms.ChoiceField(label=_("Disability grade"), choices=Member.Disability.choices)
    serious_illness = forms.BooleanField(label=_("Serious or major illness"), required=False)
    in_school = forms.BooleanField(label=_("Student"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the table shows no <label>: name each input
            field.widget.attrs["aria-label"] = str(field.label)

    def clean_id_number(self) -> str:
        value = normalize(self.cleaned_data["id_number"])
        validate_id_number(value)
        return value


class BaseMemberFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("A household is registered with at most %(num)d members"),
    }

    def clean(self) -> None:
        if any(self.errors):
            return
        numbers = [f.cleaned_data["id_number"] for f in self.forms if f.cleaned_data]
        if len(numbers) != len(set(numbers)):
            raise forms.ValidationError(_("The same ID number cannot be registered twice"))
        heads = [f for f in self.forms if f.cleaned_data and f.cleaned_data["relation"] == "head"]
        if len(heads) != 1:
            raise forms.ValidationError(_("Register exactly one head of household"))


# At most this many members: a posted form count beyond it is refused before any member form
# is built (Django's default builds up to 2,000, seconds of work for one hostile request).
MAX_MEMBERS = 30

# One row to start with; 增加成员 adds more (a blank extra row would fail validation, since its
# selects always submit a value).
MemberFormSet = formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_MEMBERS,
    validate_max=True,
    absolute_max=MAX_MEMBERS,
)


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number, phone or address"), max_length=50, required=False)


class HouseholdForm(forms.Form):
    address = forms.CharField(label=_("Street address"), required=False, max_length=200)
    classification = forms.ChoiceField(
        label=_("Household classification"), choices=Household.Classification.choices
    )
    monthly_income_yuan = yuan_field(_("Monthly household income (yuan)"), maximum=INCOME_MAX_YUAN)
    # What the page showed (registry.fingerprint): a colleague's change in between is kept.
    seen = forms.CharField(max_length=40, widget=forms.HiddenInput)


class MemberEditForm(MemberForm):
    seen = forms.CharField(max_length=40, widget=forms.HiddenInput, required=False)


class ApplyAgainForm(ApplicationForm):
    """A new application of a registered household: nothing about the household retyped."""

    field_order = ["applicant", *ApplicationForm.base_fields]

    applicant = IdChoiceField(label=_("Applicant"), queryset=Member.objects.none())

    def __init__(self, *args: Any, household: Household, items: list[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = list(household.members.all())
        queryset = Member.objects.filter(household=household)
        applicant: Any = self.fields["applicant"]
        applicant.queryset = queryset
        applicant.initial = household.head
        # Whom each item is for, pre-filled from the catalogue (Item.serves).
        self.item_rows = []
        for item in items:
            name = f"for_{item.pk}"
            self.fields[name] = IdMultipleChoiceField(
                label=pgettext_lazy("item for members", "For"),
                queryset=queryset,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[m.pk for m in item.members_served(members)],
            )
            self.item_rows.append((item, name))

    def item_members(self) -> dict[int, list[str]]:
        """The chosen items' members by ID number (none chosen: the household as a whole)."""
        return {
            item.pk: [m.id_number for m in self.cleaned_data.get(f"for_{item.pk}") or []]
            for item in self.cleaned_data["items"]
        }


class ConsentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How consent was given"),
        choices=[(m.value, m.label) for m in LATE_METHODS],
        widget=forms.RadioSelect,
        initial=ConsentMethod.SIGNED_FORM,
    )
    given_by = forms.CharField(label=_("Consent given by"), max_length=50)
    given_on = BoundedDateField(
        label=_("Date consent was given"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Note (required when given on the applicant's behalf)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()
        if case is not None:
            self.fields["given_by"].initial = case.applicant.name
