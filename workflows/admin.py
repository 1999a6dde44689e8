"""Read-only admin for platform administrators: the engine's tables change only through
workflows.engine. Columns in the platform's language; the serialized state is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import HumanTask, Incident, ProcessDefinition, ProcessEvent, ProcessInstance


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["process_id", "version", "name", "filename", "deployed_at", "deployed_by"]
    list_filter = ["process_id"]
    search_fields = ["process_id", "name", "filename", "content_hash"]
    exclude = ["source", "dependencies"]


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "definition",
        "subject",
        "state",
        "created_at",
        "next_timer_at",
        "failure_count",
        "end_event_name",
    ]
    list_filter = ["state", "definition__process_id"]
    search_fields = ["subject_id"]
    list_select_related = ["definition"]
    exclude = ["serialized"]

    @admin.display(description=_("Subject"))
    def subject(self, obj: ProcessInstance) -> str:
        return f"{obj.subject_type} {obj.subject_id}"


@admin.register(HumanTask)
class HumanTaskAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "process_id",
        "subject_id",
        "lane",
        "candidate_group",
        "state",
        "created_at",
        "due_at",
        "completed_by",
    ]
    list_filter = ["state", "process_id", "lane"]
    search_fields = ["subject_id", "candidate_group", "bpmn_id"]
    list_select_related = ["completed_by"]


@admin.register(ProcessEvent)
class ProcessEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "instance_id", "kind", "bpmn_id", "actor"]
    list_filter = ["kind"]
    list_select_related = ["actor"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["instance_id", "state", "step_name", "message", "attempts", "first_failed_at"]
    list_filter = ["state"]
