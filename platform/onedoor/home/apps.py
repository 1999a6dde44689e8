from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "onedoor.home"
    label = "home"
    verbose_name = _("Home")

    def ready(self) -> None:
        from workflows.signals import incident_opened

        from .services import record_incident_opened

        incident_opened.connect(record_incident_opened, dispatch_uid="onedoor.incident_opened")
