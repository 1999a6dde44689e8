"""Every change a county's administrator makes: staff accounts, agencies, divisions.

One function per action, each in one durable transaction with its audit event (before and
after), refusing with a message in the user's language what would leave the directory
inconsistent: a scope outside the county, a role at the wrong level, an officer without an
agency, a code that does not fit its parent.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Division, Staff

Role = Staff.Role
# The level of division each role works in (Staff.division).
ROLE_LEVEL = {
    Role.WINDOW: Division.Level.TOWNSHIP,
    Role.VILLAGE_ASSISTANT: Division.Level.VILLAGE,
    Role.AGENCY_OFFICER: Division.Level.COUNTY,
    Role.COORDINATOR: Division.Level.COUNTY,
    Role.SUPERVISOR: Division.Level.COUNTY,
    Role.ADMINISTRATOR: Division.Level.COUNTY,
}
# A child's statistical code (统计用区划代码) extends its parent's by three digits.
CHILD_LEVEL = {
    Division.Level.COUNTY: Division.Level.TOWNSHIP,
    Division.Level.TOWNSHIP: Division.Level.VILLAGE,
}
USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


class AdminError(Exception):
    """A change refused, with the reason in the user's language."""


def _staff_snapshot(staff: Staff) -> dict[str, Any]:
    return {
        "name": staff.user.get_full_name(),
        "role": staff.role,
        "division": staff.division.code,
        "agency": staff.agency.code if staff.agency else None,
        "leader": staff.is_agency_leader,
        "phone": staff.phone,
        "active": staff.user.is_active,
    }


def _check_scope(
    county: Division, role: str, division: Division, agency: Agency | None, leader: bool
) -> None:
    if role not in Role.values:
        raise AdminError(_("Choose a role"))
    if division.county.pk != county.pk:
        raise AdminError(_("%(division)s is not in this county") % {"division": division})
    if division.level != ROLE_LEVEL[Role(role)]:
        raise AdminError(
            _("%(role)s work in a %(level)s")
            % {
                "role": Role(role).label,
                "level": Division.Level(ROLE_LEVEL[Role(role)]).label,
            }
        )
    if role == Role.AGENCY_OFFICER:
        if agency is None:
            raise AdminError(_("An agency officer needs an agency"))
        if agency.county_id != county.pk:
            raise AdminError(_("%(agency)s is not an agency of this county") % {"agency": agency})
    elif agency is not None or leader:
        raise AdminError(_("Only agency officers belong to an agency"))


def _split_name(full_name: str) -> tuple[str, str]:
    """Chinese names are written whole: kept in first_name, so get_full_name() returns it."""
    return full_name.strip(), ""


def create_staff(
    county: Division,
    *,
    actor: User,
    username: str,
    full_name: str,
    role: str,
    division: Division,
    agency: Agency | None,
    is_agency_leader: bool,
    phone: str,
    password: str,
) -> Staff:
    username = username.strip()
    if not USERNAME.match(username):
        raise AdminError(_("A login name has 2 to 150 letters, digits or _ . @ + -"))
    if not full_name.strip():
        raise AdminError(_("Please give the person's name"))
    _check_scope(county, role, division, agency, is_agency_leader)
    User = get_user_model()
    first, last = _split_name(full_name)
    user = User(username=username, first_name=first, last_name=last)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    user.set_password(password)
    try:
        with transaction.atomic(durable=True):
            if User.objects.filter(username__iexact=username).exists():
                raise AdminError(_("The login name %(name)s is taken") % {"name": username})
            user.save()
            staff = Staff.objects.create(
                user=user,
                role=role,
                division=division,
                agency=agency,
                is_agency_leader=is_agency_leader,
                phone=phone.strip(),
            )
            log_action(
                "staff.created",
                actor=actor,
                after=_staff_snapshot(staff),
                data={"staff": staff.pk, "username": username},
            )
    except IntegrityError as exc:  # the same name, created a moment ago in another tab
        raise AdminError(_("The login name %(name)s is taken") % {"name": username}) from exc
    return staff


def update_staff(
    staff: Staff,
    *,
    actor: User,
    full_name: str,
    role: str,
    division: Division,
    agency: Agency | None,
    is_agency_leader: bool,
    phone: str,
) -> Staff:
    county = staff.county
    if not full_name.strip():
        raise AdminError(_("Please give the person's name"))
    _check_scope(county, role, division, agency, is_agency_leader)
    if staff.user_id == getattr(actor, "pk", None) and role != staff.role:
        raise AdminError(_("You cannot change your own role"))
    with transaction.atomic(durable=True):
        staff = Staff.objects.select_for_update().select_related("user").get(pk=staff.pk)
        before = _staff_snapshot(staff)
        staff.user.first_name, staff.user.last_name = _split_name(full_name)
        staff.user.save(update_fields=["first_name", "last_name"])
        staff.role, staff.division, staff.agency = role, division, agency
        staff.is_agency_leader, staff.phone = is_agency_leader, phone.strip()
        staff.save()
        after = _staff_snapshot(staff)
        if after != before:
            log_action(
                "staff.changed",
                actor=actor,
                before=before,
                after=after,
                data={"staff": staff.pk, "username": staff.user.get_username()},
            )
    return staff


def set_staff_active(staff: Staff, *, actor: User, active: bool) -> Staff:
    """Deactivate (the person can no longer sign in; their history stays) or reactivate."""
    if staff.user_id == getattr(actor, "pk", None) and not active:
        raise AdminError(_("You cannot deactivate your own account"))
    with transaction.atomic(durable=True):
        staff = Staff.objects.select_for_update().select_related("user").get(pk=staff.pk)
        if staff.user.is_active == active:
            return staff  # a second click of the same button changes nothing
        staff.user.is_active = active
        staff.user.save(update_fields=["is_active"])
        log_action(
            "staff.activated" if active else "staff.deactivated",
            actor=actor,
            before={"active": not active},
            after={"active": active},
            data={"staff": staff.pk, "username": staff.user.get_username()},
        )
    return staff


def reset_password(staff: Staff, *, actor: User, password: str) -> None:
    """Set a new password the person is told in person; the audit records that, not it."""
    user = staff.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AdminError(" ".join(exc.messages)) from exc
    with transaction.atomic(durable=True):
        user = type(user).objects.select_for_update().get(pk=user.pk)
        if user.check_password(password):
            return  # the same form sent twice: the password is already this one
        user.set_password(password)
        user.save(update_fields=["password"])
        log_action(
            "staff.password_reset",
            actor=actor,
            data={"staff": staff.pk, "username": user.get_username()},
        )


AGENCY_FIELDS = (
    "name",
    "responsible_section",
    "leader_in_charge",
    "contact_person",
    "contact_phone",
)


def update_agency(agency: Agency, *, actor: User, **fields: str) -> Agency:
    """An agency's name and the three the seed documents ask for (leader, section, contact)."""
    values = {name: str(fields.get(name, "")).strip() for name in AGENCY_FIELDS}
    if not values["name"]:
        raise AdminError(_("Please give the agency's name"))
    with transaction.atomic(durable=True):
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        before = {name: getattr(agency, name) for name in AGENCY_FIELDS}
        if before == values:
            return agency
        for name, value in values.items():
            setattr(agency, name, value)
        agency.save()
        log_action(
            "agency.changed",
            actor=actor,
            before=before,
            after=values,
            data={"agency": agency.code},
        )
    return agency


def create_agency(county: Division, *, actor: User, kind: str, **fields: str) -> Agency:
    """A county's agency of a kind it has none of yet (one per kind: the catalogue routes each
    item to its county's agency of the item's kind)."""
    if kind not in Agency.Kind.values:
        raise AdminError(_("Choose the kind of agency"))
    values = {name: str(fields.get(name, "")).strip() for name in AGENCY_FIELDS}
    if not values["name"]:
        raise AdminError(_("Please give the agency's name"))
    code = f"{county.code}-{kind}"
    try:
        with transaction.atomic(durable=True):
            if Agency.objects.filter(county=county, kind=kind).exists():
                raise AdminError(
                    _("This county already has an agency for %(kind)s")
                    % {"kind": Agency.Kind(kind).label}
                )
            agency = Agency.objects.create(code=code, kind=kind, county=county, **values)
            log_action(
                "agency.created", actor=actor, after=values | {"kind": kind}, data={"agency": code}
            )
    except IntegrityError as exc:
        raise AdminError(
            _("This county already has an agency for %(kind)s") % {"kind": Agency.Kind(kind).label}
        ) from exc
    return agency


def add_division(parent: Division, *, actor: User, code: str, name: str) -> Division:
    """A township under the county, or a village under a township, by its statistical code."""
    level = CHILD_LEVEL.get(Division.Level(parent.level))
    if level is None:
        raise AdminError(_("Villages have no divisions under them"))
    code, name = code.strip(), name.strip()
    if not name:
        raise AdminError(_("Please give the name"))
    if not (code.isascii() and code.isdigit() and len(code) == len(parent.code) + 3):
        raise AdminError(
            _("The code is %(parent)s followed by three digits") % {"parent": parent.code}
        )
    if not code.startswith(parent.code):
        raise AdminError(
            _("The code of a division of %(parent)s starts with %(code)s")
            % {"parent": parent, "code": parent.code}
        )
    try:
        with transaction.atomic(durable=True):
            if Division.objects.filter(code=code).exists():
                raise AdminError(_("The code %(code)s is in use") % {"code": code})
            division = Division.objects.create(code=code, name=name, level=level, parent=parent)
            log_action(
                "division.created",
                actor=actor,
                after={"code": code, "name": name, "level": level},
                data={"division": code},
            )
    except IntegrityError as exc:
        raise AdminError(_("The code %(code)s is in use") % {"code": code}) from exc
    return division


def rename_division(division: Division, *, actor: User, name: str) -> Division:
    """The name only: the code is what cases, staff and task groups refer to."""
    name = name.strip()
    if not name:
        raise AdminError(_("Please give the name"))
    with transaction.atomic(durable=True):
        division = Division.objects.select_for_update().get(pk=division.pk)
        if division.name == name:
            return division
        before = division.name
        division.name = name
        division.save(update_fields=["name"])
        log_action(
            "division.renamed",
            actor=actor,
            before={"name": before},
            after={"name": name},
            data={"division": division.code},
        )
    return division


ITEM_FIELDS = ("name", "category", "materials", "pays_money", "serves", "is_active")


def update_item(item: Item, *, actor: User, **fields: Any) -> Item:
    """An item of the catalogue: its name and category, the materials an application needs,
    whether granting it pays money, whom it serves, whether new applications may ask for it
    (open referrals of an item taken out of use go on as they are)."""
    values = {
        "name": str(fields.get("name", "")).strip(),
        "category": str(fields.get("category", "")).strip(),
        "materials": [str(m).strip() for m in fields.get("materials", []) if str(m).strip()],
        "pays_money": bool(fields.get("pays_money")),
        "serves": str(fields.get("serves", "")),
        "is_active": bool(fields.get("is_active")),
    }
    if not values["name"] or not values["category"]:
        raise AdminError(_("Please give the item's name and category"))
    if values["serves"] not in Item.Serves.values:
        raise AdminError(_("Choose whom the item serves"))
    with transaction.atomic(durable=True):
        item = Item.objects.select_for_update().get(pk=item.pk)
        before = {name: getattr(item, name) for name in ITEM_FIELDS}
        if before == values:
            return item
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
        log_action(
            "item.changed",
            actor=actor,
            before=before,
            after=values,
            data={"item": item.code},
        )
    return item
