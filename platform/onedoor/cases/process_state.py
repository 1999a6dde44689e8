"""A case's state on its process diagram, from the projections: which step is done, waiting,
overdue or escalated, who did it and when, or who must and by when.

Read from the HumanTask rows (open/completed, due_at against now) and the case's Referral rows
(agency, escalation level), never from the engine's serialized state: the page draws what the
inbox and the board read. Element ids are the BPMN ids the diagram's shapes refer to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from lxml import etree

from onedoor.deadlines.words import supervision_level
from onedoor.directory.models import Agency, Division, Staff
from workflows.models import HumanTask

from .access import LANE_ROLES, staff_of
from .models import SUBJECT_CASE, Case, Referral
from .progress import person

# The worse state wins where several tasks meet on one shape (a subprocess, a repeated step).
SEVERITY = {"done": 0, "waiting": 1, "overdue": 2, "escalated": 3}
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


@lru_cache(maxsize=32)
def _due_timers(content_hash: str, source: str) -> dict[str, tuple[str, ...]]:
    """Per user task, its boundary timers that fire when it falls due: those whose time is the
    task's own dueAt expression (the one-door convention). Read from the document, so a
    county's new step with a due date and a timer is marked with no Python change."""
    root = etree.fromstring(source.encode(), parser=etree.XMLParser(resolve_entities=False))
    due: dict[str, str] = {}
    for prop in root.iter(f"{SPIFF}property"):
        if prop.get("name") == "dueAt":
            task = next(prop.iterancestors(f"{BPMN}userTask"), None)
            if task is not None:
                due[str(task.get("id"))] = (prop.get("value") or "").strip()
    timers: dict[str, list[str]] = defaultdict(list)
    for event in root.iter(f"{BPMN}boundaryEvent"):
        host = str(event.get("attachedToRef"))
        time = event.find(f"{BPMN}timerEventDefinition/{BPMN}timeDate")
        if host in due and time is not None and (time.text or "").strip() == due[host]:
            timers[host].append(str(event.get("id")))
    return {host: tuple(ids) for host, ids in timers.items()}


@dataclass
class Step:
    """One marked shape: its state and the lines its tooltip and the plain list show."""

    bpmn_id: str
    name: str
    state: str
    lines: list[str] = field(default_factory=list)
    at: datetime | None = None

    def merge(self, other: Step) -> None:
        if SEVERITY[other.state] >= SEVERITY[self.state]:
            self.state = other.state
        self.lines.extend(other.lines)
        self.at = max((t for t in (self.at, other.at) if t is not None), default=None)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "name": self.name, "lines": self.lines}


@dataclass
class ReferralSteps:
    referral: Referral
    label: str
    steps: dict[str, Step]


@dataclass
class ProcessState:
    case_steps: dict[str, Step]
    referrals: list[ReferralSteps]
    subprocess_id: str
    lanes: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "elements": {k: s.as_json() for k, s in self.case_steps.items()},
            "subprocess": self.subprocess_id,
            "referrals": [
                {
                    "id": r.referral.pk,
                    "label": r.label,
                    "elements": {k: s.as_json() for k, s in r.steps.items()},
                }
                for r in self.referrals
            ],
            "lanes": self.lanes,
        }


def _when(value: datetime | None) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else "—"


class _Names:
    """Who a candidate group is, in words: an agency, a township or the county."""

    def __init__(self, codes: set[str]) -> None:
        self.names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
        self.names.update(Agency.objects.filter(code__in=codes).values_list("code", "name"))

    def __call__(self, code: str) -> str:
        return self.names.get(code, code or "—")


def _task_step(task: HumanTask, referral: Referral | None, names: _Names, now: datetime) -> Step:
    name = task.name or task.bpmn_id
    if task.state == HumanTask.State.COMPLETED:
        who = person(task.completed_by)  # by name and role, not the login name
        line = _("%(step)s: done by %(who)s, %(at)s") % {
            "step": name,
            "who": who,
            "at": _when(task.completed_at),
        }
        return Step(task.bpmn_id, name, "done", [line], task.completed_at)
    if task.state == HumanTask.State.CANCELLED:
        line = _("%(step)s: cancelled, %(at)s") % {"step": name, "at": _when(task.completed_at)}
        return Step(task.bpmn_id, name, "done", [line], task.completed_at)
    who = names(task.candidate_group)
    if task.due_at is not None:
        line = _("%(step)s: waiting for %(who)s, due %(due)s") % {
            "step": name,
            "who": who,
            "due": _when(task.due_at),
        }
    else:
        line = _("%(step)s: waiting for %(who)s") % {"step": name, "who": who}
    state = "waiting"
    if task.due_at is not None and task.due_at <= now:
        state = "overdue"
        line += " " + _("(overdue)")
    if referral is not None and referral.escalation_level > 0 and state == "overdue":
        state = "escalated"
        line += " " + _("(%(level)s)") % {"level": supervision_level(referral.escalation_level)}
    return Step(task.bpmn_id, name, state, [line], task.created_at)


def _add(steps: dict[str, Step], step: Step) -> None:
    if step.bpmn_id in steps:
        steps[step.bpmn_id].merge(step)
    else:
        steps[step.bpmn_id] = step


def _light_due_timers(steps: dict[str, Step], timers: dict[str, tuple[str, ...]]) -> None:
    """Light the timers of the steps whose time limit has run out."""
    for host, ids in timers.items():
        step = steps.get(host)
        if step is not None and step.state in ("overdue", "escalated"):
            for timer in ids:
                _add(steps, Step(timer, "", step.state, []))


def case_process_state(case: Case, user: Any) -> ProcessState:
    """The marks for `case` on its diagram, as `user` may see them.

    An agency officer sees the steps of their agency's referrals only, as on the case page.
    """
    now = timezone.now()
    staff = staff_of(user)
    tasks = HumanTask.objects.filter(
        subject_type=SUBJECT_CASE, subject_id=str(case.pk)
    ).select_related("completed_by__staff")
    referrals = case.referrals.select_related("agency", "item").order_by("pk")
    agency_code = ""
    if staff is not None and staff.role == Staff.Role.AGENCY_OFFICER and staff.agency is not None:
        agency_code = staff.agency.code
        referrals = referrals.filter(pk__in=Referral.objects.visible_to(user))
    by_pk = {str(r.pk): r for r in referrals}
    task_list = list(tasks.order_by("created_at", "id"))
    names = _Names({t.candidate_group for t in task_list})

    definition = case.process.definition if case.process is not None else None
    timers = _due_timers(definition.content_hash, definition.source) if definition else {}
    # The (multi-instance) subprocess a referral's steps run in, as their projection rows say.
    subprocess_id = next((t.scope for t in task_list if t.scope), "")
    case_steps: dict[str, Step] = {}
    per_referral: dict[str, dict[str, Step]] = defaultdict(dict)
    # Referrals the case's own process runs (in its subprocess); a referral made later on
    # another basis (a joint-conference decision) runs in a process of its own, top level.
    in_subprocess: set[str] = set()
    for task in task_list:
        referral_id = str(task.properties.get("referralId") or "")
        if task.scope:
            in_subprocess.add(referral_id)
        if task.scope or referral_id:
            if referral_id not in by_pk:
                continue  # a referral this user may not see
            if agency_code and task.lane == "agency" and task.candidate_group != agency_code:
                continue  # the part another agency worked, before a transfer
            _add(per_referral[referral_id], _task_step(task, by_pk[referral_id], names, now))
        elif not agency_code:
            _add(case_steps, _task_step(task, None, names, now))

    referral_steps = []
    for pk, referral in by_pk.items():
        steps = per_referral.get(pk, {})
        _light_due_timers(steps, timers)
        label = f"{referral.item} → {referral.agency}"
        referral_steps.append(ReferralSteps(referral, label, steps))
        # The subprocess shape shows the worst of its referrals; an open referral between two
        # steps (a script, a clock being computed) is still waiting.
        if steps or referral.is_open:
            states = [s.state for s in steps.values()]
            state = max(states, key=SEVERITY.__getitem__) if states else "waiting"
            if referral.is_open and state == "done":
                state = "waiting"
            elif not referral.is_open:
                state = "done"
            if subprocess_id and pk in in_subprocess:
                _add(case_steps, Step(subprocess_id, "", state, [label]))
    _light_due_timers(case_steps, timers)
    instance = case.process
    if instance is not None and not agency_code and instance.end_event:
        _add(case_steps, Step(instance.end_event, instance.end_event_name, "done", []))
    return ProcessState(
        case_steps=case_steps,
        referrals=referral_steps,
        subprocess_id=subprocess_id,
        lanes={lane: str(role.label) for lane, role in LANE_ROLES.items()},
    )
