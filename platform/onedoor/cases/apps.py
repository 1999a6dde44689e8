from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "onedoor.cases"
    label = "cases"
    verbose_name = _("Assistance applications")

    def ready(self) -> None:
        from . import handlers, projection  # noqa: F401  (service-task handlers, engine signal)
