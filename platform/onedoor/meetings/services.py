"""Every change to the joint conference goes through a function here (the meeting's cycle) or in
membership.py, agenda.py and decisions.py.

Each runs in one durable transaction, advances the meeting's process through the engine room
where the BPMN has a step for it, writes its audit event, and notifies on commit.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from onedoor.audit.actions import log_action
from onedoor.cases.services import ActionError
from onedoor.directory.models import Agency
from workflows import engine
from workflows.models import HumanTask

from . import notify
from .access import convenor_group
from .effects import apply_decision
from .models import (
    SUBJECT_MEETING,
    Attendance,
    Conference,
    Decision,
    DifficultFlag,
    Meeting,
    MemberUnit,
    Position,
    Topic,
)

PROCESS_ID = "joint_meeting"
WATCH_PROCESS = "plenary_watch"


def six_months_after(meeting: Meeting) -> date:
    held = meeting.held_on
    month = held.month + 6
    year, month = held.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in (held.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


__all__ = ["ActionError"]


def _expect(task: HumanTask, meeting: Meeting, bpmn_id: str) -> None:
    if (
        task.bpmn_id != bpmn_id
        or task.subject_type != SUBJECT_MEETING
        or task.subject_id != str(meeting.pk)
        or task.state != HumanTask.State.OPEN
    ):
        raise ActionError(_("This step of the meeting is not open; reload the page"))


def open_task(meeting: Meeting, bpmn_id: str) -> HumanTask | None:
    return (
        HumanTask.objects.filter(
            subject_type=SUBJECT_MEETING,
            subject_id=str(meeting.pk),
            bpmn_id=bpmn_id,
            state=HumanTask.State.OPEN,
        )
        .order_by("id")
        .first()
    )


def require_step(meeting: Meeting, bpmn_id: str) -> HumanTask:
    task = open_task(meeting, bpmn_id)
    if task is None:
        raise ActionError(_("This can no longer be changed at this step of the meeting"))
    return task


def meeting_event(action: str, meeting: Meeting, actor: User, **data: Any) -> None:
    log_action(action, actor=actor, data={"meeting": meeting.pk, **data})
    notify.after(action, meeting, getattr(actor, "pk", None))


# The meeting's cycle.


def _end_of(day: date) -> str:
    return timezone.make_aware(
        datetime.combine(day, time(23, 59, 59)), timezone.get_default_timezone()
    ).isoformat()


def plan_meeting(
    conference: Conference, *, actor: User, kind: str, held_on: date, place: str
) -> Meeting:
    """Plan a meeting: numbered for its year, its process started at the draft agenda."""
    if kind not in Meeting.Kind.values:
        raise ActionError(_("Choose plenary or topical"))
    if not place.strip():
        raise ActionError(_("Please give the place of the meeting"))
    if held_on < timezone.localdate():
        raise ActionError(_("A meeting cannot be planned in the past"))
    with transaction.atomic(durable=True):
        Conference.objects.select_for_update().get(pk=conference.pk)  # numbers without gaps
        last = Meeting.objects.filter(conference=conference, year=held_on.year).aggregate(
            n=Max("number")
        )["n"]
        meeting = Meeting.objects.create(
            conference=conference,
            year=held_on.year,
            number=(last or 0) + 1,
            kind=kind,
            held_on=held_on,
            place=place.strip(),
            created_by=actor,
            recorder=getattr(getattr(actor, "staff", None), "display_name", ""),
        )
        meeting.process = engine.start_process(
            PROCESS_ID,
            subject_type=SUBJECT_MEETING,
            subject_id=meeting.pk,
            data={
                "county": conference.county.code,
                "convenor_group": convenor_group(conference),
                "units": [],
                "positions_due": _end_of(held_on),
            },
            actor=actor,
        )
        meeting.save(update_fields=["process"])
        meeting.refresh_from_db()
        meeting_event("meeting.planned", meeting, actor, kind=kind, held_on=held_on.isoformat())
    return meeting


def member_ids(conference: Conference) -> set[int]:
    return set(
        MemberUnit.objects.filter(conference=conference, active=True).values_list(
            "agency_id", flat=True
        )
    )


def submit_agenda(task: HumanTask, meeting: Meeting, *, actor: User, positions_due: date) -> None:
    """The draft agenda goes to the units it concerns, who may answer until `positions_due`."""
    _expect(task, meeting, "draft_agenda")
    if not meeting.topics.exists():
        raise ActionError(_("Put at least one topic on the agenda"))
    if positions_due < timezone.localdate() or positions_due > meeting.held_on:
        raise ActionError(_("Written positions are due between today and the day of the meeting"))
    codes = sorted(
        set(
            Agency.objects.filter(
                pk__in=Topic.units.through.objects.filter(topic__meeting=meeting).values(
                    "agency_id"
                )
            ).values_list("code", flat=True)
        )
    )
    with transaction.atomic(durable=True):
        meeting.positions_due = positions_due
        meeting.save(update_fields=["positions_due"])
        engine.complete_task(
            task.task_id,
            actor=actor,
            data={"units": [{"agency": c} for c in codes], "positions_due": _end_of(positions_due)},
        )
        meeting_event(
            "meeting.agenda_submitted",
            meeting,
            actor,
            units=codes,
            positions_due=positions_due.isoformat(),
        )


def submit_positions(
    task: HumanTask, meeting: Meeting, *, actor: User, texts: dict[int, str]
) -> list[Position]:
    """书面意见: the liaison officer answers for the unit, topic by topic (blank: no view)."""
    _expect(task, meeting, "submit_position")
    agency = Agency.objects.get(code=task.candidate_group)
    topics = {t.pk: t for t in meeting.topics.filter(units=agency)}
    with transaction.atomic(durable=True):
        written = []
        for pk, text in texts.items():
            if pk in topics and text.strip():
                position, _created = Position.objects.update_or_create(
                    topic=topics[pk],
                    agency=agency,
                    defaults={"text": text.strip(), "submitted_by": actor},
                )
                written.append(position)
        engine.complete_task(task.task_id, actor=actor, data={"positions": len(written)})
        meeting_event(
            "meeting.position_submitted", meeting, actor, agency=agency.code, count=len(written)
        )
    return written


def decide_agenda(
    task: HumanTask, meeting: Meeting, *, actor: User, approved: bool, note: str
) -> None:
    """The convenor approves the agenda (the notice goes out) or sends it back with a note."""
    _expect(task, meeting, "approve_agenda")
    note = note.strip()
    if not approved and not note:
        raise ActionError(_("Sending the agenda back needs a note"))
    with transaction.atomic(durable=True):
        engine.complete_task(
            task.task_id, actor=actor, data={"agenda_approved": approved, "agenda_note": note}
        )
        if approved:
            meeting.notice_issued_at = timezone.now()
            meeting.save(update_fields=["notice_issued_at"])
        meeting_event(
            "meeting.agenda_approved" if approved else "meeting.agenda_returned",
            meeting,
            actor,
            reason=note,
        )


def record_attendance(
    meeting: Meeting, agency: Agency, *, actor: User, status: str, person: str, reason: str
) -> Attendance:
    if status not in Attendance.Status.values:
        raise ActionError(_("Choose attended, substitute or absent"))
    if status == Attendance.Status.ABSENT and not reason.strip():
        raise ActionError(_("An absence needs a reason"))
    if status == Attendance.Status.SUBSTITUTE and not person.strip():
        raise ActionError(_("Please name who came in place of the unit's leader"))
    with transaction.atomic(durable=True):
        require_step(meeting, "hold_meeting")
        row, _created = Attendance.objects.update_or_create(
            meeting=meeting,
            agency=agency,
            defaults={"status": status, "person": person.strip(), "reason": reason.strip()},
        )
        log_action(
            "meeting.attendance",
            actor=actor,
            data={"meeting": meeting.pk, "agency": agency.code, "status": status},
        )
    return row


def record_topic_note(topic: Topic, *, actor: User, note: str) -> Topic:
    with transaction.atomic(durable=True):
        require_step(topic.meeting, "hold_meeting")
        topic.note = note.strip()
        topic.save(update_fields=["note"])
        log_action("meeting.topic_noted", actor=actor, data={"topic": topic.pk})
    return topic


def finish_meeting(task: HumanTask, meeting: Meeting, *, actor: User) -> None:
    """The meeting is over: every member unit's attendance must be recorded."""
    _expect(task, meeting, "hold_meeting")
    members = set(member_ids(meeting.conference))
    recorded = set(meeting.attendance.values_list("agency_id", flat=True))
    missing = Agency.objects.filter(pk__in=members - recorded)
    if missing:
        raise ActionError(
            _("Record the attendance of every member unit first: %(units)s")
            % {"units": pgettext("list separator", ", ").join(a.name for a in missing)}
        )
    with transaction.atomic(durable=True):
        engine.complete_task(task.task_id, actor=actor, data={"held": True})
        meeting_event("meeting.held", meeting, actor)


def submit_minutes(
    task: HumanTask,
    meeting: Meeting,
    *,
    actor: User,
    summary: str,
    recorder: str,
    observers: str,
    copy_to: str,
) -> None:
    _expect(task, meeting, "draft_minutes")
    if not recorder.strip():
        raise ActionError(_("Please name who took the minutes"))
    with transaction.atomic(durable=True):
        meeting.summary, meeting.recorder = summary.strip(), recorder.strip()
        meeting.observers, meeting.copy_to = observers.strip(), copy_to.strip()
        meeting.save(update_fields=["summary", "recorder", "observers", "copy_to"])
        engine.complete_task(task.task_id, actor=actor, data={"minutes_drafted": True})
        meeting_event("meeting.minutes_submitted", meeting, actor)


def decide_minutes(
    task: HumanTask, meeting: Meeting, *, actor: User, approved: bool, note: str
) -> list[Decision]:
    """The convenor signs the minutes (签发) or sends them back. When the process ends at
    `minutes_issued`, every decision takes effect on its case, in this transaction: if one
    cannot (its referral moved on since the meeting), nothing is issued and the message says
    which."""
    _expect(task, meeting, "approve_minutes")
    note = note.strip()
    if not approved and not note:
        raise ActionError(_("Sending the minutes back needs a note"))
    applied: list[Decision] = []
    with transaction.atomic(durable=True):
        engine.complete_task(
            task.task_id, actor=actor, data={"minutes_approved": approved, "minutes_note": note}
        )
        assert meeting.process is not None
        meeting.process.refresh_from_db()
        if meeting.process.end_event == "minutes_issued":
            meeting.minutes_issued_at = timezone.now()
            meeting.save(update_fields=["minutes_issued_at"])
            for decision in meeting.decisions.select_related("lead", "referral", "case"):
                try:
                    apply_decision(decision, actor=actor)
                except ActionError as exc:
                    raise ActionError(
                        _("Decision %(n)s cannot take effect: %(error)s")
                        % {"n": decision.number, "error": exc}
                    ) from exc
                applied.append(decision)
            # The difficult flags the meeting decided on are settled.
            cases = {d.case_id for d in applied if d.case_id}
            DifficultFlag.objects.filter(case_id__in=cases, resolved_at__isnull=True).update(
                resolved_at=meeting.minutes_issued_at
            )
            if meeting.kind == Meeting.Kind.PLENARY:
                # Six months on, the county is reminded if no plenary was held since.
                engine.start_process(
                    WATCH_PROCESS,
                    subject_type=WATCH_PROCESS,
                    subject_id=meeting.pk,
                    data={"meeting": meeting.pk, "remind_at": _end_of(six_months_after(meeting))},
                    actor=actor,
                )
            meeting_event("meeting.minutes_issued", meeting, actor, decisions=len(applied))
        else:
            meeting_event("meeting.minutes_returned", meeting, actor, reason=note)
    return applied
