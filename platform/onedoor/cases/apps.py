from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "onedoor.cases"
    label = "cases"
    verbose_name = "救助申请"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (registers the service-task handlers)
