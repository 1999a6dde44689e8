"""Keeps Meeting.stage in line with the joint-meeting process, and a special-assistance
decision in line with its referral, in the engine's transaction."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.cases.models import SUBJECT_CASE, Referral
from workflows.models import HumanTask, ProcessInstance
from workflows.signals import instance_advanced

from . import notify
from .effects import REFERRAL_PROCESS
from .models import SUBJECT_MEETING, Decision, Meeting


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


@receiver(instance_advanced, dispatch_uid="meetings.project_special_referral")
def project_special_referral(
    sender: Any,
    instance: ProcessInstance,
    closed: list[HumanTask],
    **kwargs: Any,
) -> None:
    """A special-assistance decision is carried out when its referral is fed back (反馈): the
    lead unit's 办理并反馈 completed with an outcome, in the referral's own process."""
    if instance.subject_type != SUBJECT_CASE:
        return
    # Only a decision's referral runs in a process of its own (effects.REFERRAL_PROCESS): a
    # case's one-door process holds none, and its feedback reads no decision.
    done = [
        row
        for row in closed
        if row.bpmn_id == "handle_referral" and row.process_id == REFERRAL_PROCESS
    ]
    if not done:
        return
    decision = (
        Decision.objects.filter(process=instance, done_at__isnull=True)
        .select_related("meeting__conference__county", "new_referral__item")
        .first()
    )
    if decision is None or decision.new_referral_id is None:
        return
    referral = Referral.objects.get(pk=decision.new_referral_id)
    if referral.feedback_at is None:
        return  # an extension or missing materials asked for: not fed back yet
    row = done[0]
    decision.done_at, decision.done_by_id = referral.feedback_at, row.completed_by_id
    decision.done_note = _("Fed back: %(outcome)s%(note)s") % {
        "outcome": referral.get_outcome_display(),
        "note": f" · {referral.note}" if referral.note else "",
    }
    decision.save(update_fields=["done_at", "done_by", "done_note"])
    log_action(
        "meeting.decision_done",
        actor=row.completed_by,
        case=decision.case,
        referral=referral,
        data={
            "decision": decision.pk,
            "text": _("Decision %(n)s of %(meeting)s carried out: %(note)s")
            % {"n": decision.number, "meeting": decision.meeting, "note": decision.done_note},
        },
    )
    notify.decision_done(decision)
