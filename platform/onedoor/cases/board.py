"""The coordinator's board beyond referrals: the window's own steps past their time limit.

A window's 受理审查 or 分办转办 left for days is the county's to chase as much as an agency's
late referral: the board counts them per township and lists the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Subquery

from onedoor.directory.models import Division

from . import rows
from .access import visible_window_tasks
from .models import Case

LIST_LIMIT = 50


@dataclass(frozen=True)
class LateWindowStep:
    """One late step as its row shows it, every text made here (rows.py's way)."""

    case_id: int
    href: str  # the case's page
    reference: str
    step: str  # the task's name (its BPMN id if it has none)
    township: str
    due: str
    lateness: str


@dataclass(frozen=True)
class LateWindowSteps:
    """The window's overdue steps of the county: how many per township, and the oldest."""

    by_township: list[tuple[str, str, int]]  # (code, name, overdue steps), most first
    steps: list[LateWindowStep]
    total: int
    narrowed: str  # the township's name when the list shows one township


def late_window_steps(
    user: Any, now: datetime, *, township: str = "", county: str = ""
) -> LateWindowSteps:
    """Window steps past their due time (a referral back at the window is on the referral
    list already, so it is left out here); lateness counted on `county`'s calendar."""
    late = visible_window_tasks(user).filter(due_at__lt=now, referral__isnull=True)
    # How many per township, with the township's name read in the same statement.
    township_name = Division.objects.filter(code=OuterRef("candidate_group")).values("name")[:1]
    counted = (
        late.order_by()
        .values("candidate_group")
        .annotate(n=Count("id"), township_name=Subquery(township_name))
        .values_list("candidate_group", "n", "township_name")
    )
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for code, n, name in counted:
        counts[code] = n
        if name is not None:
            names[code] = name
    by_township = sorted(
        ((code, names.get(code, code), n) for code, n in counts.items()),
        key=lambda row: (-row[2], row[1]),
    )
    listed = late.filter(candidate_group=township) if township else late
    fields = ("subject_id", "name", "bpmn_id", "candidate_group", "due_at")
    tasks = list(listed.order_by("due_at", "pk").values(*fields)[:LIST_LIMIT])
    references = dict(
        Case.objects.filter(pk__in=[int(t["subject_id"]) for t in tasks]).values_list(
            "pk", "reference"
        )
    )
    href = rows.address_of("cases:case")
    lateness = rows.Lateness(now, county)
    steps = [
        LateWindowStep(
            case_id=int(t["subject_id"]),
            href=href(int(t["subject_id"])),
            reference=references.get(int(t["subject_id"]), ""),
            step=t["name"] or t["bpmn_id"],
            township=names.get(t["candidate_group"], t["candidate_group"]),
            due=rows.day(t["due_at"]),
            lateness=lateness(t["due_at"]),
        )
        for t in tasks
    ]
    return LateWindowSteps(
        by_township=by_township,
        steps=steps,
        total=sum(counts.values()),
        narrowed=(
            Division.objects.filter(code=township).values_list("name", flat=True).first() or ""
        )
        if township
        else "",
    )
