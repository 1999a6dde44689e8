"""Diagram interchange (BPMN DI): does a document's drawing match its process?

SpiffWorkflow ignores `bpmndi:` entirely, so a file can run with no diagram, or with one that
draws steps that no longer exist. Deploy warns, and a test refuses, either: the diagram is what
a county reads to know its path, and the case page marks a case's state on it by element id.
"""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"

# Elements a diagram must draw exactly once: every flow node, flow, lane and pool.
FLOW_NODE_TAGS = frozenset(
    f"{{{BPMN_NS}}}{name}"
    for name in (
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "manualTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    )
)
EDGE_TAGS = frozenset({f"{{{BPMN_NS}}}sequenceFlow", f"{{{BPMN_NS}}}messageFlow"})
CONTAINER_TAGS = frozenset({f"{{{BPMN_NS}}}lane", f"{{{BPMN_NS}}}participant"})


def has_diagram(root: etree._Element) -> bool:
    return root.find(f"{{{BPMNDI_NS}}}BPMNDiagram") is not None


def diagram_problems(root: etree._Element) -> list[str]:
    """What is wrong with the document's diagram, in words; empty when it matches the process.

    Every flow node, sequence/message flow, lane and pool has exactly one shape or edge, and
    every shape, edge and plane refers to an element that exists.
    """
    if not has_diagram(root):
        return [_("no diagram (no bpmndi:BPMNDiagram)")]
    ids = {node.get("id"): node for node in root.iter() if isinstance(node.tag, str)}
    drawn = Counter(
        node.get("bpmnElement", "")
        for node in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")
    )
    problems: list[str] = []
    for node in root.iter(f"{{{BPMNDI_NS}}}BPMNPlane"):
        if node.get("bpmnElement") not in ids:
            problems.append(_("plane %(plane)s refers to no element") % {"plane": node.get("id")})
    for ref, count in sorted(drawn.items()):
        if ref not in ids:
            problems.append(_("%(ref)s: drawn but no such element") % {"ref": ref})
        elif count > 1:
            problems.append(_("%(ref)s: drawn %(count)s times") % {"ref": ref, "count": count})
    for node in root.iter():
        if node.tag in FLOW_NODE_TAGS or node.tag in EDGE_TAGS or node.tag in CONTAINER_TAGS:
            ident = node.get("id", "")
            if drawn[ident] == 0:
                problems.append(
                    _("%(ref)s (%(kind)s): not drawn")
                    % {"ref": ident, "kind": etree.QName(node).localname}
                )
    for node in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        target = ids.get(node.get("bpmnElement"))
        if target is not None and target.tag in EDGE_TAGS:
            problems.append(
                _("%(ref)s: a flow drawn as a shape") % {"ref": node.get("bpmnElement")}
            )
    for node in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        target = ids.get(node.get("bpmnElement"))
        if (
            target is not None
            and target.tag not in EDGE_TAGS
            and target.tag != (f"{{{BPMN_NS}}}association")
        ):
            problems.append(
                _("%(ref)s: an element drawn as an edge") % {"ref": node.get("bpmnElement")}
            )
    return problems


def without_diagram(root: etree._Element) -> etree._Element:
    """A copy of the document with its diagram removed, for the parser.

    SpiffWorkflow's parser reads the diagram: it orders a node's outgoing flows by the y
    coordinate of their targets' shapes (TaskParser.parse_node), which decides which condition
    an exclusive gateway tries first and in which order parallel branches are created. Moving a
    shape must never change what a process does, so the engine parses every document as if it
    had no diagram: outgoing flows keep their document order, as they did before diagrams.
    """
    copy = etree.fromstring(etree.tostring(root))
    for diagram in copy.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        copy.remove(diagram)
    return copy
