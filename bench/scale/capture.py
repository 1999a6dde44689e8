"""Turn the rows of one real case into a template that clones it with new identities.

Every row the case touched (its process instance with the serialized SpiffWorkflow state,
task rows, journal, referrals, 督办, clock changes, notices, audit events) becomes COPY text
with *slots* where a clone must differ: primary and foreign keys, task UUIDs, case
reference, divisions, agency and township codes, staff, and every timestamp, including the
ones inside the engine state and the JSON columns (due dates, timer values, SpiffWorkflow's
`last_state_change`). A clone is then one `str.format` per table, and its engine state one
more, handed back to the engine room to store (bench/scale/state.py).

The engine state is read through the engine room (state.state_data: the workflow loaded and
turned into the serializer's JSON data), never from the stored bytes; it and the JSON columns
are walked as data: each string is read as text for ids, times and codes, the integers under
the keys of JSON_IDS are ids, SpiffWorkflow's `last_state_change` floats are times.

Timestamps move by whole weeks only: a due date on a Friday stays on a Friday, so working
days line up, except around public holidays and 调休 days, which are not re-counted (the one
approximation; see README "Scale").
"""

from __future__ import annotations

import json
import operator
import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from bench.scale.geography import County
from bench.scale.state import state_data
from onedoor.audit.models import AuditEvent
from onedoor.cases.models import (
    ApplicantNotice,
    Case,
    CaseItem,
    ClockChange,
    Handover,
    Referral,
    SupervisionNotice,
)
from onedoor.directory.models import Agency, Division
from onedoor.households.models import Household, Member
from workflows.models import HumanTask, ProcessEvent, ProcessInstance

WEEK = timedelta(days=7)
# Insertion order (foreign keys point backwards in this list).
CLONED: list[type[models.Model]] = [
    ProcessInstance,
    HumanTask,
    ProcessEvent,
    Case,
    CaseItem,
    Referral,
    Handover,
    SupervisionNotice,
    ClockChange,
    ApplicantNotice,
    AuditEvent,
]
# Integer ids inside JSON (task data, task properties, audit data) and the model they name.
JSON_IDS = {
    "id": Referral,
    "referralId": Referral,
    "notice_id": ApplicantNotice,
    "notice": SupervisionNotice,
}

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ISO_RE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def copy_escape(text: str) -> str:
    """PostgreSQL COPY text format: backslash, tab, newline and carriage return escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _brace(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def json_escape(text: str) -> str:
    """`text` as inside a JSON string, without the quotes."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


@dataclass
class Template:
    """One captured case: per table a format string over the clone's slot values."""

    name: str
    weight: float
    tables: dict[str, str]  # db_table -> format string of all its rows (COPY text)
    columns: dict[str, list[str]]
    state: str  # format string of the engine state's JSON data (state.state_data)
    counts: dict[type[models.Model], int]  # rows per cloned model
    # Slot recipes.
    n_slots: int = 0
    pk_slots: list[tuple[int, type[models.Model], int]] = field(default_factory=list)
    uuid_slots: list[tuple[int, int]] = field(default_factory=list)
    time_slots: list[tuple[int, str]] = field(default_factory=list)  # (slot, key)
    times: dict[str, Any] = field(default_factory=dict)  # key -> (kind, value)
    user_slots: list[tuple[int, str]] = field(default_factory=list)  # (slot, role key)
    agency_slots: list[tuple[int, str]] = field(default_factory=list)  # (slot, kind)
    special: dict[str, list[int]] = field(default_factory=dict)  # name -> slots
    state_slot: int = -1
    spec: Any = None  # the engine state's parsed definition (state.stored_state needs it)
    created_at: datetime | None = None
    # Whole weeks a clone may be moved back: [k_min, k_max].
    k_min: int = 0
    k_max: int = 0
    running: bool = False
    compiled: dict[str, tuple[str, Any]] = field(default_factory=dict)
    compiled_state: tuple[str, Any] = ("", None)
    # Precomputed shifted time strings per k, filled lazily.
    _shifted: dict[int, list[str]] = field(default_factory=dict)

    def compile(self) -> None:
        """Turn the str.format texts into %-format texts and the slots they read, in order:
        `text % getter(values)` does no parsing of slot numbers per clone (3x faster)."""
        self.compiled = {table: _percent(text) for table, text in self.tables.items()}
        self.compiled_state = _percent(self.state)

    def shifted(self, k: int) -> list[str]:
        values = self._shifted.get(k)
        if values is None:
            values = [
                _shift(self.times[key][0], self.times[key][1], k) for _s, key in self.time_slots
            ]
            self._shifted[k] = values
        return values


def _percent(text: str) -> tuple[str, Any]:
    parts: list[str] = []
    slots: list[int] = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        parts.append(literal.replace("%", "%%"))
        if name is not None:
            parts.append("%s")
            slots.append(int(name))
    if not slots:
        return "".join(parts), lambda values: ()
    if len(slots) == 1:
        only = slots[0]
        return "".join(parts), lambda values: (values[only],)
    return "".join(parts), operator.itemgetter(*slots)


def _shift(kind: str, value: Any, k: int) -> str:
    if kind == "dt":
        return (value - k * WEEK).isoformat()
    if kind == "date":
        return (value - k * WEEK).isoformat()
    return repr(value - k * WEEK.total_seconds())  # SpiffWorkflow's epoch floats


class _Builder:
    def __init__(
        self, template: Template, county: County, case: Case, instance: ProcessInstance
    ) -> None:
        self.t = template
        self.instance = instance
        self.slots: dict[tuple[str, Any], int] = {}
        self.pk_rank: dict[type[models.Model], dict[Any, int]] = {m: {} for m in CLONED}
        self.case = case
        self.county_code = county.division.code
        self.township_code = case.township.code
        self.users = _user_roles(county)
        self.agencies = {a.pk: a.kind for a in county.agencies.values()}
        self.ids_in_json: dict[type[models.Model], set[int]] = {}
        # Text (plain columns, and each string of the JSON data) is read for ids, times and
        # codes; in JSON data a date is a whole string (json_string), an id an integer
        # (json_text), so nothing here depends on how a JSON text is laid out.
        self.regex = re.compile(
            "|".join(
                [
                    rf"(?P<uuid>{UUID_RE})",
                    rf"(?P<iso>{ISO_RE})",
                    rf"(?P<ref>{re.escape(case.reference)})",
                    rf"(?P<code>(?<!\d){re.escape(self.county_code)}(?:\d{{3}}){{0,2}}(?!\d))",
                ]
            )
        )

    def slot(self, key: tuple[str, Any]) -> int:
        found = self.slots.get(key)
        if found is None:
            found = self.slots[key] = self.t.n_slots
            self.t.n_slots += 1
            self._recipe(found, key)
        return found

    def _recipe(self, slot: int, key: tuple[str, Any]) -> None:
        kind, value = key
        if kind == "pk":
            model, old = value
            self.t.pk_slots.append((slot, model, self.pk_rank[model][old]))
        elif kind == "uuid":
            self.t.uuid_slots.append((slot, len(self.t.uuid_slots)))
        elif kind in {"dt", "date", "epoch"}:
            name = f"{kind}:{value}"
            self.t.times[name] = (kind, value)
            self.t.time_slots.append((slot, name))
        elif kind == "user":
            self.t.user_slots.append((slot, value))
        elif kind == "agency":
            self.t.agency_slots.append((slot, value))
        else:  # township, village, household, applicant, reference, codes, state
            self.t.special.setdefault(f"{kind}:{value}", []).append(slot)

    def mark(self, key: tuple[str, Any]) -> str:
        return "{" + str(self.slot(key)) + "}"

    def text(self, raw: str, clean: Any = copy_escape) -> str:
        """Format-string text of `raw` (its literal parts through `clean`: COPY-escaped unless
        told otherwise) with slots for what a clone changes."""
        out: list[str] = []
        last = 0
        for m in self.regex.finditer(raw):
            out.append(_brace(clean(raw[last : m.start()])))
            out.append(self._token(m))
            last = m.end()
        out.append(_brace(clean(raw[last:])))
        return "".join(out)

    def json_text(self, value: Any, key: str | None = None) -> str:
        """Format-string JSON text of `value` (JSON data: dicts, lists, strings, numbers), with
        slots for what a clone changes; `key` is the member name `value` stands under."""
        if isinstance(value, dict):
            members = (f"{self.json_string(k)}: {self.json_text(v, k)}" for k, v in value.items())
            return "{{" + ", ".join(members) + "}}"
        if isinstance(value, list):
            return "[" + ", ".join(self.json_text(v) for v in value) + "]"
        if isinstance(value, str):
            return self.json_string(value)
        if isinstance(value, bool) or value is None:
            return json.dumps(value)
        if isinstance(value, int):
            model = JSON_IDS.get(key or "")
            if model is not None and value in self.pk_rank[model]:
                return self.mark(("pk", (model, value)))
            return str(value)
        if isinstance(value, float) and key == "last_state_change":
            return self.mark(("epoch", value))  # SpiffWorkflow's epoch seconds
        return json.dumps(value)

    def json_string(self, value: str) -> str:
        if DATE_RE.fullmatch(value):
            return '"' + self.mark(("date", date.fromisoformat(value))) + '"'
        return '"' + self.text(value, clean=json_escape) + '"'

    def _token(self, m: re.Match[str]) -> str:
        group, value = m.lastgroup, m.group()
        if group == "uuid":
            return self.mark(("uuid", value))
        if group == "iso":
            return self.mark(("dt", datetime.fromisoformat(value.replace("Z", "+00:00"))))
        if group == "ref":
            return self.mark(("reference", 0))
        # Division and agency codes: county, township (+3 digits) or village (+6 digits).
        if value == self.county_code:
            return self.mark(("county_code", 0))
        if value == self.township_code:
            return self.mark(("township_code", 0))
        if len(value) == len(self.county_code) + 6:
            return self.mark(("village_code", 0))
        return _brace(value)

    def column(self, model: type[models.Model], f: Any, value: Any) -> str:
        if value is None:
            return "\\N"
        if f.primary_key:
            return self.mark(("pk", (model, value)))
        if f.is_relation:
            target = f.related_model
            if target in self.pk_rank:
                return self.mark(("pk", (target, value)))
            if target is get_user_model():
                return self.mark(("user", self.users.get(value, f"fixed:{value}")))
            if target is Agency:
                return self.mark(("agency", self.agencies[value]))
            if target is Division:
                return self.mark(("township", 0))
            if target is Household:
                return self.mark(("household", 0))
            if target is Member:
                return self.mark(("applicant", 0))
            return str(value)
        if f.attname == "subject_id":
            return self.mark(("pk", (Case, int(value))))
        if isinstance(f, models.DateTimeField):
            return self.mark(("dt", value))
        if isinstance(f, models.DateField):
            return self.mark(("date", value))
        if isinstance(f, models.UUIDField):
            return self.mark(("uuid", str(value)))
        if isinstance(f, models.BinaryField):  # the engine state, read through the engine room
            data, self.t.spec = state_data(self.instance)
            self.t.state = self.json_text(data)
            return self.mark(("state", 0))
        if isinstance(f, models.BooleanField):
            return "t" if value else "f"
        if isinstance(f, models.JSONField):
            return copy_escape(self.json_text(value))
        if isinstance(value, str):
            return self.text(value)
        return str(value)


def _user_roles(county: County) -> dict[int, str]:
    roles = {county.coordinator: "coordinator", county.supervisor: "supervisor"}
    roles.update({uid: f"officer:{kind}" for kind, uid in county.officers.items()})
    roles.update({uid: "window" for uid in county.windows.values()})
    roles.update({uid: "village" for uid in county.assistants.values()})
    return roles


def _rows(case: Case) -> dict[type[models.Model], list[tuple[Any, ...]]]:
    process = case.process_id
    assert process is not None
    filters: dict[type[models.Model], Q] = {
        ProcessInstance: Q(pk=process),
        HumanTask: Q(instance_id=process),
        ProcessEvent: Q(instance_id=process),
        Case: Q(pk=case.pk),
        CaseItem: Q(case_id=case.pk),
        Referral: Q(case_id=case.pk),
        Handover: Q(referral__case_id=case.pk),
        SupervisionNotice: Q(referral__case_id=case.pk),
        ClockChange: Q(referral__case_id=case.pk),
        ApplicantNotice: Q(case_id=case.pk),
        AuditEvent: Q(case_id=case.pk) | Q(referral__case_id=case.pk),
    }
    return {
        model: list(
            model._default_manager.filter(filters[model])
            .order_by("pk")
            .values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        for model in CLONED
    }


def capture(
    name: str, weight: float, case: Case, county: County, now: datetime, history_weeks: int
) -> Template:
    """A template of `case` and everything it touched, as the database holds it now."""
    process = case.process_id
    assert process is not None
    rows = _rows(case)
    template = Template(
        name=name,
        weight=weight,
        tables={},
        columns={},
        state="",
        counts={model: len(found) for model, found in rows.items()},
    )
    instance = ProcessInstance.objects.get(pk=process)
    builder = _Builder(template, county, case, instance)
    for model, found in rows.items():
        builder.pk_rank[model] = {row[0]: i for i, row in enumerate(found)}
    for model, found in rows.items():
        fields = list(model._meta.concrete_fields)
        template.columns[model._meta.db_table] = [str(f.column) for f in fields]
        lines = [
            "\t".join(builder.column(model, f, v) for f, v in zip(fields, row, strict=True)) + "\n"
            for row in found
        ]
        template.tables[model._meta.db_table] = "".join(lines)
    template.state_slot = builder.slots[("state", 0)]
    template.created_at = case.created_at
    template.running = instance.state == ProcessInstance.State.RUNNING
    # When the case last changed: its last engine step or audit event (a due date may lie ahead).
    audit_times = [row[1] for row in rows[AuditEvent]]
    last_change = max([instance.updated_at, *audit_times])
    # Never into the future: a clone k weeks back must have happened by `now`.
    template.k_min = max(0, -(-(last_change - now) // WEEK)) if last_change > now else 0
    if not template.running:
        template.k_max = template.k_min + history_weeks
    elif instance.next_timer_at is None:
        template.k_max = template.k_min + 8  # waits on people only: can be weeks old
    else:
        # Open cases stay open: their next timer must still lie a day ahead.
        margin = instance.next_timer_at - now - timedelta(days=1)
        template.k_max = max(template.k_min, int(margin // WEEK))
    template.compile()
    return template
