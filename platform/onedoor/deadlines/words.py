"""How lateness and 督办 levels are told, the one way every page and export tells them.

Lateness is counted in working days on the official calendar (workdays.py), as the figures
count it, never in calendar units: "逾期3个工作日", "今日到期", "还剩2个工作日".
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .workdays import working_days_between


def lateness(due_at: datetime | None, now: datetime | None = None, county: str = "") -> str:
    """Where a step stands against its due time, in working days ("" without one)."""
    if due_at is None:
        return ""
    now = now or timezone.now()
    due, today = timezone.localdate(due_at), timezone.localdate(now)
    if due_at < now:
        days = working_days_between(due, today, county)
        if days == 0:
            # Due earlier today, or on the last working day with none since (a weekend).
            return _("Overdue, less than one working day")
        return ngettext("Overdue by %(n)d working day", "Overdue by %(n)d working days", days) % {
            "n": days
        }
    if due == today:
        return _("Due today")
    days = working_days_between(today, due, county)
    if days == 0:
        return _("Due before the next working day")
    return ngettext("%(n)d working day left", "%(n)d working days left", days) % {"n": days}


def days_late(due_at: datetime | None, now: datetime | None = None, county: str = "") -> int:
    """Working days past the due time (0 when not yet due or due today)."""
    if due_at is None:
        return 0
    now = now or timezone.now()
    if due_at >= now:
        return 0
    return working_days_between(timezone.localdate(due_at), timezone.localdate(now), county)


def supervision_level(level: int | None) -> str:
    """A 督办 level in words (一级督办, 二级督办); "" for none."""
    if not level:
        return ""
    if level == 1:
        return _("Level-1 supervision")
    if level == 2:
        return _("Level-2 supervision")
    return _("Level-%(n)d supervision") % {"n": level}
