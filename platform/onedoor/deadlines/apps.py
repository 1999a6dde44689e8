from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "onedoor.deadlines"
    label = "deadlines"
    verbose_name = _("Time limits")

    def ready(self) -> None:
        from . import (
            cache,  # noqa: F401  (empties the rule and calendar caches when they are edited)
            handlers,  # noqa: F401  (registers the service-task handlers)
        )
