"""Service-task handlers the BPMN processes call for their clocks (deadline.*)."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from django.utils import timezone

from workflows import handlers
from workflows.handlers import ServiceCall

from .workdays import add_working_days, previous_working_day

log = logging.getLogger(__name__)

# Where a referral carries no time limit of its own (county practice, see POLICY-NOTES).
DEFAULT_STEP_DAYS = {"sign": 2, "handle": 10}
# A step is due at the end of its last working day, local time.
END_OF_DAY = time(23, 59, 59)
REMIND_AT = time(9, 0)


def _local(day_: Any, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day_, at), timezone.get_default_timezone())


@handlers.register("deadline.start_step")
def start_step(call: ServiceCall) -> dict[str, Any]:
    """Due date for a step starting now: N working days, reminder one working day before."""
    step = str(call.params.get("step") or "handle")
    referral = call.params.get("referral") or {}
    days = int(referral.get(f"{step}_days") or DEFAULT_STEP_DAYS.get(step, 10))
    today = timezone.localdate(call.now)
    due = add_working_days(today, days)
    remind = previous_working_day(due.day) if days > 1 else due
    return {
        "step": step,
        "days": days,
        "started_at": call.now.isoformat(),
        "due_at": _local(due.day, END_OF_DAY).isoformat(),
        "remind_at": _local(remind.day, REMIND_AT).isoformat(),
        "calendar_certain": due.certain and remind.certain,
    }
