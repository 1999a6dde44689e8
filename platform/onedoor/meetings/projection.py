"""Keeps Meeting.stage in line with the joint-meeting process, in the engine's transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from workflows.models import HumanTask, ProcessInstance
from workflows.signals import instance_advanced

from .models import SUBJECT_MEETING, Meeting


@receiver(instance_advanced, dispatch_uid="meetings.project_meeting")
def project_meeting(
    sender: Any,
    instance: ProcessInstance,
    opened: list[HumanTask],
    closed: list[HumanTask],
    **kwargs: Any,
) -> None:
    if instance.subject_type != SUBJECT_MEETING:
        return
    if instance.state == ProcessInstance.State.COMPLETED:
        stage, name = instance.end_event, instance.end_event_name
    else:
        row = (
            HumanTask.objects.filter(instance=instance, state=HumanTask.State.OPEN)
            .order_by("scope", "id")
            .first()
        )
        if row is None:
            return
        stage, name = (row.scope, row.scope_name) if row.scope else (row.bpmn_id, row.name)
    Meeting.objects.filter(pk=instance.subject_id).update(stage=stage, stage_name=name)
