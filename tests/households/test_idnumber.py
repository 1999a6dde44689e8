"""身份证 validation: length, characters, birth date, and the ISO 7064 MOD 11-2 check digit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from onedoor.households.idnumber import check_character, mask, normalize, validate_id_number

# A published sample number (GB 11643 examples use this one), valid by construction.
VALID = "11010519491231002X"


def test_a_valid_number_passes_in_lower_or_upper_case() -> None:
    validate_id_number(VALID)
    validate_id_number(VALID.lower())
    assert normalize(" 11010519491231002x ") == VALID


def test_the_check_character_follows_mod_11_2() -> None:
    assert check_character(VALID[:17]) == "X"
    assert check_character("13030219800101123") in "0123456789X"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1101051949123100", "应为18位"),
        ("11010519491231002A", "最后一位为数字或X"),
        ("11010519491331002X", "出生日期"),
        ("110105189912310029", "不合理"),
        ("110105194912310021", "校验位错误"),
    ],
)
def test_wrong_numbers_are_refused_with_a_message_the_clerk_can_act_on(
    number: str, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_id_number(number)
    assert message in exc.value.messages[0]


def test_masking_keeps_four_characters_at_each_end() -> None:
    assert mask(VALID) == "1101**********002X"
