"""The administrator's forms: input checked and bounded here, rules in services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division, Staff
from onedoor.inputs import IdChoiceField


def county_divisions(county: Division) -> QuerySet[Division]:
    """The county and every township and village in it."""
    return Division.objects.filter(
        Q(pk=county.pk) | Q(parent=county) | Q(parent__parent=county)
    ).order_by("code")


class DivisionChoice(IdChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.code} {obj.name}（{obj.get_level_display()}）"


class StaffForm(forms.Form):
    full_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Staff.Role.choices)
    division = DivisionChoice(
        label=_("Works in"),
        queryset=Division.objects.none(),
        help_text=_("Window staff: a township; village assistants: a village; others: the county"),
    )
    agency = IdChoiceField(label=_("Agency"), queryset=Agency.objects.none(), required=False)
    is_agency_leader = forms.BooleanField(label=_("Leader in charge"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def __init__(self, *args: Any, county: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = county_divisions(county)  # type: ignore[attr-defined]
        self.fields["agency"].queryset = Agency.objects.filter(county=county)  # type: ignore[attr-defined]


class NewStaffForm(StaffForm):
    username = forms.CharField(label=_("Login name"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, max_length=128
    )
    password_again = forms.CharField(
        label=_("Initial password again"), widget=forms.PasswordInput, max_length=128
    )

    field_order = ["username", "full_name", "role", "division", "agency", "is_agency_leader"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ"))
        return data


class PasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, max_length=128)
    password_again = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, max_length=128
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ"))
        return data


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    leader_in_charge = forms.CharField(label=_("Leader in charge"), max_length=50, required=False)
    responsible_section = forms.CharField(
        label=_("Responsible section"), max_length=100, required=False
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class NewAgencyForm(AgencyForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=())

    field_order = ["kind", "name"]

    def __init__(self, *args: Any, missing: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = missing  # type: ignore[attr-defined]


class DivisionForm(forms.Form):
    parent = DivisionChoice(label=_("Under"), queryset=Division.objects.none())
    code = forms.CharField(label=_("Statistical code"), max_length=12)
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args: Any, county: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = county_divisions(county).exclude(  # type: ignore[attr-defined]
            level=Division.Level.VILLAGE
        )


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Item name"), max_length=100)
    category = forms.CharField(label=_("Category"), max_length=50)
    materials = forms.CharField(
        label=_("Materials needed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line, as the window's checklist shows them"),
    )
    pays_money = forms.BooleanField(
        label=_("Pays money"),
        required=False,
        help_text=_("Granting this item pays an amount of money, which the agency must report"),
    )
    serves = forms.ChoiceField(label=_("Serves"), choices=Item.Serves.choices, required=False)
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Out of use: new applications cannot ask for it; open referrals go on"),
    )

    def clean_materials(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["materials"].splitlines()]
        materials = [line for line in lines if line]
        if any(len(line) > 200 for line in materials):
            raise forms.ValidationError(_("A material's name is at most 200 characters"))
        return materials
