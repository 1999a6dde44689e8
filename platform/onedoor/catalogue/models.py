from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Agency


class Item(models.Model):
    """An assistance item and the agency kind responsible for it."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=50)
    agency_kind = models.CharField(_("责任部门"), max_length=20, choices=Agency.Kind.choices)
    materials = models.JSONField(_("所需材料"), default=list, blank=True)
    sign_days = models.PositiveSmallIntegerField(_("签收时限（工作日）"), default=2)
    handle_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=10)
    limit_source = models.CharField(_("时限依据"), max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name
