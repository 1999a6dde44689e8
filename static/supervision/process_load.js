/* Where cases pile up (templates/supervision/process_load.html).
 *
 * The server counts every step's open tasks (platform/onedoor/supervision/piles.py) and hands
 * them over as JSON; this script only draws: the definition's diagram in bpmn-js's
 * NavigatedViewer, each step with open tasks coloured and badged with its count (and its
 * overdue count), each badge a link to the list of those tasks, the figures on hover.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(state, id, overdue) {
    var params = new URLSearchParams(state.query);
    params.set("step", id);
    if (overdue) params.set("overdue", "1");
    return state.tasks + "?" + params.toString();
  }

  var D = window.OneDoorDiagram;

  // Start on the step with most overdue (then most open) tasks, at a readable scale.
  function focus(canvas, registry, elements) {
    var best = null;
    Object.keys(elements).forEach(function (id) {
      var e = registry.get(id);
      if (!e) return;
      var rank = elements[id].overdue * 100000 + elements[id].open;
      if (!best || rank > best.rank) best = { rank: rank, element: e };
    });
    if (best) D.showReadable(canvas, best.element);
  }

  function draw(root, viewer, state) {
    D.relabelLanes(viewer, state.lanes);
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    Object.keys(state.elements).forEach(function (id) {
      var info = state.elements[id];
      if (!registry.get(id)) return;
      canvas.addMarker(id, info.overdue ? "od-overdue" : "od-waiting");
      var badges = el("span", "od-counts");
      var open = el("a", "od-badge od-waiting", String(info.open));
      open.href = link(state, id, false);
      open.title = info.lines.join("\n");
      badges.appendChild(open);
      if (info.overdue) {
        var late = el("a", "od-badge od-overdue", String(info.overdue));
        late.href = link(state, id, true);
        late.title = info.lines.join("\n");
        badges.appendChild(late);
      }
      overlays.add(id, "od-count", { position: { top: -12, right: 24 }, html: badges });
    });
    var bus = viewer.get("eventBus");
    bus.on("element.hover", function (event) {
      var info = state.elements[event.element.id];
      overlays.remove({ type: "od-tip" });
      if (!info) return;
      var tip = el("div", "od-tip");
      tip.appendChild(el("div", "", info.name));
      info.lines.forEach(function (line) { tip.appendChild(el("div", "", line)); });
      overlays.add(event.element.id, "od-tip", { position: { bottom: -8, left: 0 }, html: tip });
    });
    bus.on("element.out", function () { overlays.remove({ type: "od-tip" }); });
    canvas.zoom("fit-viewport");
    focus(canvas, registry, state.elements);
    D.zoomButtons(root, canvas);
    root.setAttribute("data-process-ready", "");
  }

  function init(root) {
    var stateNode = document.getElementById(root.getAttribute("data-state-id"));
    if (!stateNode) return;
    var state = JSON.parse(stateNode.textContent);
    D.load(
      root,
      function () { return D.fetchXml(root.getAttribute("data-diagram-url")); },
      function (viewer) { draw(root, viewer, state); }
    );
  }

  function initAll() { document.querySelectorAll("[data-process-load]").forEach(init); }
  document.addEventListener("DOMContentLoaded", initAll);
  if (document.readyState !== "loading") initAll();
})();
