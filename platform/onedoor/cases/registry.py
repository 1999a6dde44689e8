"""The household registry's actions: update a household, update or add a member.

One function per action, each in one durable transaction that locks the household row,
checks the page the user saw is still what stands (a colleague's change in between is not
overwritten), and writes one audit event with the values before and after.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from onedoor.audit.actions import log_action
from onedoor.households.idnumber import normalize
from onedoor.households.models import Household, Member
from onedoor.households.plausibility import implausible

from .registration import MemberData
from .services import ActionError

HOUSEHOLD_FIELDS = ("address", "classification", "monthly_income_fen")
MEMBER_FIELDS = tuple(f.name for f in fields(MemberData))


def household_facts(household: Household) -> dict[str, Any]:
    return {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}


def member_facts(member: Member | MemberData) -> dict[str, Any]:
    return {name: getattr(member, name) for name in MEMBER_FIELDS}


def fingerprint(facts: dict[str, Any]) -> str:
    """A short digest of what a page showed: the form carries it, the action compares it."""
    text = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


STALE = gettext_lazy(
    "This was changed by someone else after your page was shown; nothing was saved. "
    "The page now shows the current values: enter your changes again."
)


class NothingChanged(ActionError):
    """The values sent are the ones already recorded (a double submit, or no edit)."""


def update_household(
    household: Household,
    *,
    actor: User,
    address: str,
    classification: str,
    monthly_income_fen: int,
    seen: str,
) -> Household:
    """Update a household's address, classification and income (audited before/after)."""
    if classification not in Household.Classification.values:
        raise ActionError(_("Please choose the household classification"))
    with transaction.atomic(durable=True):
        household = Household.objects.select_for_update().get(pk=household.pk)
        before = household_facts(household)
        after = {
            "address": address.strip(),
            "classification": classification,
            "monthly_income_fen": monthly_income_fen,
        }
        old, new = _changes(before, after)
        if not new:
            raise NothingChanged(_("Nothing was changed: the household already reads so"))
        if fingerprint(before) != seen:
            raise ActionError(str(STALE))
        for name, value in new.items():
            setattr(household, name, value)
        household.save(update_fields=list(new))
        log_action("household.updated", actor=actor, household=household, before=old, after=new)
    return household


def _check_members(household: Household, members: list[Any]) -> None:
    heads = [m for m in members if m.relation == Member.Relation.HEAD]
    if len(heads) != 1:
        raise ActionError(_("Register exactly one head of household"))
    problems = implausible(members)
    if problems:
        raise ActionError(pgettext("error separator", "; ").join(problems))


def update_member(member: Member, *, actor: User, data: MemberData, seen: str) -> Member:
    """Update a member's details and circumstances (ID number, relation, work capacity,
    disability, illness, schooling), audited before/after; the household must still fit."""
    data = MemberData(**{**asdict(data), "id_number": normalize(data.id_number)})
    try:
        with transaction.atomic(durable=True):
            household = Household.objects.select_for_update().get(pk=member.household_id)
            member = Member.objects.get(pk=member.pk)
            before = member_facts(member)
            old, new = _changes(before, member_facts(data))
            if not new:
                raise NothingChanged(_("Nothing was changed: the member already reads so"))
            if fingerprint(before) != seen:
                raise ActionError(str(STALE))
            if (
                "id_number" in new
                and Member.objects.filter(id_number=data.id_number).exclude(pk=member.pk).exists()
            ):
                raise ActionError(
                    _("ID number %(id)s is already registered with another person")
                    % {"id": Member(id_number=data.id_number).masked_id_number}
                )
            others = list(household.members.exclude(pk=member.pk))
            _check_members(household, [*others, data])
            for name, value in new.items():
                setattr(member, name, value)
            member.save(update_fields=list(new))
            log_action(
                "household.member_updated",
                actor=actor,
                household=household,
                before={"member": {"name": before["name"], **old}},
                after={"member": {"name": member.name, **new}},
            )
    except IntegrityError as exc:  # the same ID number saved elsewhere at the same moment
        raise ActionError(
            _("ID number %(id)s is already registered with another person")
            % {"id": Member(id_number=data.id_number).masked_id_number}
        ) from exc
    return member


def add_member(household: Household, *, actor: User, data: MemberData) -> Member:
    """Add a member to a registered household (a birth, a marriage, someone moving in)."""
    data = MemberData(**{**asdict(data), "id_number": normalize(data.id_number)})
    taken = _("ID number %(id)s is already registered with another person") % {
        "id": Member(id_number=data.id_number).masked_id_number
    }
    try:
        with transaction.atomic(durable=True):
            household = Household.objects.select_for_update().get(pk=household.pk)
            if Member.objects.filter(id_number=data.id_number).exists():
                # A double submit finds the member it added: say so rather than "taken".
                if household.members.filter(id_number=data.id_number).exists():
                    raise NothingChanged(
                        _("%(name)s is already a member of this household") % {"name": data.name}
                    )
                raise ActionError(taken)
            _check_members(household, [*household.members.all(), data])
            member = Member.objects.create(household=household, **asdict(data))
            log_action(
                "household.member_added",
                actor=actor,
                household=household,
                after={"member": member_facts(member)},
            )
    except IntegrityError as exc:
        raise ActionError(taken) from exc
    return member
