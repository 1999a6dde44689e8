"""The search box in the header: cases and households by name, ID number, phone or reference.

What a clerk types is read as one of two things:

1. A number (digits, dashes, an X): an ID number in full (its unique index) or its last four
   digits or more (a btree over the reversed number: "ends with" read as a prefix range), a
   phone number or part of one, and a case reference or part of one (trigram indexes).
2. Anything else, of two characters or more: part of a member's name (a trigram index).

Members are looked for within the villages the user's scope reaches (access.search_villages),
and what they may open of the households and cases found is decided by the same rules as the
registry and the case list (`visible_households`, `Case.objects.visible_to`). On SQLite (the
demo) the same lookups run without the indexes (onedoor/lib/pgindexes.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.functions import Reverse

from onedoor.households.idnumber import normalize
from onedoor.households.models import Household, Member

from .access import may_see_personal_data, search_villages, visible_households
from .models import Case, Referral

# An ID number's last digits shorter than this match too many people to be worth showing.
MIN_DIGITS = 4
MIN_NAME = 2
# Matching members read at most (a common name in a county), and results shown at most.
MEMBER_LIMIT = 200
RESULT_LIMIT = 20

NUMBER = re.compile(r"^[\d\-]*\d[\d\-]*X?$")
REFERENCE_PART = re.compile(r"^[\d\-]+$")


@dataclass
class CaseHit:
    case: Case
    referrals: list[Referral]
    matched: list[Member]  # the members of the case's household the text matched
    full_numbers: bool  # the one masking rule (access.may_see_personal_data)


@dataclass
class HouseholdHit:
    household: Household
    matched: list[Member]


@dataclass
class Results:
    text: str
    cases: list[CaseHit] = field(default_factory=list)
    households: list[HouseholdHit] = field(default_factory=list)
    more: bool = False  # more matched than are shown: the user should type more
    too_short: bool = False


def _member_condition(text: str) -> tuple[Q | None, str]:
    """The members `text` names, and the part of a reference it may be ("" if none)."""
    compact = normalize(text)
    if NUMBER.match(compact):
        digits = compact.replace("-", "")
        if len(digits) < MIN_DIGITS:
            return None, ""
        if len(digits) == 18:
            condition = Q(id_number=digits)
        else:
            condition = Q(id_reversed__startswith=digits[::-1])
        if digits.isdigit():
            condition |= Q(phone__contains=digits)
        return condition, compact if REFERENCE_PART.match(compact) else ""
    if len(text) < MIN_NAME:
        return None, ""
    # LIKE, not ILIKE: the trigram index serves both, but Django's icontains wraps the column
    # in UPPER(), which the index on the column itself does not.
    return Q(name__contains=text), ""


def search(user: Any, text: str) -> Results:
    """What `user` may open of the cases and households `text` finds, newest first."""
    text = text.strip()
    results = Results(text=text)
    if not text:
        return results
    condition, reference = _member_condition(text)
    if condition is None:
        results.too_short = True
        return results
    villages = search_villages(user)
    if not villages:  # a role without the search
        return results
    members = list(
        Member.objects.alias(id_reversed=Reverse("id_number"))
        .filter(condition, household__village__in=villages)
        .order_by()
        .only("id", "name", "id_number", "relation", "household_id")[:MEMBER_LIMIT]
    )
    results.more = len(members) == MEMBER_LIMIT
    matched: dict[int, list[Member]] = defaultdict(list)
    for member in members:
        matched[member.household_id].append(member)

    found = Q(household__in=list(matched))
    if reference:
        found |= Q(reference__contains=reference)
    cases = list(
        Case.objects.visible_to(user)
        .filter(found)
        .select_related("applicant", "household__village", "township")
        .order_by("-created_at", "-pk")[: RESULT_LIMIT + 1]
    )
    if len(cases) > RESULT_LIMIT:
        results.more, cases = True, cases[:RESULT_LIMIT]
    referrals: dict[int, list[Referral]] = defaultdict(list)
    for referral in (
        Referral.objects.visible_to(user)
        .filter(case__in=[c.pk for c in cases])
        .select_related("item", "agency", "current_task")
        .order_by("pk")
    ):
        referrals[referral.case_id].append(referral)
    results.cases = [
        CaseHit(
            case=case,
            referrals=referrals[case.pk],
            matched=matched.get(case.household_id, []),
            full_numbers=may_see_personal_data(user, referrals[case.pk]),
        )
        for case in cases
    ]
    households = (
        visible_households(user)
        .filter(pk__in=list(matched))
        .select_related("village")
        .prefetch_related("members")
        .order_by("-created_at", "-pk")[:RESULT_LIMIT]
    )
    results.households = [HouseholdHit(household=h, matched=matched[h.pk]) for h in households]
    return results
