"""Resident identity card numbers (居民身份证号码, GB 11643-1999).

18 characters: 6-digit area code, 8-digit birth date, 3-digit sequence, and a check
character computed with ISO 7064 MOD 11-2 (0-9 or X).
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate_id_number(value: str) -> None:
    """Raise ValidationError with a message a window clerk can act on."""
    number = normalize(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d") % {"n": len(number)},
            code="length",
        )
    if not SHAPE.match(number):
        raise ValidationError(
            _("The first 17 characters of an ID number are digits, the last a digit or X"),
            code="characters",
        )
    try:
        born = birth_date(number)
    except ValueError:
        raise ValidationError(
            _("The birth date %(d)s in the ID number is not a valid date") % {"d": number[6:14]},
            code="birth",
        ) from None
    if born.year < 1900 or born > date.today():  # noqa: DTZ011  (a calendar date, no time zone)
        raise ValidationError(
            _("The birth date %(d)s in the ID number is implausible") % {"d": number[6:14]},
            code="birth",
        )
    if check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check digit is wrong; please check it and enter it again"),
            code="checksum",
        )


def mask(number: str) -> str:
    """1101**********1234: enough to tell people apart, not enough to reuse."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
