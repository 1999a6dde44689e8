"""议定事项: recorded at the meeting, in effect when the minutes are issued (services.py),
reported carried out by the lead unit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.audit.actions import log_action
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency
from workflows import engine
from workflows.models import HumanTask

from . import notify
from .models import Decision, Topic
from .services import ActionError, require_step


def add_decision(
    topic: Topic,
    *,
    actor: Any,
    kind: str,
    text: str,
    lead: Agency,
    co_units: list[Agency],
    deadline_days: int,
    item: Item | None = None,
) -> Decision:
    """议定事项 recorded at the meeting; it takes effect when the minutes are issued."""
    meeting = topic.meeting
    text = text.strip()
    if kind not in Decision.Kind.values:
        raise ActionError(_("Choose the kind of decision"))
    if not text:
        raise ActionError(_("Please write the decision"))
    if deadline_days < 1:
        raise ActionError(_("The deadline is at least one working day"))
    if lead.county_id != meeting.conference.county_id:
        raise ActionError(_("The lead unit must be an agency of this county"))
    referral = topic.referral
    if kind in {Decision.Kind.ASSIGN, Decision.Kind.DEADLINE}:
        if referral is None:
            raise ActionError(_("This kind of decision needs a topic about a referral"))
        if not referral.is_open:
            raise ActionError(_("The referral is no longer open"))
        if kind == Decision.Kind.ASSIGN and referral.agency_id == lead.pk:
            raise ActionError(_("The referral is already with %(agency)s") % {"agency": lead})
    if kind == Decision.Kind.SPECIAL:
        if topic.case is None:
            raise ActionError(_("Special assistance needs a topic about a case"))
        # A new referral of the case: for the item chosen, else the topic's referral's.
        item = item or (referral.item if referral is not None else None)
        if item is None:
            raise ActionError(_("Choose the assistance item the special assistance grants"))
    else:
        item = None
    with transaction.atomic(durable=True):
        require_step(meeting, "hold_meeting")
        last = Decision.objects.filter(meeting=meeting).aggregate(n=Max("number"))["n"]
        decision = Decision.objects.create(
            meeting=meeting,
            topic=topic,
            number=(last or 0) + 1,
            kind=kind,
            text=text,
            lead=lead,
            deadline_days=deadline_days,
            referral=referral if kind in {Decision.Kind.ASSIGN, Decision.Kind.DEADLINE} else None,
            case=topic.case,
            item=item,
        )
        decision.co_units.set([u for u in co_units if u.pk != lead.pk])
        log_action(
            "meeting.decision_recorded",
            actor=actor,
            data={"meeting": meeting.pk, "decision": decision.pk, "kind": kind},
        )
    return decision


def remove_decision(decision: Decision, *, actor: Any) -> None:
    with transaction.atomic(durable=True):
        require_step(decision.meeting, "hold_meeting")
        meeting_pk, number = decision.meeting_id, decision.number
        decision.co_units.clear()
        decision.delete()
        log_action(
            "meeting.decision_removed", actor=actor, data={"meeting": meeting_pk, "number": number}
        )


def complete_decision(decision: Decision, *, actor: Any, note: str) -> Decision:
    """The lead unit reports the decision carried out (落实)."""
    note = note.strip()
    if not note:
        raise ActionError(_("Please say how the decision was carried out"))
    with transaction.atomic(durable=True):
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        if decision.applied_at is None:
            raise ActionError(_("The minutes carrying this decision are not issued yet"))
        if decision.done_at is not None:
            raise ActionError(
                _("Already reported carried out by %(who)s") % {"who": decision.done_by}
            )
        if decision.new_referral_id is not None:
            raise ActionError(
                _(
                    "This decision is carried out by its referral: the lead unit signs for it, "
                    "handles it and gives its feedback from the referral page"
                )
            )
        task = HumanTask.objects.filter(
            instance_id=decision.process_id, bpmn_id="carry_out", state=HumanTask.State.OPEN
        ).first()
        if task is None:
            raise ActionError(_("This decision has no follow-up open"))
        engine.complete_task(task.task_id, actor=actor, data={"done_note": note})
        decision.done_at, decision.done_by, decision.done_note = timezone.now(), actor, note
        decision.save(update_fields=["done_at", "done_by", "done_note"])
        log_action(
            "meeting.decision_done",
            actor=actor,
            case=decision.case,
            data={
                "decision": decision.pk,
                "text": _("Decision %(n)s of %(meeting)s carried out: %(note)s")
                % {"n": decision.number, "meeting": decision.meeting, "note": note},
            },
        )
        notify.decision_done(decision)
    return decision
