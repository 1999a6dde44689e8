from __future__ import annotations

from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "onedoor.catalogue"
    label = "catalogue"
    verbose_name = "事项清单"
