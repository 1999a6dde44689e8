from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onedoor.inputs import BoundedDateField

from .figures import preset_period

# A wider period is a different question (trends), and one scan of it would be slow.
LONGEST_PERIOD = timedelta(days=366 * 3)

PRESET_CHOICES = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
]


class PeriodForm(forms.Form):
    """From/to dates, or a preset; nothing given means this year."""

    preset = forms.ChoiceField(choices=PRESET_CHOICES, required=False)
    start = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preset = data.get("preset")
        start, end = data.get("start"), data.get("end")
        if preset:
            start, end = preset_period(preset, self.today)
        else:
            end = end or self.today
            start = start or date(end.year, 1, 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if end - start > LONGEST_PERIOD:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        """The valid period, or this year when the input was not valid."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return preset_period("year", self.today)


class ProcessLoadForm(forms.Form):
    """Where cases pile up, narrowed: a township, an agency, the days the tasks opened on."""

    township = forms.ChoiceField(label=_("Township"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    start = BoundedDateField(
        label=_("Opened from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        label=_("Opened until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        townships: list[tuple[str, str]],
        agencies: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["township"].choices = every + townships  # type: ignore[attr-defined]
        self.fields["agency"].choices = every + agencies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data
