"""Sane ranges for timer values: SpiffWorkflow steps a duration month by month ("P999999999Y"
loops ~10^10 times) and a zero-period cycle ("R/PT0S") fires on every look. Constant timers are
checked at deploy (workflows.expressions), computed ones when they are evaluated
(workflows.runtime.EngineScriptEngine)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

MAX_DAYS = 3660  # ten years: the longest time limit a step of a case could have
MAX_CYCLES = 10_000
# Dates further than this from today are a typo, not a deadline.
MAX_YEARS_AWAY = 100

TIME_DATE = "timeDate"
TIME_DURATION = "timeDuration"
TIME_CYCLE = "timeCycle"


def kind_of(definition: Any) -> str | None:
    if isinstance(definition, TimeDateEventDefinition):
        return TIME_DATE
    if isinstance(definition, DurationTimerEventDefinition):
        return TIME_DURATION
    if isinstance(definition, CycleTimerEventDefinition):
        return TIME_CYCLE
    return None


def _duration_days(text: str) -> float:
    # parse_iso_duration only splits the text: no stepping, safe for any number.
    parts = TimerEventDefinition.parse_iso_duration(text)
    return (
        parts.get("years", 0) * 366
        + parts.get("months", 0) * 31
        + parts.get("weeks", 0) * 7
        + parts.get("days", 0)
        + parts.get("hours", 0) / 24
        + parts.get("minutes", 0) / 1440
        + parts.get("seconds", 0) / 86400
    )


def _check_duration(text: str) -> str | None:
    try:
        days = _duration_days(text)
    except Exception:
        return _("“%(value)s” is not an ISO 8601 duration (such as PT3H or P5D)") % {"value": text}
    if days > MAX_DAYS:
        return _("the duration “%(value)s” is longer than %(days)s days") % {
            "value": text,
            "days": MAX_DAYS,
        }
    return None


def _check_date(text: str) -> str | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return _("“%(value)s” is not an ISO 8601 date and time") % {"value": text}
    if abs(when.year - datetime.now(UTC).year) > MAX_YEARS_AWAY:
        return _("the date “%(value)s” is more than %(years)s years from today") % {
            "value": text,
            "years": MAX_YEARS_AWAY,
        }
    return None


def _check_cycle(text: str) -> str | None:
    parts = text.upper().replace("--", "/").split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        return _("“%(value)s” is not an ISO 8601 repetition (such as R3/PT1H)") % {"value": text}
    count = parts[0][1:]
    if count and (not count.isdigit() or int(count) > MAX_CYCLES):
        return _("the repetition “%(value)s” repeats more than %(max)s times") % {
            "value": text,
            "max": MAX_CYCLES,
        }
    durations = [p for p in parts[1:] if p.startswith("P")]
    dates = [p for p in parts[1:] if not p.startswith("P")]
    if len(durations) != 1:
        return _("“%(value)s” is not an ISO 8601 repetition (such as R3/PT1H)") % {"value": text}
    for date in dates:
        reason = _check_date(date)
        if reason:
            return reason
    reason = _check_duration(durations[0])
    if reason:
        return reason
    if _duration_days(durations[0]) * 86400 < 1:
        return _("the repetition “%(value)s” has a period under one second") % {"value": text}
    return None


def check_timer_value(kind: str, value: Any) -> str | None:
    """Why `value` (what a timer's expression gave) is not a sane timer of `kind`, or None."""
    if not isinstance(value, str):
        return _("a timer expression must give a string (it gave a %(type)s)") % {
            "type": type(value).__name__
        }
    text = value.strip()
    if kind == TIME_DURATION:
        return _check_duration(text)
    if kind == TIME_CYCLE:
        return _check_cycle(text)
    if text.upper().startswith("P"):
        return _check_duration(text)
    return _check_date(text)
