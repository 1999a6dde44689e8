"""What the window keeps on a case besides its referrals: notices to the household (告知),
the materials checklist, scanned attachments, and the audit trail's snapshots."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .referrals import Referral


def attachments_storage() -> Any:
    """Where attachments are kept: settings.STORAGES["attachments"]."""
    from django.core.files.storage import storages

    return storages["attachments"]


class ApplicantNotice(models.Model):
    """What the window told the household, how, and when (告知)."""

    class Channel(models.TextChoices):
        IN_WRITING = "writing", _("In writing")
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        SMS = "sms", _("By text message")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=20, default="outcome")  # outcome | refusal
    channel = models.CharField(_("Notice channel"), max_length=20, choices=Channel.choices)
    text = models.TextField(_("Notice text"))
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.case} {self.get_channel_display()}"


def describe(obj: Any) -> dict[str, Any]:
    """A small before/after snapshot for the audit trail."""
    if isinstance(obj, Referral):
        return {
            "agency": obj.agency.code,
            "step": obj.step,
            "outcome": obj.outcome,
            "returns": obj.returns,
            "transfers": obj.transfers,
            # The amount granted, once fed back (the records read it in words).
            **({"amount_fen": obj.amount_fen} if obj.amount_fen is not None else {}),
        }
    if isinstance(obj, Case):
        return {"stage": obj.stage}
    return {}


class CaseMaterial(models.Model):
    """A line of the case's materials checklist (收件清单) the window has received, and when.

    The checklist is the union of the requested items' materials in the catalogue
    (`Item.materials`); a line not received has no row.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("Material"), max_length=200)
    received_on = models.DateField(_("Received on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="case_material_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.name}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Files by case, under a random name: the original name is kept in the row only."""
    return f"cases/{instance.case_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A scanned document of a case (ID card, household register, receipts...), kept in the
    attachments storage (settings.STORAGES["attachments"]: a folder, or an S3-compatible
    store) and served only to those who may see the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    material = models.CharField(_("Material"), max_length=200, blank=True)
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(storage=attachments_storage, upload_to=attachment_path)
    original_name = models.CharField(_("File name"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("Size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
