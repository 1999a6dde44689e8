from __future__ import annotations

import gc

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Process engine")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The process's garbage collector, tuned for what an engine process holds
        # (WORKFLOWS_GC_THRESHOLD in the settings says why); 0 leaves Python's default.
        threshold = getattr(settings, "WORKFLOWS_GC_THRESHOLD", 0)
        if threshold:
            gc.set_threshold(threshold, *gc.get_threshold()[1:])
