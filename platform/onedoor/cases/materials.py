"""The case's materials: the checklist from the catalogue, what the window received, and the
scanned documents attached to the case. One function per change, each audited.

No engine step is involved: the checklist is the window's record (收件), not a step of the
path, so nothing here takes the process lock.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from onedoor.audit.actions import log_action
from onedoor.inputs import EARLIEST_DATE

from .models import Attachment, Case, CaseItem, CaseMaterial, Referral
from .services import ActionError

# What a scan or a photo of a document is, by its first bytes (the name can say anything).
SIGNATURES = (
    (b"%PDF-", ".pdf", "application/pdf"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
)
NAME_MAX = 200


@dataclass
class Line:
    """A line of the checklist: the material, the items needing it, and what was received."""

    name: str
    items: list[str] = field(default_factory=list)
    received: CaseMaterial | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Requested:
    """An item the household asked for, as the case and referral pages show it."""

    item_id: int
    code: str
    name: str
    materials: list[str]
    for_names: str  # whom it is for ("张三, 李四"; "" for the household as a whole)
    referred: bool  # referred in `requested`'s referrals (True when none were given)


def requested(case_id: int, referrals: QuerySet[Referral] | None = None) -> list[Requested]:
    """The case's requested items in the catalogue's order, each with its materials and whom it
    is for: one statement, read once for the checklist, the items applied for and the names
    (as `CaseItem.names_for` joins them). `referrals`: each item is marked whether one of
    these referred it (access.requested_items: those the user may see)."""
    rows = CaseItem.objects.filter(case_id=case_id)
    if referrals is not None:
        rows = rows.annotate(
            referred=Exists(
                referrals.filter(case_id=OuterRef("case_id"), item_id=OuterRef("item_id"))
            )
        )
    else:
        rows = rows.annotate(referred=Value(True))
    found: dict[int, tuple[int, str, str, list[str], list[str], bool]] = {}
    for pk, item_id, code, name, needed, member, referred in rows.order_by(
        "item__category", "item__code", "pk", "members__id"
    ).values_list(
        "pk", "item_id", "item__code", "item__name", "item__materials", "members__name", "referred"
    ):
        entry = found.setdefault(pk, (item_id, code, name, needed or [], [], referred))
        if member is not None:
            entry[4].append(member)
    separator = pgettext("list separator", ", ")
    return [
        Requested(item_id, code, name, needed, separator.join(members), referred)
        for item_id, code, name, needed, members, referred in found.values()
    ]


def checklist(case: Case, items: Iterable[Requested] | None = None) -> list[Line]:
    """The union of the requested items' catalogue materials, in the catalogue's order, then
    any material received or attached under another name. Three queries, two when the
    items were read already (`requested`)."""
    lines: dict[str, Line] = {}
    for case_item in requested(case.pk) if items is None else items:
        for name in case_item.materials:
            lines.setdefault(name, Line(name)).items.append(case_item.name)
    for received in case.materials.select_related("recorded_by__staff"):
        lines.setdefault(received.name, Line(received.name)).received = received
    for attachment in case.attachments.all():  # who uploaded it is not shown: not joined
        key = attachment.material or _("Other documents")
        lines.setdefault(key, Line(key)).attachments.append(attachment)
    return list(lines.values())


def _names(case: Case) -> set[str]:
    return {line.name for line in checklist(case) if line.items}


def record_received(case: Case, *, actor: User, name: str, received_on: date) -> CaseMaterial:
    """Tick a checklist line received, on the day it was."""
    if name not in _names(case):
        raise ActionError(_("This material is not on the case's checklist; reload the page"))
    if not EARLIEST_DATE <= received_on <= timezone.localdate():
        raise ActionError(_("The day received cannot be in the future"))
    if received_on < timezone.localtime(case.created_at).date():
        raise ActionError(_("The day received cannot be before the application was registered"))
    try:
        with transaction.atomic(durable=True):
            row, created = CaseMaterial.objects.get_or_create(
                case=case,
                name=name,
                defaults={"received_on": received_on, "recorded_by": actor},
            )
            if not created:
                return row  # a second click, or a colleague was quicker: nothing to change
            log_action(
                "case.material_received",
                actor=actor,
                case=case,
                data={"material": name, "received_on": received_on.isoformat()},
            )
    except IntegrityError:  # the same line ticked at the same moment in another tab
        return CaseMaterial.objects.get(case=case, name=name)
    return row


def unrecord_received(case: Case, *, actor: User, name: str) -> None:
    """Untick a line ticked by mistake (the audit trail keeps both)."""
    with transaction.atomic(durable=True):
        row = CaseMaterial.objects.select_for_update().filter(case=case, name=name).first()
        if row is None:
            return
        log_action(
            "case.material_unticked",
            actor=actor,
            case=case,
            before={"received_on": row.received_on.isoformat()},
            data={"material": name},
        )
        row.delete()


def _kind_of(head: bytes) -> tuple[str, str] | None:
    for signature, extension, content_type in SIGNATURES:
        if head.startswith(signature):
            return extension, content_type
    return None


def attach(case: Case, *, actor: User, upload: UploadedFile, material: str) -> Attachment:
    """Keep a scanned document of the case: a PDF, JPEG or PNG file of a bounded size."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ActionError(_("The file is empty"))
    if upload.size > limit:
        raise ActionError(
            _("The file is %(size).1f MB; at most %(limit)d MB may be attached")
            % {"size": upload.size / 1048576, "limit": limit // 1048576}
        )
    material = material.strip()
    if material and material not in _names(case):
        raise ActionError(_("This material is not on the case's checklist; reload the page"))
    upload.seek(0)
    kind = _kind_of(upload.read(16))
    if kind is None:
        raise ActionError(_("Only PDF files and JPEG or PNG pictures can be attached"))
    extension, content_type = kind
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = (upload.name or "").replace("\x00", "").strip()[:NAME_MAX] or _("document")
    with transaction.atomic(durable=True):
        if case.attachments.filter(sha256=digest.hexdigest()).exists():
            raise ActionError(_("This file is attached to the case already"))
        attachment = Attachment(
            case=case,
            material=material,
            token=secrets.token_hex(16),
            extension=extension,
            original_name=original,
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(f"upload{extension}", upload, save=False)
        try:
            attachment.save()
            log_action(
                "case.attachment_added",
                actor=actor,
                case=case,
                data={"file": original, "material": material, "size": upload.size},
            )
        except BaseException:
            attachment.file.delete(save=False)  # no file without its row
            raise
    return attachment
