"""Read-only admin: the engine's tables change only through workflows.engine."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["process_id", "version", "name", "filename", "deployed_at"]
    exclude = ["source"]


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = ["pk", "definition", "subject_type", "subject_id", "state", "next_timer_at"]
    list_filter = ["state"]
    exclude = ["serialized"]


@admin.register(HumanTask)
class HumanTaskAdmin(ReadOnlyAdmin):
    list_display = ["name", "lane", "candidate_group", "state", "due_at", "completed_by"]
    list_filter = ["state", "lane"]


@admin.register(ProcessEvent)
class ProcessEventAdmin(ReadOnlyAdmin):
    list_display = ["instance", "kind", "bpmn_id", "actor", "at"]
    list_filter = ["kind"]
