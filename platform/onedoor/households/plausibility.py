"""Whether a household's members fit their relations (a child younger than its parents, ...).

Ages come from the birth dates in the ID numbers. The gaps are the least a clerk would
believe without asking: a parent at least 14 years older than the child, a grandparent 28.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from .idnumber import birth_date

PARENT_GAP_YEARS = 14
GRANDPARENT_GAP_YEARS = 28


@dataclass(frozen=True)
class Person:
    name: str
    relation: str
    born: date


def _years_between(older: date, younger: date) -> int:
    """Whole years from `older` to `younger` (negative if `younger` was born first)."""
    years = younger.year - older.year
    if (younger.month, younger.day) < (older.month, older.day):
        years -= 1
    return years


def people(members: Iterable[Any]) -> list[Person]:
    """Members (model rows or MemberData) with valid ID numbers, as name, relation, birth."""
    found = []
    for m in members:
        try:
            born = birth_date(m.id_number)
        except (ValueError, IndexError):
            continue  # the ID number's own check says what is wrong with it
        found.append(Person(m.name, m.relation, born))
    return found


def implausible(members: Iterable[Any]) -> list[str]:
    """What does not fit, one message per member, relative to the head of household."""
    persons = people(members)
    head = next((p for p in persons if p.relation == "head"), None)
    if head is None:
        return []
    problems = []
    for p in persons:
        if p.relation == "child" and _years_between(head.born, p.born) < PARENT_GAP_YEARS:
            problems.append(
                _(
                    "%(name)s is registered as a child of the head of household %(head)s but "
                    "is not at least %(gap)d years younger: check the relation or the ID number"
                )
                % {"name": p.name, "head": head.name, "gap": PARENT_GAP_YEARS}
            )
        elif p.relation == "grandchild" and (
            _years_between(head.born, p.born) < GRANDPARENT_GAP_YEARS
        ):
            problems.append(
                _(
                    "%(name)s is registered as a grandchild of the head of household %(head)s "
                    "but is not at least %(gap)d years younger: check the relation or the ID "
                    "number"
                )
                % {"name": p.name, "head": head.name, "gap": GRANDPARENT_GAP_YEARS}
            )
        elif p.relation == "parent" and _years_between(p.born, head.born) < PARENT_GAP_YEARS:
            problems.append(
                _(
                    "%(name)s is registered as a parent of the head of household %(head)s but "
                    "is not at least %(gap)d years older: check the relation or the ID number"
                )
                % {"name": p.name, "head": head.name, "gap": PARENT_GAP_YEARS}
            )
    return problems
