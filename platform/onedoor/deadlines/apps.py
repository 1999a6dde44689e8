from __future__ import annotations

from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "onedoor.deadlines"
    label = "deadlines"
    verbose_name = "办理时限"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (registers the service-task handlers)
