"""A household's members fit their relations: ages from the ID numbers' birth dates."""

from __future__ import annotations

from dataclasses import dataclass

from onedoor.households.idnumber import check_character
from onedoor.households.plausibility import implausible


@dataclass
class M:
    name: str
    relation: str
    id_number: str


def number(birth: str, seq: int = 1) -> str:
    first17 = f"130302{birth}{seq:03d}"
    return first17 + check_character(first17)


def test_a_head_born_in_2005_with_a_child_born_in_1965_does_not_fit() -> None:
    problems = implausible(
        [M("户主", "head", number("20050101")), M("子女", "child", number("19650101", 2))]
    )
    assert len(problems) == 1 and "子女" in problems[0]


def test_each_relation_needs_its_generation_gap() -> None:
    head = M("户主", "head", number("19800615"))
    assert (
        implausible(
            [
                head,
                M("配偶", "spouse", number("19850101", 2)),
                M("子女", "child", number("20040101", 3)),
                M("孙子女", "grandchild", number("20100101", 4)),
                M("父母", "parent", number("19660101", 5)),
            ]
        )
        == []
    )
    # 13 years and 364 days younger is not yet 14: the day of birth counts.
    young_parent = implausible([head, M("子女", "child", number("19940614", 3))])
    grandchild_too_old = implausible([head, M("孙", "grandchild", number("20000101", 4))])
    parent_too_young = implausible([head, M("父", "parent", number("19700101", 5))])
    assert [len(p) for p in (young_parent, grandchild_too_old, parent_too_young)] == [1, 1, 1]
    assert implausible([head, M("子女", "child", number("19940615", 3))]) == []
