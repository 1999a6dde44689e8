"""Service-task handlers the BPMN processes call for their clocks (deadline.*).

A clock is a plain dict kept in the task data; the process's timers read its dates
(`due_at`, `remind_at`, `escalate_at`, ISO with zone). Only these handlers compute it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from workflows import handlers
from workflows.handlers import ServiceCall

from .cache import rule_in_force, working_calendar
from .workdays import WorkingCalendar

log = logging.getLogger(__name__)

# Where no rule is in force (county practice, see POLICY-NOTES).
DEFAULT_STEP_DAYS = {"accept": 1, "sign": 2, "handle": 10, "notify": 3}
DEFAULT_ESCALATE_AFTER = 3
# A step is due at the end of its last working day, local time; reminders go out at 09:00.
END_OF_DAY = time(23, 59, 59)
REMIND_AT = time(9, 0)


def _local(day_: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day_, at), timezone.get_default_timezone())


def _day(iso: str) -> date:
    return timezone.localtime(datetime.fromisoformat(iso)).date()


def _dates(
    cal: WorkingCalendar, due: date, remind_before: int, escalate_after: int
) -> dict[str, Any]:
    remind = cal.previous(due, remind_before) if remind_before else None
    escalate = cal.add(due, escalate_after)
    return {
        "due_at": _local(due, END_OF_DAY).isoformat(),
        "remind_at": _local(remind.day if remind else due, REMIND_AT).isoformat(),
        "escalate_at": _local(escalate.day, END_OF_DAY).isoformat(),
        "calendar_certain": escalate.certain and (remind.certain if remind else True),
    }


@handlers.register("deadline.start_step")
def start_step(call: ServiceCall) -> dict[str, Any]:
    """The clock of a step starting now, from the time-limit rule in force today."""
    step = str(call.params.get("step") or "handle")
    referral = call.params.get("referral") or {}
    county = str(call.params.get("county") or "")
    today = timezone.localdate(call.now)
    # Rules and calendars come from the process's cache (deadlines.cache): no query here.
    code = referral.get("item_code")
    rule = rule_in_force(step, str(code) if code else None, today)
    # An explicit limit in the referral's data (set by whoever started the process) wins.
    explicit = referral.get(f"{step}_days")
    if explicit is not None:
        days, source = int(explicit), "process data"
    elif rule is not None:
        days, source = rule.working_days, rule.source
    else:
        days, source = DEFAULT_STEP_DAYS.get(step, 10), "default"
    remind_before = rule.remind_days_before if rule else 1
    escalate_after = rule.escalate_after_days if rule else DEFAULT_ESCALATE_AFTER
    cal = working_calendar(today, county)
    due = cal.add(today, days)
    clock = {
        "step": step,
        "days": days,
        "source": source,
        "rule_id": rule.pk if rule else None,
        "max_extension_days": rule.max_extension_days if rule else 0,
        "remind_before": remind_before if days > remind_before else 0,
        "escalate_after": escalate_after,
        "county": county,
        "started_at": call.now.isoformat(),
        "extended_days": 0,
        **_dates(cal, due.day, remind_before if days > remind_before else 0, escalate_after),
    }
    clock["calendar_certain"] = clock["calendar_certain"] and due.certain
    return clock


@handlers.register("deadline.extend")
def extend(call: ServiceCall) -> dict[str, Any]:
    """延期 approved: the due date moves on by N working days from the old due date."""
    clock = dict(call.params.get("clock") or {})
    days = int(call.params.get("days") or 0)
    if days <= 0:
        raise ValueError("an extension needs a positive number of working days")
    cal = working_calendar(timezone.localdate(call.now), clock.get("county", ""))
    due = cal.add(_day(clock["due_at"]), days)
    clock.update(
        _dates(cal, due.day, clock.get("remind_before", 1), clock.get("escalate_after", 3)),
        extended_days=clock.get("extended_days", 0) + days,
        previous_due_at=clock["due_at"],
    )
    clock["calendar_certain"] = clock["calendar_certain"] and due.certain
    return clock


@handlers.register("deadline.suspend")
def suspend(call: ServiceCall) -> dict[str, Any]:
    """补正材料: the clock stops; the working days left are kept for when it resumes."""
    clock = dict(call.params.get("clock") or {})
    today = timezone.localdate(call.now)
    cal = working_calendar(today, clock.get("county", ""))
    due_day = _day(clock["due_at"])
    # Today is being worked: it counts as used, the days after it up to the due day remain.
    clock.update(
        suspended_at=call.now.isoformat(),
        remaining_days=cal.between(today, due_day),
        suspended_due_at=clock["due_at"],
    )
    return clock


@handlers.register("deadline.resume")
def resume(call: ServiceCall) -> dict[str, Any]:
    """The materials arrived: the clock runs again with the working days that were left."""
    clock = dict(call.params.get("clock") or {})
    today = timezone.localdate(call.now)
    cal = working_calendar(today, clock.get("county", ""))
    due = cal.add(today, int(clock.get("remaining_days", 0)))
    clock.update(
        _dates(cal, due.day, clock.get("remind_before", 1), clock.get("escalate_after", 3)),
        resumed_at=call.now.isoformat(),
        suspended_days=cal.between(_day(clock["suspended_at"]), today),
    )
    clock["calendar_certain"] = clock["calendar_certain"] and due.certain
    clock.pop("suspended_at", None)
    return clock
