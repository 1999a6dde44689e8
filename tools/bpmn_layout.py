"""Lay out a BPMN file's diagram (BPMN DI): lanes as lanes, expanded subprocesses, orthogonal flows.

    .venv/bin/python tools/bpmn_layout.py bpmn/new_process.bpmn          # file without a diagram
    .venv/bin/python tools/bpmn_layout.py --force bpmn/one_door.bpmn     # replace the diagram
    .venv/bin/python tools/bpmn_layout.py --check bpmn/*.bpmn            # does each diagram match?

`bpmn-auto-layout` (npm) cannot lay out pools or lanes, and our lanes are what the engine reads
(a lane names the role that works a task), so this tool places elements by lane and by
topological order and routes flows orthogonally. It writes only the `bpmndi:BPMNDiagram` (and
the three DI namespace declarations), leaving the process text, comments and formatting as
they were: the process runs identically. It is a first layout: open the result in the viewer
(the case page, or any BPMN modeler), move what reads badly by hand, and commit; without
`--force` the tool never overwrites a diagram, so hand finishing is kept.

The algorithm, per pool:
1. Columns: in each container (process, subprocess) rank nodes by longest path from the start
   events, ignoring back edges (found by depth-first search); a boundary event's flows count
   as leaving its host. An expanded subprocess is as many columns wide as its content.
2. Rows: in each lane, a node takes the row of its predecessor if that cell is free, else the
   nearest free row below. A subprocess's content takes its own band of rows in each lane it
   spans (the bottom of its first lane, the top of the others), so its box is contiguous.
3. Flows: same row, a straight line; a gateway leaves or enters vertically; otherwise right,
   down or up just before the target, right; a back edge runs through the gap below (or above)
   the rows it joins. Boundary events sit on their host's bottom edge.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflows.diagram import BPMN_NS, FLOW_NODE_TAGS, diagram_problems  # noqa: E402

DI_NAMESPACES = {
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
COL_W = 150  # one column: a task (100) and the gap its flow labels need
ROW_H = 130
POOL_HEADER = 30
LANE_HEADER = 30
LEFT = 160  # x of the pool
TOP = 80
BAND_PAD = 34  # room above a subprocess's first row for its title
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}


def q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def kind(node: etree._Element) -> str:
    local = etree.QName(node).localname
    if local.endswith("Event"):
        return "event"
    if local.endswith("Gateway"):
        return "gateway"
    if local in ("subProcess", "transaction", "adHocSubProcess"):
        return "subprocess"
    return "task"


class LayoutError(Exception):
    """A document this tool cannot lay out, and why."""


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Container:
    """A process or subprocess: its direct flow nodes, ranked into columns."""

    element: etree._Element
    nodes: list[etree._Element] = field(default_factory=list)
    rank: dict[str, int] = field(default_factory=dict)
    width: int = 1  # columns
    children: list[Container] = field(default_factory=list)


class Layout:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.by_id = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
        self.flows = list(root.iter(q("sequenceFlow")))
        self.boundary: dict[str, list[etree._Element]] = defaultdict(list)
        for event in root.iter(q("boundaryEvent")):
            self.boundary[event.get("attachedToRef", "")].append(event)
        self.boxes: dict[str, Box] = {}
        self.edges: dict[str, list[tuple[float, float]]] = {}
        self.labels: dict[str, Box] = {}
        self.lane_boxes: dict[str, Box] = {}
        self.pool_boxes: dict[str, Box] = {}
        self.expanded: set[str] = set()

    # -- 1. columns ------------------------------------------------------------------------

    def _successors(self, container: Container) -> dict[str, list[str]]:
        members = {n.get("id") for n in container.nodes}
        hosts = {
            e.get("id"): e.get("attachedToRef")
            for n in container.nodes
            for e in self.boundary[n.get("id", "")]
        }
        succ: dict[str, list[str]] = defaultdict(list)
        for flow in self.flows:
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            source = hosts.get(source, source)
            if source in members and target in members:
                succ[str(source)].append(str(target))
        return succ

    def rank_container(self, element: etree._Element) -> Container:
        container = Container(element)
        for child in element:
            if child.tag in FLOW_NODE_TAGS and child.tag != q("boundaryEvent"):
                container.nodes.append(child)
        succ = self._successors(container)
        ids = [str(n.get("id")) for n in container.nodes]
        incoming = {t for targets in succ.values() for t in targets}
        starts = [i for i in ids if i not in incoming] or ids[:1]
        # Back edges by depth-first search from the starts (in document order).
        back: set[tuple[str, str]] = set()
        state: dict[str, int] = {}

        def visit(node: str) -> None:
            state[node] = 1
            for target in succ[node]:
                if state.get(target) == 1:
                    back.add((node, target))
                elif target not in state:
                    visit(target)
            state[node] = 2

        for start in starts + ids:
            if start not in state:
                visit(start)
        # Longest path over the forward edges; a subprocess is as wide as its content.
        for node in container.nodes:
            if kind(node) == "subprocess":
                if kind(element) == "subprocess":
                    raise LayoutError(
                        f"subprocess {node.get('id')} inside subprocess {element.get('id')}: "
                        "nested subprocesses are not laid out; draw them by hand"
                    )
                child = self.rank_container(node)
                container.children.append(child)
        widths = {c.element.get("id"): c.width + 1 for c in container.children}
        order = self._topological(ids, succ, back)
        column: dict[str, int] = {}
        for node in order:
            column.setdefault(node, 0)
            for target in succ[node]:
                if (node, target) in back:
                    continue
                column[target] = max(column.get(target, 0), column[node] + widths.get(node, 1))
        container.rank = column
        container.width = max((column[n] + widths.get(n, 1) for n in ids), default=1)
        return container

    @staticmethod
    def _topological(
        ids: list[str], succ: dict[str, list[str]], back: set[tuple[str, str]]
    ) -> list[str]:
        indegree = dict.fromkeys(ids, 0)
        for node in ids:
            for target in succ[node]:
                if (node, target) not in back:
                    indegree[target] += 1
        ready = [i for i in ids if indegree[i] == 0]
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for target in succ[node]:
                if (node, target) in back:
                    continue
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
        return order + [i for i in ids if i not in order]

    def _heights(self, container: Container) -> dict[str, int]:
        """Per node, the longest forward path (in columns) from it to the container's end."""
        succ = self._successors(container)
        height: dict[str, int] = {}
        for node in sorted(container.rank, key=lambda n: -container.rank[n]):
            forward = [t for t in succ[node] if container.rank.get(t, -1) > container.rank[node]]
            height[node] = 1 + max((height.get(t, 0) for t in forward), default=0)
        return height

    def _main_path(self, container: Container) -> set[str]:
        """Nodes reached from the start without passing through a boundary event."""
        members = {str(n.get("id")) for n in container.nodes}
        succ: dict[str, list[str]] = defaultdict(list)
        for flow in self.flows:
            succ[str(flow.get("sourceRef"))].append(str(flow.get("targetRef")))
        incoming = {t for targets in succ.values() for t in targets}
        todo = [i for i in members if i not in incoming]
        seen: set[str] = set()
        while todo:
            node = todo.pop()
            if node in seen or node not in members:
                continue
            seen.add(node)
            todo.extend(succ[node])
        return seen

    # -- 2. rows ---------------------------------------------------------------------------

    def place_pool(
        self, process: etree._Element, participant: etree._Element | None, top: float
    ) -> float:
        """Place one process (in its pool, if any) from y = top; return the pool's bottom."""
        lanes = list(process.iter(q("lane")))
        lane_of: dict[str, str] = {}
        for lane_element in lanes:
            for ref in lane_element.iter(q("flowNodeRef")):
                lane_of[(ref.text or "").strip()] = str(lane_element.get("id"))
        lane_ids = [str(lane_element.get("id")) for lane_element in lanes] or [""]
        top_container = self.rank_container(process)
        preds: dict[str, list[str]] = defaultdict(list)
        for flow in self.flows:
            preds[str(flow.get("targetRef"))].append(str(flow.get("sourceRef")))

        def lane(node_id: str, default: str) -> str:
            return lane_of.get(node_id, default if default in lane_ids else lane_ids[0])

        def assign_rows(
            container: Container, base_col: float, default_lane: str
        ) -> dict[str, tuple[str, int]]:
            """Rows within each lane for the container's direct nodes (subprocesses excluded)."""
            taken: dict[str, set[tuple[int, int]]] = defaultdict(set)
            rows: dict[str, tuple[str, int]] = {}
            # The branch with the longest way still to go keeps its predecessor's row.
            # The main path first, what boundary events start after it.
            height = self._heights(container)
            main = self._main_path(container)
            order = sorted(
                container.nodes,
                key=lambda n: (
                    str(n.get("id")) not in main,
                    container.rank[str(n.get("id"))],
                    -height[str(n.get("id"))],
                ),
            )
            for node in order:
                ident = str(node.get("id"))
                if kind(node) == "subprocess":
                    continue
                node_lane = lane(ident, default_lane)
                col = container.rank[ident]
                wanted = 0
                for source in preds[ident]:
                    host = self.by_id[source].get("attachedToRef") if source in self.by_id else None
                    origin = host or source
                    if origin in rows and rows[origin][0] == node_lane:
                        wanted = rows[origin][1] + (1 if host else 0)
                        break
                row = wanted
                while (col, row) in taken[node_lane]:
                    row += 1
                taken[node_lane].add((col, row))
                rows[ident] = (node_lane, row)
                # A gateway's flow to a lower row runs down through the cells below it.
                for source in preds[ident]:
                    if (
                        source in rows
                        and rows[source][0] == node_lane
                        and kind(self.by_id[source]) == "gateway"
                    ):
                        source_col = container.rank[source]
                        for between in range(rows[source][1] + 1, row + 1):
                            taken[node_lane].add((source_col, between))
            return rows

        top_rows = assign_rows(top_container, 0, lane_ids[0])
        lane_top_rows = {
            lid: 1 + max((r for ln, r in top_rows.values() if ln == lid), default=-1)
            for lid in lane_ids
        }
        # Subprocess content: a band of rows in each lane it spans.
        sub_rows: dict[str, dict[str, tuple[str, int]]] = {}
        band: dict[str, int] = defaultdict(int)
        span: dict[str, tuple[int, int]] = {}
        for child in top_container.children:
            ident = str(child.element.get("id"))
            rows = assign_rows(child, 0, lane(ident, lane_ids[0]))
            sub_rows[ident] = rows
            used = {ln for ln, _r in rows.values()} or {lane(ident, lane_ids[0])}
            indexes = sorted(lane_ids.index(ln) for ln in used)
            span[ident] = (indexes[0], indexes[-1])
            for index in range(indexes[0], indexes[-1] + 1):
                lid = lane_ids[index]
                band[lid] = max(
                    band[lid], 1 + max((r for ln, r in rows.values() if ln == lid), default=0)
                )
        first_lanes = {lane_ids[s[0]] for s in span.values()}
        # Row offsets: in a subprocess's first lane its band goes below the lane's own rows;
        # in the lanes below, above them.
        lane_y: dict[str, float] = {}
        band_y: dict[str, float] = {}
        own_y: dict[str, float] = {}
        y = top
        for lid in lane_ids:
            lane_y[lid] = y
            own = lane_top_rows[lid] * ROW_H
            rows_h = band[lid] * ROW_H
            pad = BAND_PAD if lid in first_lanes and band[lid] else 0
            if lid in first_lanes or not band[lid]:
                own_y[lid] = y
                band_y[lid] = y + own + pad
            else:
                band_y[lid] = y
                own_y[lid] = y + rows_h
            height = max(own + rows_h + pad + (BAND_PAD / 2 if band[lid] else 0), ROW_H)
            self.lane_boxes[lid] = Box(LEFT + POOL_HEADER, y, 0, height)
            y += height
        x0 = LEFT + POOL_HEADER + (LANE_HEADER if lanes else 0) + 20

        def place(ident: str, col: float, row_y: float) -> None:
            node = self.by_id[ident]
            w, h = SIZES[kind(node)]
            if kind(node) == "task" and len(self.boundary[ident]) > 2:
                w = 50 * len(self.boundary[ident]) + 14
            cx = x0 + col * COL_W + COL_W / 2
            self.boxes[ident] = Box(cx - w / 2, row_y + ROW_H / 2 - h / 2, w, h)

        for ident, (lid, row) in top_rows.items():
            place(ident, top_container.rank[ident], own_y[lid] + row * ROW_H)
        for child in top_container.children:
            ident = str(child.element.get("id"))
            first, last = span[ident]
            col0 = top_container.rank[ident]
            for node_id, (lid, row) in sub_rows[ident].items():
                place(node_id, col0 + 0.5 + child.rank[node_id], band_y[lid] + row * ROW_H)
            box_top = band_y[lane_ids[first]] - BAND_PAD + 6
            last_lane = lane_ids[last]
            box_bottom = band_y[last_lane] + band[last_lane] * ROW_H + 6
            self.boxes[ident] = Box(
                x0 + col0 * COL_W + 10,
                box_top,
                (child.width + 1) * COL_W - 20,
                box_bottom - box_top,
            )
            self.expanded.add(ident)
        width = x0 - LEFT + top_container.width * COL_W + 20 + self._widen()
        for lid in lane_ids:
            box = self.lane_boxes[lid]
            box.w = width - POOL_HEADER
        if not lanes:
            self.lane_boxes.clear()
        if participant is not None:
            self.pool_boxes[str(participant.get("id"))] = Box(LEFT, top, width, y - top)
        self._place_boundary_events()
        return y

    def _widen(self) -> float:
        """Make room right of each task wider than a column (one with many boundary events):
        shift what lies right of it, widen what contains it; return the total added."""
        added = 0.0
        wide = sorted(
            (
                self.boxes[i]
                for i in self.boxes
                if kind(self.by_id[i]) == "task" and self.boxes[i].w > SIZES["task"][0]
            ),
            key=lambda b: b.x,
        )
        for box in wide:
            extra = box.w - SIZES["task"][0]
            centre = box.cx
            for ident, other in self.boxes.items():
                if other is box:
                    continue
                if abs(other.cx - centre) < 1:  # same column: stays centred under it
                    other.x += extra / 2
                elif other.x > centre:
                    other.x += extra
                elif ident in self.expanded and other.right > centre:  # a subprocess around it
                    other.w += extra
            box.x += extra / 2
            added += extra
        return added

    def _place_boundary_events(self) -> None:
        targets: dict[str, float] = {}
        for flow in self.flows:
            target = self.boxes.get(str(flow.get("targetRef")))
            if target is not None:
                targets[str(flow.get("sourceRef"))] = target.cy
        for host_id, events in self.boundary.items():
            host = self.boxes.get(host_id)
            if host is None:
                continue
            # The event whose flow goes to the nearest row sits rightmost: no crossings.
            events = sorted(events, key=lambda e: -targets.get(str(e.get("id")), 0))
            step = host.w / (len(events) + 1)
            for index, event in enumerate(events, start=1):
                cx = host.x + index * step if len(events) > 1 else host.x + host.w - 25
                self.boxes[str(event.get("id"))] = Box(cx - 18, host.bottom - 18, 36, 36)

    # -- 3. flows --------------------------------------------------------------------------

    def route(self) -> None:
        back_channel: dict[float, int] = defaultdict(int)
        for flow in self.flows:
            ident = str(flow.get("id"))
            source_id, target_id = str(flow.get("sourceRef")), str(flow.get("targetRef"))
            s, t = self.boxes[source_id], self.boxes[target_id]
            s_node, t_node = self.by_id[source_id], self.by_id[target_id]
            points: list[tuple[float, float]]
            if s_node.tag == q("boundaryEvent"):
                points = [(s.cx, s.bottom), (s.cx, t.cy), (t.x, t.cy)]
                if abs(s.bottom - t.cy) < 1:
                    points = [(s.cx, s.bottom), (t.x, t.cy)]
            elif t.x >= s.right - 1:  # forward
                s_cy = t.cy if t_node.tag != q("subProcess") and s.y <= t.cy <= s.bottom else s.cy
                t_cy = t.cy
                if kind(t_node) == "subprocess":
                    t_cy = s.cy if t.y + 30 <= s.cy <= t.bottom - 10 else t.y + 60
                if kind(s_node) == "subprocess":
                    s_cy = t.cy if s.y + 30 <= t.cy <= s.bottom - 10 else s.y + 60
                if abs(s_cy - t_cy) < 1:
                    points = [(s.right, s_cy), (t.x, t_cy)]
                elif kind(s_node) == "gateway":
                    exit_y = s.y if t_cy < s.cy else s.bottom
                    points = [(s.cx, exit_y), (s.cx, t_cy), (t.x, t_cy)]
                elif kind(t_node) == "gateway":
                    entry_y = t.y if s_cy < t.cy else t.bottom
                    points = [(s.right, s_cy), (t.cx, s_cy), (t.cx, entry_y)]
                else:
                    xm = t.x - 22
                    points = [(s.right, s_cy), (xm, s_cy), (xm, t_cy), (t.x, t_cy)]
            else:  # back to an earlier column: through the gap below (or above) the rows
                if t.cy > s.bottom:
                    base = t.y - (ROW_H - t.h) / 2 + 8
                    gap = base + back_channel[round(base)] * 8
                    back_channel[round(base)] += 1
                    points = [(s.cx, s.bottom), (s.cx, gap), (t.cx, gap), (t.cx, t.y)]
                else:
                    low = max(s.bottom, t.bottom)
                    base = low + (ROW_H - 80) / 2 - 4
                    offset = back_channel[round(base)] * 8
                    back_channel[round(base)] += 1
                    gap = base - offset
                    points = [(s.cx, s.bottom), (s.cx, gap), (t.cx, gap), (t.cx, t.bottom)]
            self.edges[ident] = points
            name = flow.get("name")
            if name:
                (x1, y1), (x2, y2) = points[0], points[1]
                if abs(x1 - x2) < 1:  # leaves vertically
                    # Down: right of the line; up: left of it (the gateway's name is right).
                    width = 14 * len(name) + 4
                    if y2 > y1:
                        self.labels[ident] = Box(x1 + 4, y1 + 8, width, 14)
                    else:
                        self.labels[ident] = Box(x1 - 4 - width, y1 - 22, width, 14)
                else:
                    self.labels[ident] = Box(x1 + 6, y1 + 3, 60, 14)
        for node_id, box in self.boxes.items():
            node = self.by_id[node_id]
            if node.get("name") and kind(node) in ("event", "gateway"):
                width = max(60, 14 * len(node.get("name", "")) // 1)
                lines = 1 + (len(node.get("name", "")) - 1) // 6  # bpmn-js wraps at 90 px
                if kind(node) == "gateway":
                    # Above it, unless a flow leaves upwards: then below, or left of it if both.
                    exits = [
                        p[1][1] - p[0][1]
                        for f, p in self.edges.items()
                        if self.by_id[f].get("sourceRef") == node_id
                    ]
                    up, down = any(d < -1 for d in exits), any(d > 1 for d in exits)
                    if up and down:
                        self.labels[node_id] = Box(
                            box.cx + 6, box.y - 4 - 15 * lines, 90, 15 * lines
                        )
                    elif up:
                        self.labels[node_id] = Box(box.cx - 45, box.bottom + 6, 90, 15 * lines)
                    else:
                        self.labels[node_id] = Box(
                            box.cx - 45, box.y - 6 - 15 * lines, 90, 15 * lines
                        )
                elif node.tag == q("boundaryEvent"):
                    # Right of its own flow, one line lower per sibling on its right.
                    host = self.boxes[str(node.get("attachedToRef"))]
                    depth = sum(
                        1
                        for e in self.boundary[str(node.get("attachedToRef"))]
                        if self.boxes[str(e.get("id"))].x > box.x
                    )
                    width = 14 * len(node.get("name", "")) + 4
                    del host
                    self.labels[node_id] = Box(box.cx + 3, box.bottom + 2 + 15 * depth, width, 14)
                else:
                    self.labels[node_id] = Box(box.cx - width / 2, box.bottom + 6, width, 14)


def _bounds(box: Box) -> str:
    return f'<dc:Bounds x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" height="{box.h:.0f}" />'


def _shape(ident: str, attributes: str, inner: str) -> str:
    return (
        f'      <bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}"{attributes}>{inner}'
        "</bpmndi:BPMNShape>"
    )


def render_di(root: etree._Element) -> str:
    """The bpmndi:BPMNDiagram element (as text) for a document."""
    layout = Layout(root)
    collaboration = root.find(q("collaboration"))
    processes = {str(p.get("id")): p for p in root.iter(q("process"))}
    participants = list(collaboration.iter(q("participant"))) if collaboration is not None else []
    pools = [
        (processes[str(p.get("processRef"))], p)
        for p in participants
        if p.get("processRef") in processes
    ]
    if not pools:
        pools = [(p, None) for p in processes.values()]
    y = float(TOP)
    for process, participant in pools:
        y = layout.place_pool(process, participant, y) + 40
    layout.route()
    for flow in root.iter(q("messageFlow")):
        s, t = (
            layout.boxes.get(str(flow.get("sourceRef"))),
            layout.boxes.get(str(flow.get("targetRef"))),
        )
        s = s or layout.pool_boxes.get(str(flow.get("sourceRef")))
        t = t or layout.pool_boxes.get(str(flow.get("targetRef")))
        if s is not None and t is not None:
            down = t.cy > s.cy
            layout.edges[str(flow.get("id"))] = [
                (s.cx, s.bottom if down else s.y),
                (s.cx, (s.bottom + t.y) / 2 if down else (s.y + t.bottom) / 2),
                (t.cx, (s.bottom + t.y) / 2 if down else (s.y + t.bottom) / 2),
                (t.cx, t.y if down else t.bottom),
            ]
    plane_ref = (
        collaboration.get("id")
        if collaboration is not None and participants
        else next(iter(processes))
    )
    lines = [
        '  <bpmndi:BPMNDiagram id="diagram">',
        f'    <bpmndi:BPMNPlane id="diagram_plane" bpmnElement="{plane_ref}">',
    ]
    for pool_id, box in [*layout.pool_boxes.items(), *layout.lane_boxes.items()]:
        lines.append(_shape(pool_id, ' isHorizontal="true"', _bounds(box)))
    # Subprocesses first, so their content is drawn above their box.
    ordered = sorted(
        layout.boxes,
        key=lambda i: (i not in layout.expanded, layout.by_id[i].tag == q("boundaryEvent")),
    )
    for ident in ordered:
        box = layout.boxes[ident]
        extra = ' isExpanded="true"' if ident in layout.expanded else ""
        label = layout.labels.get(ident)
        inner = _bounds(box) + (
            f"<bpmndi:BPMNLabel>{_bounds(label)}</bpmndi:BPMNLabel>" if label else ""
        )
        lines.append(_shape(ident, extra, inner))
    for ident, points in layout.edges.items():
        waypoints = "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in points)
        label = layout.labels.get(ident)
        inner = waypoints + (
            f"<bpmndi:BPMNLabel>{_bounds(label)}</bpmndi:BPMNLabel>" if label else ""
        )
        lines.append(
            f'      <bpmndi:BPMNEdge id="{ident}_di" bpmnElement="{ident}">{inner}'
            "</bpmndi:BPMNEdge>"
        )
    lines += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
    return "\n".join(lines)


DIAGRAM_RE = re.compile(r"\s*<bpmndi:BPMNDiagram\b.*?</bpmndi:BPMNDiagram>", re.DOTALL)


def with_diagram(text: str) -> str:
    """The document's text with its diagram (re)generated; everything else byte for byte."""
    text = DIAGRAM_RE.sub("", text)
    root = etree.fromstring(text.encode(), parser=etree.XMLParser(resolve_entities=False))
    diagram = render_di(root)
    start = re.search(r"<(\w+:)?definitions\b[^>]*>", text)
    if start is None:
        raise ValueError("no definitions element")
    tag = start.group(0)
    for prefix, uri in DI_NAMESPACES.items():
        if f"xmlns:{prefix}=" not in tag:
            indent = re.search(r"\n(\s+)\S+=", tag)
            tag = (
                tag[:-1].rstrip()
                + f'\n{indent.group(1) if indent else "  "}xmlns:{prefix}="{uri}">'
            )
    text = text[: start.start()] + tag + text[start.end() :]
    end = text.rfind("</")
    return text[:end].rstrip() + "\n" + diagram + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--force", action="store_true", help="replace an existing diagram")
    parser.add_argument("--check", action="store_true", help="only report mismatches")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        root = etree.fromstring(text.encode(), parser=etree.XMLParser(resolve_entities=False))
        if args.check:
            problems = diagram_problems(root)
            for problem in problems:
                print(f"{path}: {problem}")
            status |= bool(problems)
            continue
        if DIAGRAM_RE.search(text) and not args.force:
            print(f"{path}: has a diagram already (--force replaces it, losing hand edits)")
            status = 1
            continue
        try:
            laid_out = with_diagram(text)
        except LayoutError as exc:
            print(f"{path}: {exc}")
            status = 1
            continue
        path.write_text(laid_out, encoding="utf-8")
        problems = diagram_problems(etree.fromstring(path.read_bytes()))
        print(f"{path}: laid out" + (f"; still wrong: {problems}" if problems else ""))
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
