"""Every change to the joint conference goes through a function here.

Each runs in one durable transaction, advances the meeting's process through the engine room
where the BPMN has a step for it, writes its audit event, and notifies on commit.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from onedoor.audit.actions import log_action
from onedoor.cases.models import Case, Referral
from onedoor.cases.services import ActionError
from onedoor.catalogue.models import Item
from onedoor.directory.models import Agency, Staff
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
from .topics import Candidate, candidate

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


def _require_step(meeting: Meeting, bpmn_id: str) -> HumanTask:
    task = open_task(meeting, bpmn_id)
    if task is None:
        raise ActionError(_("This can no longer be changed at this step of the meeting"))
    return task


def _meeting_event(action: str, meeting: Meeting, actor: Any, **data: Any) -> None:
    log_action(action, actor=actor, data={"meeting": meeting.pk, **data})
    notify.after(action, meeting, getattr(actor, "pk", None))


# Membership.


def update_conference(
    conference: Conference,
    *,
    actor: Any,
    convenor: Any,
    overdue_days: int,
    handovers: int,
    on_time_percent: int,
    on_time_period_days: int,
) -> Conference:
    """The convenor and the thresholds of the topic rules."""
    if convenor is not None:
        staff = getattr(convenor, "staff", None)
        if staff is None or staff.county.pk != conference.county_id:
            raise ActionError(_("The convenor must be a user of this county"))
    if on_time_percent > 100:
        raise ActionError(_("The on-time rate is a percentage from 0 to 100"))
    fields = {
        "convenor_id": convenor.pk if convenor else None,
        "overdue_days": overdue_days,
        "handovers": handovers,
        "on_time_percent": on_time_percent,
        "on_time_period_days": on_time_period_days,
    }
    with transaction.atomic(durable=True):
        conference = Conference.objects.select_for_update().get(pk=conference.pk)
        before = {name: getattr(conference, name) for name in fields}
        for name, value in fields.items():
            setattr(conference, name, value)
        conference.save()
        log_action(
            "conference.changed",
            actor=actor,
            before=before,
            after=fields,
            data={"conference": conference.pk},
        )
    return conference


def set_member_unit(
    conference: Conference, agency: Agency, *, actor: Any, liaison: Any, active: bool
) -> MemberUnit:
    """A member unit joins, leaves, or names its liaison officer (an officer of the agency)."""
    if agency.county_id != conference.county_id:
        raise ActionError(_("%(agency)s is not an agency of this county") % {"agency": agency})
    if liaison is not None:
        staff = getattr(liaison, "staff", None)
        if staff is None or staff.role != Staff.Role.AGENCY_OFFICER or staff.agency_id != agency.pk:
            raise ActionError(
                _("The liaison officer must be an officer of %(agency)s") % {"agency": agency}
            )
    with transaction.atomic(durable=True):
        unit, _created = MemberUnit.objects.select_for_update().get_or_create(
            agency=agency, defaults={"conference": conference}
        )
        before = {"liaison": unit.liaison_id, "active": unit.active}
        unit.liaison, unit.active = liaison, active
        unit.save()
        log_action(
            "conference.unit_changed",
            actor=actor,
            before=before,
            after={"liaison": unit.liaison_id, "active": active},
            data={"conference": conference.pk, "agency": agency.code},
        )
    return unit


# 提请联席会议研究.


def flag_difficult(
    case: Case, *, actor: Any, reason: str, referral: Referral | None = None
) -> DifficultFlag:
    """Window staff or an agency officer asks the joint conference to study a case."""
    reason = reason.strip()
    if not reason:
        raise ActionError(_("Please say why the joint conference should study it"))
    if referral is not None and referral.case_id != case.pk:
        raise ActionError(_("This item is not part of the case"))
    if not case.is_open:
        raise ActionError(_("The case is closed; a closed case needs no meeting"))
    with transaction.atomic(durable=True):
        already = DifficultFlag.objects.filter(
            case=case, referral=referral, resolved_at__isnull=True
        ).first()
        if already is not None:
            raise ActionError(
                _("Already referred to the joint conference on %(date)s by %(who)s")
                % {
                    "date": f"{timezone.localtime(already.flagged_at):%Y-%m-%d}",
                    "who": already.flagged_by,
                }
            )
        flag = DifficultFlag.objects.create(
            county=case.township.county,
            case=case,
            referral=referral,
            reason=reason,
            flagged_by=actor,
        )
        log_action(
            "case.flagged_difficult",
            actor=actor,
            case=case,
            referral=referral,
            data={"reason": reason, "flag": flag.pk},
        )
    return flag


# The meeting's cycle.


def _end_of(day: date) -> str:
    return timezone.make_aware(
        datetime.combine(day, time(23, 59, 59)), timezone.get_default_timezone()
    ).isoformat()


def plan_meeting(
    conference: Conference, *, actor: Any, kind: str, held_on: date, place: str
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
        _meeting_event("meeting.planned", meeting, actor, kind=kind, held_on=held_on.isoformat())
    return meeting


def _member_ids(conference: Conference) -> set[int]:
    return set(
        MemberUnit.objects.filter(conference=conference, active=True).values_list(
            "agency_id", flat=True
        )
    )


def add_topic(meeting: Meeting, key: str, *, actor: Any) -> Topic:
    """Put a proposed topic (by its key) on the draft agenda, with the rules' reasons."""
    found: Candidate | None = candidate(meeting.conference, key)
    if found is None:
        raise ActionError(_("This topic is no longer proposed (already on an agenda or settled)"))
    with transaction.atomic(durable=True):
        _require_step(meeting, "draft_agenda")
        topic = _create_topic(
            meeting,
            actor=actor,
            key=found.key,
            title=found.title,
            sources=found.sources,
            reasons=found.reasons,
            case=found.case,
            referral=found.referral,
            agency=found.agency,
            decision=found.decision,
            units=found.units,
        )
        _meeting_event("meeting.topic_added", meeting, actor, topic=topic.pk, key=key)
    return topic


def add_free_topic(
    meeting: Meeting, *, actor: Any, title: str, reason: str, units: list[Agency]
) -> Topic:
    """A policy question written by the office (or brought by a member unit)."""
    title, reason = title.strip(), reason.strip()
    if not title:
        raise ActionError(_("Please give the topic a title"))
    with transaction.atomic(durable=True):
        _require_step(meeting, "draft_agenda")
        n = Topic.objects.filter(meeting=meeting, sources=[Topic.Source.FREE]).count()
        topic = _create_topic(
            meeting,
            actor=actor,
            key=f"free:{n + 1}",
            title=title,
            sources=[Topic.Source.FREE],
            reasons=[reason] if reason else [],
            units={u.pk for u in units},
        )
        _meeting_event("meeting.topic_added", meeting, actor, topic=topic.pk, key=topic.key)
    return topic


def _create_topic(
    meeting: Meeting,
    *,
    actor: Any,
    key: str,
    title: str,
    sources: list[str],
    reasons: list[str],
    units: set[int],
    case: Case | None = None,
    referral: Referral | None = None,
    agency: Agency | None = None,
    decision: Decision | None = None,
) -> Topic:
    if Topic.objects.filter(meeting=meeting, key=key).exists():
        raise ActionError(_("This topic is already on the agenda"))
    last = Topic.objects.filter(meeting=meeting).aggregate(n=Max("order"))["n"]
    topic = Topic.objects.create(
        meeting=meeting,
        order=(last or 0) + 1,
        key=key,
        title=title[:200],
        sources=sources,
        reasons=reasons,
        case=case,
        referral=referral,
        agency=agency,
        earlier_decision=decision,
        added_by=actor,
    )
    topic.units.set(units & _member_ids(meeting.conference))
    return topic


def remove_topic(topic: Topic, *, actor: Any) -> None:
    meeting = topic.meeting
    with transaction.atomic(durable=True):
        _require_step(meeting, "draft_agenda")
        key = topic.key
        topic.delete()
        _meeting_event("meeting.topic_removed", meeting, actor, key=key)


def move_topic(topic: Topic, *, actor: Any, up: bool) -> None:
    """Swap a topic with its neighbour on the agenda."""
    meeting = topic.meeting
    with transaction.atomic(durable=True):
        _require_step(meeting, "draft_agenda")
        topics = list(Topic.objects.select_for_update().filter(meeting=meeting))
        index = next(i for i, t in enumerate(topics) if t.pk == topic.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(topics):
            topics[index], topics[other] = topics[other], topics[index]
        for order, row in enumerate(topics, start=1):
            if row.order != order:
                row.order = order
                row.save(update_fields=["order"])


def submit_agenda(task: HumanTask, meeting: Meeting, *, actor: Any, positions_due: date) -> None:
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
        _meeting_event(
            "meeting.agenda_submitted",
            meeting,
            actor,
            units=codes,
            positions_due=positions_due.isoformat(),
        )


def submit_positions(
    task: HumanTask, meeting: Meeting, *, actor: Any, texts: dict[int, str]
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
        _meeting_event(
            "meeting.position_submitted", meeting, actor, agency=agency.code, count=len(written)
        )
    return written


def decide_agenda(
    task: HumanTask, meeting: Meeting, *, actor: Any, approved: bool, note: str
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
        _meeting_event(
            "meeting.agenda_approved" if approved else "meeting.agenda_returned",
            meeting,
            actor,
            reason=note,
        )


def record_attendance(
    meeting: Meeting, agency: Agency, *, actor: Any, status: str, person: str, reason: str
) -> Attendance:
    if status not in Attendance.Status.values:
        raise ActionError(_("Choose attended, substitute or absent"))
    if status == Attendance.Status.ABSENT and not reason.strip():
        raise ActionError(_("An absence needs a reason"))
    if status == Attendance.Status.SUBSTITUTE and not person.strip():
        raise ActionError(_("Please name who came in place of the unit's leader"))
    with transaction.atomic(durable=True):
        _require_step(meeting, "hold_meeting")
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


def record_topic_note(topic: Topic, *, actor: Any, note: str) -> Topic:
    with transaction.atomic(durable=True):
        _require_step(topic.meeting, "hold_meeting")
        topic.note = note.strip()
        topic.save(update_fields=["note"])
        log_action("meeting.topic_noted", actor=actor, data={"topic": topic.pk})
    return topic


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
    if kind == Decision.Kind.SPECIAL and topic.case is None:
        raise ActionError(_("Special assistance needs a topic about a case"))
    with transaction.atomic(durable=True):
        _require_step(meeting, "hold_meeting")
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
        _require_step(decision.meeting, "hold_meeting")
        meeting_pk, number = decision.meeting_id, decision.number
        decision.co_units.clear()
        decision.delete()
        log_action(
            "meeting.decision_removed", actor=actor, data={"meeting": meeting_pk, "number": number}
        )


def finish_meeting(task: HumanTask, meeting: Meeting, *, actor: Any) -> None:
    """The meeting is over: every member unit's attendance must be recorded."""
    _expect(task, meeting, "hold_meeting")
    members = set(_member_ids(meeting.conference))
    recorded = set(meeting.attendance.values_list("agency_id", flat=True))
    missing = Agency.objects.filter(pk__in=members - recorded)
    if missing:
        raise ActionError(
            _("Record the attendance of every member unit first: %(units)s")
            % {"units": pgettext("list separator", ", ").join(a.name for a in missing)}
        )
    with transaction.atomic(durable=True):
        engine.complete_task(task.task_id, actor=actor, data={"held": True})
        _meeting_event("meeting.held", meeting, actor)


def submit_minutes(
    task: HumanTask,
    meeting: Meeting,
    *,
    actor: Any,
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
        _meeting_event("meeting.minutes_submitted", meeting, actor)


def decide_minutes(
    task: HumanTask, meeting: Meeting, *, actor: Any, approved: bool, note: str
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
            _meeting_event("meeting.minutes_issued", meeting, actor, decisions=len(applied))
        else:
            _meeting_event("meeting.minutes_returned", meeting, actor, reason=note)
    return applied


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
