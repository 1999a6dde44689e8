from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "onedoor.cases"
    label = "cases"
    verbose_name = "救助申请"

    def ready(self) -> None:
        from . import handlers, projection  # noqa: F401  (service-task handlers, engine signal)
