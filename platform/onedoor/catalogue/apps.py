from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "onedoor.catalogue"
    label = "catalogue"
    verbose_name = _("Item catalogue")
