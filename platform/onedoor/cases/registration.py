"""Registering an application at the window (登记受理): the household and its members, the case,
the items asked for and whom they are for, and the start of the case's process.

Updating a registered household or member is `registry`; what happens to the case next is
`services`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from onedoor.audit.actions import log_action
from onedoor.catalogue.models import Item
from onedoor.directory.models import Division
from onedoor.households.idnumber import normalize
from onedoor.households.models import Household, Member
from onedoor.households.plausibility import implausible
from workflows import engine

from .models import SUBJECT_CASE, Case, CaseItem, next_reference
from .services import PROCESS_ID, ActionError


class AlreadyRegistered(ActionError):
    """A member's ID number is already registered with a household of this township: the
    application is made from that household (its page offers "apply again")."""

    def __init__(self, message: str, household: Household) -> None:
        super().__init__(message)
        self.household = household


@dataclass(frozen=True)
class MemberData:
    name: str
    id_number: str
    relation: str
    phone: str = ""
    work_capacity: str = Member.WorkCapacity.FULL
    disability: str = Member.Disability.NONE
    serious_illness: bool = False
    in_school: bool = False


def register_application(
    *,
    actor: User,
    township: Division,
    village: Division,
    members: list[MemberData],
    items: list[Item],
    channel: str,
    statement: str,
    consent: bool,
    address: str = "",
    classification: str = Household.Classification.NONE,
    monthly_income_fen: int = 0,
    household: Household | None = None,
    applicant: Member | None = None,
    item_members: Mapping[int, Sequence[str]] | None = None,
) -> Case:
    """一表登记: register the household (or reuse it) and the application, start its process.

    `item_members` names, by ID number, the members each item (by its pk) is for; an item
    left out is pre-filled from the catalogue (`Item.serves`). `applicant` (a member of the
    reused household) defaults to the head of household."""
    if not items:
        raise ActionError(_("Choose at least one assistance item"))
    if household is None:
        problems = implausible(members)
        if problems:
            raise ActionError(pgettext("error separator", "; ").join(problems))
    if village.parent_id != township.pk:
        raise ActionError(_("The village (community) chosen is not in this township (street)"))
    try:
        with transaction.atomic(durable=True):
            if household is None:
                if not members:
                    raise ActionError(_("Register at least one household member"))
                members = [replace(m, id_number=normalize(m.id_number)) for m in members]
                duplicates = Member.objects.filter(id_number__in=[m.id_number for m in members])
                first = duplicates.select_related("household__village").first()
                if first is not None:
                    if first.household.village.parent_id == township.pk:
                        raise AlreadyRegistered(
                            _(
                                "ID number %(id)s is already registered in %(household)s: "
                                "open the household and apply again from it, with nothing "
                                "to type twice"
                            )
                            % {"id": first.masked_id_number, "household": first.household},
                            first.household,
                        )
                    # Another township's (or county's) household is not this window's to see:
                    # say where to turn, not whose it is.
                    raise ActionError(
                        _(
                            "ID number %(id)s is already registered with a household of another "
                            "township (street), so it cannot be registered here again. An "
                            "application is made where the household is registered: ask the "
                            "applicant, or ask the county's joint-conference office to check "
                            "the registration."
                        )
                        % {"id": first.masked_id_number}
                    )
                household = Household.objects.create(
                    village=village,
                    address=address,
                    classification=classification,
                    monthly_income_fen=monthly_income_fen,
                    created_by=actor,
                )
                Member.objects.bulk_create(
                    [Member(household=household, **asdict(m)) for m in members]
                )
            if applicant is None:
                applicant = household.head
            elif applicant.household_id != household.pk:
                raise ActionError(_("The applicant must be a member of the household"))
            assert applicant is not None
            now = timezone.now()
            case = Case.objects.create(
                reference=next_reference(township, timezone.localdate(now).year),
                household=household,
                applicant=applicant,
                township=township,
                channel=channel,
                statement=statement,
                first_contact=actor,
                consent_to_share=consent,
                consent_at=now if consent else None,
            )
            case_items = CaseItem.objects.bulk_create(
                [CaseItem(case=case, item=item) for item in items]
            )
            _name_members(case_items, list(household.members.all()), item_members or {})
            instance = engine.start_process(
                PROCESS_ID,
                subject_type=SUBJECT_CASE,
                subject_id=case.pk,
                data={
                    "township": township.code,
                    "county": township.parent.code if township.parent else "",
                },
                actor=actor,
            )
            case.process = instance
            case.save(update_fields=["process"])
            case.refresh_from_db()  # the stage the engine's projection just wrote
            log_action(
                "case.registered",
                actor=actor,
                case=case,
                after={
                    "reference": case.reference,
                    "items": [i.code for i in items],
                    "channel": channel,
                },
            )
    except IntegrityError as exc:
        # The same form sent twice at once (or two windows registering one person): the
        # members' unique ID numbers decide, and the one that lost is told; none of it is kept.
        raise ActionError(
            _(
                "This household was registered by another submission at the same moment "
                "(was the form sent twice?); nothing was saved from this one. Look for the "
                "household in the case list before registering again."
            )
        ) from exc
    return case


def _name_members(
    case_items: list[CaseItem], members: list[Member], chosen: Mapping[int, Sequence[str]]
) -> None:
    """Each item's members: those chosen by ID number, else whom the catalogue says it serves."""
    by_number = {m.id_number: m for m in members}
    through = CaseItem.members.through
    rows = []
    for case_item in case_items:
        if case_item.item_id in chosen:
            numbers = [normalize(n) for n in chosen[case_item.item_id]]
            unknown = [n for n in numbers if n not in by_number]
            if unknown:
                raise ActionError(_("An item can only be for members of the household"))
            named = [by_number[n] for n in numbers]
        else:
            named = case_item.item.members_served(members)
        rows += [through(caseitem_id=case_item.pk, member_id=m.pk) for m in named]
    through.objects.bulk_create(rows)
