from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "流程引擎"
    default_auto_field = "django.db.models.BigAutoField"
