"""流程进度 on the case page: the case's steps in time order, a referral's steps grouped under
the referral and the agency (or window) that worked them, each with who did it.

Without the grouping a case of four items read "签收（部门协同办理）" four times, with no
agency; a transferred referral's steps now read as two groups, one per agency, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from onedoor.directory.models import Agency, Division, Staff
from workflows.models import HumanTask

from .models import Referral


@dataclass(frozen=True)
class StepLine:
    task: HumanTask
    name: str
    state: str  # the HumanTask state, for the page's class
    state_label: str
    done_by: str  # "王芳（窗口工作人员）", "" while open
    done_at: datetime | None
    due_at: datetime | None
    overdue: bool


@dataclass
class Group:
    """One referral's steps at one agency (or at the window), or one case-level step."""

    title: str  # "医疗救助 · 县医疗保障局"; "" for a case-level step
    steps: list[StepLine] = field(default_factory=list)


def _referral_id(task: HumanTask) -> int | None:
    value = (task.properties or {}).get("referralId")
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def person(user: Any) -> str:
    """A user by name and role, for what they did."""
    if user is None:
        return _("System (automatic)")
    staff: Staff | None = getattr(user, "staff", None)
    if staff is None:
        return str(user.get_full_name() or user.get_username())
    return _("%(name)s (%(role)s)") % {
        "name": staff.display_name,
        "role": staff.title,
    }


def progress(
    steps: Iterable[HumanTask], referrals: Iterable[Referral], township: Division | None = None
) -> list[Group]:
    """The steps (ordered by creation) as groups in time order: by each group's first step.
    Where each step stood is named from the referrals' agencies (read with them) and the
    case's `township` (its window); any other place is looked up."""
    steps = list(steps)
    by_id = {r.pk: r for r in referrals}
    codes = {t.candidate_group for t in steps}
    where = {r.agency.code: r.agency.name for r in by_id.values() if r.agency.code in codes}
    if township is not None and township.code in codes and township.code not in where:
        where[township.code] = _("%(division)s window") % {"division": township.name}
    if missing := codes - where.keys():
        where.update(Agency.objects.filter(code__in=missing).values_list("code", "name"))
        for code, name in Division.objects.filter(code__in=missing).values_list("code", "name"):
            where.setdefault(code, _("%(division)s window") % {"division": name})
    now = timezone.now()
    # A referral's latest group and where it stood: a step at the same place joins it, a
    # step elsewhere (transferred on, back at the window) starts the next group.
    latest: dict[int, tuple[str, Group]] = {}
    ordered: list[Group] = []
    for task in steps:
        line = StepLine(
            task=task,
            name=task.name or task.bpmn_id,
            state=task.state,
            state_label=task.get_state_display(),
            done_by=person(task.completed_by) if task.state == HumanTask.State.COMPLETED else "",
            done_at=task.completed_at,
            due_at=task.due_at if task.state == HumanTask.State.OPEN else None,
            overdue=task.state == HumanTask.State.OPEN
            and task.due_at is not None
            and task.due_at < now,
        )
        rid = _referral_id(task)
        referral = by_id.get(rid) if rid is not None else None
        if referral is None:
            ordered.append(Group(title="", steps=[line]))
            continue
        place, group = latest.get(referral.pk, ("", None))
        if group is None or place != task.candidate_group:
            group = Group(
                title=_("%(item)s · %(where)s")
                % {"item": referral.item, "where": where.get(task.candidate_group, "—")}
            )
            latest[referral.pk] = (task.candidate_group, group)
            ordered.append(group)
        group.steps.append(line)
    return ordered
