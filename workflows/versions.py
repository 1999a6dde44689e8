"""The difference between two versions of a process: steps, flows, lanes, timers, expressions.

Steps are aligned by SpiffWorkflow's own `SpecDiff` (SpiffWorkflow.bpmn.util.diff), the same
alignment its `migrate_workflow` moves running instances with: by BPMN id first, then by
place in the flow. The subprocesses' specs are compared with `diff_dependencies`. Flows,
lanes, timers and expressions are read from the two documents, by element id, since the
parsed specs keep no flow ids and no lanes as elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_dependencies

from .diagram import BPMN_NS
from .documents import text_bytes
from .models import ProcessDefinition
from .runtime import ParsedDefinition, serializer, spec_cache

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
EMPTY: Mapping[str, str] = MappingProxyType({})
ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# SpecDiff names the serialized attributes that differ; in words for an administrator.
ATTRIBUTES = {
    "typename": gettext_lazy("its kind"),
    "bpmn_name": gettext_lazy("its name"),
    "inputs": gettext_lazy("what leads to it"),
    "outputs": gettext_lazy("what follows it"),
    "lane": gettext_lazy("its lane"),
    "extensions": gettext_lazy("its properties (who, due date, form)"),
    "cond_task_specs": gettext_lazy("its conditions"),
    "default_task_spec": gettext_lazy("its default flow"),
    "script": gettext_lazy("its script"),
    "prescript": gettext_lazy("its script before"),
    "postscript": gettext_lazy("its script after"),
    "event_definition": gettext_lazy("its event"),
    "operation_name": gettext_lazy("its service"),
    "operation_params": gettext_lazy("its service's parameters"),
    "cancel_activity": gettext_lazy("whether it interrupts"),
    "data_input": gettext_lazy("its input"),
    "data_output": gettext_lazy("its output"),
    "condition": gettext_lazy("its completion condition"),
    "decision_ref": gettext_lazy("its decision table"),
}
# What the serializer records of a spec that an administrator never set.
IGNORED_ATTRIBUTES = {"description", "manual", "lookahead", "data_input_associations"}


@dataclass(frozen=True)
class Change:
    kind: str  # ADDED, REMOVED or CHANGED
    category: str  # "step", "flow", "lane", "timer", "expression"
    element: str  # the BPMN id (marked on the diagram)
    name: str
    detail: str = ""


@dataclass
class VersionDiff:
    old: ProcessDefinition
    new: ProcessDefinition
    changes: list[Change] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.changes

    def marks(self) -> dict[str, dict[str, str]]:
        """Element id -> kind, per diagram: removed on the old one, the rest on the new."""
        old: dict[str, str] = {}
        new: dict[str, str] = {}
        for change in self.changes:
            if change.kind == REMOVED:
                old[change.element] = REMOVED
            else:
                new.setdefault(change.element, change.kind)
                if change.kind == ADDED:
                    new[change.element] = ADDED
                if change.kind == CHANGED:
                    old.setdefault(change.element, CHANGED)
        return {"old": old, "new": new}

    def by_category(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.category, []).append(change)
        return grouped


def _root(definition: ProcessDefinition) -> etree._Element:
    """The definition's own process element: a file may hold several processes (one_door.bpmn
    holds one_door and the referral_handling it calls), and each is compared on its own."""
    document = etree.fromstring(
        text_bytes(definition.source), parser=etree.XMLParser(resolve_entities=False)
    )
    for process in document.iter(_q("process")):
        if process.get("id") == definition.process_id:
            return process
    return document


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _name(node: etree._Element | None, fallback: str = "") -> str:
    if node is None:
        return fallback
    return (node.get("name") or "").strip() or node.get("id") or fallback


def _step_changes(old: ParsedDefinition, new: ParsedDefinition) -> list[Change]:
    """Steps added, removed and changed, as SpiffWorkflow aligns them."""
    registry = serializer.registry
    diffs: list[SpecDiff] = [SpecDiff(registry, old.spec, new.spec)]
    subdiffs, added_specs = diff_dependencies(registry, old.subprocess_specs, new.subprocess_specs)
    changes: list[Change] = []
    for spec_name, subdiff in subdiffs.items():
        if subdiff is None:
            changes.append(Change(REMOVED, "step", spec_name, spec_name, _("subprocess removed")))
        else:
            diffs.append(subdiff)
    for spec_name in added_specs:
        changes.append(Change(ADDED, "step", spec_name, spec_name, _("subprocess added")))
    for diff in diffs:
        for spec in diff.added:
            if spec.bpmn_id:
                changes.append(Change(ADDED, "step", spec.bpmn_id, spec.bpmn_name or spec.bpmn_id))
        for spec in diff.removed:
            if spec.bpmn_id:
                changes.append(
                    Change(REMOVED, "step", spec.bpmn_id, spec.bpmn_name or spec.bpmn_id)
                )
        for spec, attributes in diff.changed.items():
            target = diff.alignment.get(spec)
            if not spec.bpmn_id or target is None:
                continue
            shown = [str(ATTRIBUTES.get(a, a)) for a in attributes if a not in IGNORED_ATTRIBUTES]
            if target.bpmn_id != spec.bpmn_id:
                shown.insert(0, _("now %(id)s") % {"id": target.bpmn_id})
            if shown:
                changes.append(
                    Change(
                        CHANGED,
                        "step",
                        target.bpmn_id or spec.bpmn_id,
                        target.bpmn_name or spec.bpmn_name or spec.bpmn_id,
                        _("changed: %(what)s") % {"what": "、".join(shown)},
                    )
                )
    return changes


def _flows(root: etree._Element) -> dict[str, tuple[str, str, str, str]]:
    names = {n.get("id"): _name(n) for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    flows = {}
    for flow in root.iter(_q("sequenceFlow")):
        condition = flow.find(_q("conditionExpression"))
        flows[flow.get("id", "")] = (
            names.get(flow.get("sourceRef"), flow.get("sourceRef") or ""),
            names.get(flow.get("targetRef"), flow.get("targetRef") or ""),
            (condition.text or "").strip() if condition is not None else "",
            _name(flow, ""),
        )
    return flows


def _flow_changes(old: etree._Element, new: etree._Element) -> list[Change]:
    before, after = _flows(old), _flows(new)
    changes = []
    for ident in sorted(set(before) | set(after)):
        a, b = before.get(ident), after.get(ident)
        if a == b:
            continue
        shown = b or a
        assert shown is not None
        label = f"{shown[0]} → {shown[1]}"
        if a is None:
            changes.append(Change(ADDED, "flow", ident, label, shown[2]))
        elif b is None:
            changes.append(Change(REMOVED, "flow", ident, label, shown[2]))
        elif (a[0], a[1]) != (b[0], b[1]):
            detail = _("was %(before)s") % {"before": f"{a[0]} → {a[1]}"}
            changes.append(Change(CHANGED, "flow", ident, label, detail))
        if a is not None and b is not None and a[2] != b[2]:
            detail = _("condition %(before)s → %(after)s") % {
                "before": a[2] or "—",
                "after": b[2] or "—",
            }
            changes.append(Change(CHANGED, "expression", ident, label, detail))
    return changes


def _lanes(
    root: etree._Element, lane_names: Mapping[str, str]
) -> dict[str, tuple[str, frozenset[str]]]:
    return {
        lane.get("id", ""): (
            lane_names.get(_name(lane), _name(lane)),
            frozenset((ref.text or "").strip() for ref in lane.iter(_q("flowNodeRef"))),
        )
        for lane in root.iter(_q("lane"))
    }


def _lane_changes(
    old: etree._Element, new: etree._Element, lane_names: Mapping[str, str]
) -> list[Change]:
    """Lanes by id; `lane_names` says a lane's name in words (the domain's: "window" is the
    township window), as the diagrams name them."""
    before, after = _lanes(old, lane_names), _lanes(new, lane_names)
    names = {n.get("id"): _name(n) for n in new.iter() if isinstance(n.tag, str) and n.get("id")}
    names.update(
        {n.get("id"): _name(n) for n in old.iter() if isinstance(n.tag, str) and n.get("id")}
    )
    changes = []
    for ident in sorted(set(before) | set(after)):
        a, b = before.get(ident), after.get(ident)
        if a is None and b is not None:
            changes.append(Change(ADDED, "lane", ident, b[0]))
        elif b is None and a is not None:
            changes.append(Change(REMOVED, "lane", ident, a[0]))
        elif a is not None and b is not None and a != b:
            parts = []
            if a[0] != b[0]:
                parts.append(_("renamed from %(name)s") % {"name": a[0]})
            if joined := sorted(b[1] - a[1]):
                parts.append(
                    _("now holds %(steps)s") % {"steps": "、".join(names.get(s, s) for s in joined)}
                )
            if left := sorted(a[1] - b[1]):
                parts.append(
                    _("no longer holds %(steps)s")
                    % {"steps": "、".join(names.get(s, s) for s in left)}
                )
            changes.append(Change(CHANGED, "lane", ident, b[0], "；".join(parts)))
    return changes


TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")


def _timers(root: etree._Element) -> dict[str, tuple[str, str]]:
    timers = {}
    for definition in root.iter(_q("timerEventDefinition")):
        event = definition.getparent()
        assert event is not None
        expression = "".join(
            f"{part}: {(node.text or '').strip()}"
            for part in TIMER_PARTS
            if (node := definition.find(_q(part))) is not None
        )
        timers[event.get("id", "")] = (_name(event), expression)
    return timers


def _expressions(root: etree._Element) -> dict[str, tuple[str, str]]:
    """Per element: its script, its spiffworkflow properties and its multi-instance
    expressions, in one comparable text (flows' conditions are compared with the flows)."""
    found: dict[str, list[str]] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        owner = node.get("id", "")
        parts: list[str] = []
        script = node.find(_q("script"))
        if script is not None:
            parts.append((script.text or "").strip())
        for prop in node.findall(f"{_q('extensionElements')}/{{{SPIFF_NS}}}properties/*"):
            parts.append(f"{prop.get('name')}={prop.get('value')}")
        loop = node.find(_q("multiInstanceLoopCharacteristics"))
        if loop is not None:
            parts.extend((e.text or "").strip() for e in loop.iter() if e is not loop)
        if parts:
            found[owner] = parts
    names = {n.get("id"): _name(n) for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    return {k: (names.get(k, k), "\n".join(v)) for k, v in found.items()}


def _compare(
    category: str,
    before: dict[str, tuple[str, str]],
    after: dict[str, tuple[str, str]],
) -> list[Change]:
    changes = []
    for ident in sorted(set(before) | set(after)):
        a, b = before.get(ident), after.get(ident)
        if a is not None and b is not None and a[1] != b[1]:
            detail = _("%(before)s → %(after)s") % {"before": a[1] or "—", "after": b[1] or "—"}
            changes.append(Change(CHANGED, category, ident, b[0], detail))
        elif a is None and b is not None and category == "timer":
            changes.append(Change(ADDED, category, ident, b[0], b[1]))
        elif b is None and a is not None and category == "timer":
            changes.append(Change(REMOVED, category, ident, a[0], a[1]))
    return changes


def diff_parsed(
    old: ProcessDefinition,
    new: ProcessDefinition,
    old_parsed: ParsedDefinition,
    new_parsed: ParsedDefinition,
    lane_names: Mapping[str, str] = EMPTY,
) -> VersionDiff:
    """The difference between two versions, given their parsed specs (`new` may be unsaved:
    an uploaded file previewed before it is deployed)."""
    old_root, new_root = _root(old), _root(new)
    changes = _step_changes(old_parsed, new_parsed)
    changes += _flow_changes(old_root, new_root)
    changes += _lane_changes(old_root, new_root, lane_names)
    changes += _compare("timer", _timers(old_root), _timers(new_root))
    changes += _compare("expression", _expressions(old_root), _expressions(new_root))
    return VersionDiff(old=old, new=new, changes=changes)


def diff_versions(
    old: ProcessDefinition, new: ProcessDefinition, lane_names: Mapping[str, str] = EMPTY
) -> VersionDiff:
    """The difference between two stored versions of one process."""
    return diff_parsed(
        old,
        new,
        spec_cache.get(old.pk, old.content_hash),
        spec_cache.get(new.pk, new.content_hash),
        lane_names,
    )


def diff_with_upload(
    stored: ProcessDefinition,
    new: ProcessDefinition,
    new_parsed: ParsedDefinition,
    lane_names: Mapping[str, str] = EMPTY,
) -> VersionDiff:
    """The difference between a stored version and one not yet deployed (a preview)."""
    return diff_parsed(
        stored, new, spec_cache.get(stored.pk, stored.content_hash), new_parsed, lane_names
    )
