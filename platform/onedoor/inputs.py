"""Form fields that refuse what the database cannot take, with a message, before any query.

Django's own fields accept a date in year 1 or 9999 (the period's arithmetic then overflows),
an id of any length (PostgreSQL refuses an `IN` beyond bigint), any amount the decimal
places allow (the integer fen column overflows on PostgreSQL, SQLite stored it) and text of
any length. These say, in the user's language, what is allowed instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Dates the platform deals in: nothing it records is older, no time limit runs further.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# A remark, a reason, a note; a household's statement of its difficulties.
NOTE_MAX = 2000
STATEMENT_MAX = 4000
# The largest id a bigint primary key holds.
LARGEST_ID = 2**63 - 1
# Money in yuan: a household's monthly income, an amount granted. Both are stored as integer
# fen in a 32-bit column (at most 21,474,836.47 yuan); these maxima stay well inside it and
# above any real figure.
INCOME_MAX_YUAN = Decimal("999999.99")
AMOUNT_MAX_YUAN = Decimal("9999999.99")


class BoundedDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(
                _("Enter a date between %(earliest)s and %(latest)s."),
                code="out_of_range",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )


def yuan_field(label: Any, *, maximum: Decimal, **kwargs: Any) -> forms.DecimalField:
    """An amount in yuan, to the fen, from 0 to `maximum`, with a message naming the limit."""
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=maximum,
        decimal_places=2,
        max_digits=len(str(int(maximum))) + 2,
        error_messages={
            "max_value": _("At most %(limit_value)s yuan."),
            "max_digits": _("At most %(limit)s yuan.") % {"limit": maximum},
            "max_whole_digits": _("At most %(limit)s yuan.") % {"limit": maximum},
        },
        **kwargs,
    )


def _plausible_id(value: Any) -> bool:
    text = str(value).strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= LARGEST_ID


class IdChoiceField(forms.ModelChoiceField):
    """A model choice whose submitted id is looked up only if a bigint can hold it."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _plausible_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several model choices, each id looked up only if a bigint can hold it."""

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else [value]:
            if not _plausible_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:50]},
                )
        return super()._check_values(value)  # type: ignore[misc]


class NoticeLevelForm(forms.Form):
    """What every 督办 form asks besides its remarks: the level it goes at (never below
    `lowest`, where the case or decision already stands) and how many notices the page was
    drawn with, so the same form sent twice sends nothing. Subclasses name the LEVELS and add
    the remarks."""

    LEVELS: tuple[tuple[int, Any], ...] = ()
    # Not sent (a page drawn before levels were offered): the lowest level it may take.
    level = forms.TypedChoiceField(
        label=_("Supervision level"),
        coerce=int,
        choices=(),
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )
    notices_seen = forms.IntegerField(min_value=0, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, lowest: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        level = self.fields["level"]
        assert isinstance(level, forms.TypedChoiceField)
        level.choices = [(n, label) for n, label in self.LEVELS if n >= lowest]
        level.initial = self.lowest = lowest

    def clean_level(self) -> int:
        chosen = self.cleaned_data.get("level")
        return self.lowest if chosen is None else int(chosen)
