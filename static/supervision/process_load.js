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

  function relabelLanes(viewer, lanes) {
    var registry = viewer.get("elementRegistry");
    registry.filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (lane) {
      var label = lanes[lane.businessObject.name];
      var text = label && registry.getGraphics(lane).querySelector("text");
      if (!text) return;
      var spans = text.querySelectorAll("tspan");
      for (var i = 0; i < spans.length; i++) spans[i].textContent = i === 0 ? label : "";
    });
  }

  // A whole one-door diagram fits only at a scale too small to read: start on the step with
  // most overdue (then most open) tasks at a readable scale; "Whole diagram" shows all.
  var READABLE = 0.75;

  function focus(canvas, registry, elements) {
    if (canvas.zoom() >= READABLE) return;
    var best = null;
    Object.keys(elements).forEach(function (id) {
      var e = registry.get(id);
      if (!e) return;
      var rank = elements[id].overdue * 100000 + elements[id].open;
      if (!best || rank > best.rank) best = { rank: rank, element: e };
    });
    if (!best) return;
    var e = best.element;
    var box = canvas.viewbox();
    var width = box.outer.width / READABLE;
    var height = box.outer.height / READABLE;
    canvas.viewbox({ x: e.x + e.width / 2 - width / 2, y: e.y + e.height / 2 - height / 2, width: width, height: height });
  }

  function draw(root, viewer, state) {
    relabelLanes(viewer, state.lanes || {});
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
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "fit") canvas.zoom("fit-viewport");
        else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    });
    window.addEventListener("beforeprint", function () { canvas.zoom("fit-viewport"); });
    root.setAttribute("data-process-ready", "");
  }

  function init(root) {
    if (root.hasAttribute("data-process-started")) return;
    root.setAttribute("data-process-started", "");
    var container = root.querySelector("[data-process-canvas]");
    var stateNode = document.getElementById(root.getAttribute("data-state-id"));
    if (!container || !stateNode || !window.BpmnJS) return;
    var state = JSON.parse(stateNode.textContent);
    fetch(root.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(function () { draw(root, viewer, state); });
      })
      .catch(function (error) {
        root.setAttribute("data-process-failed", String(error));
        container.textContent = container.getAttribute("data-failed");
      });
  }

  function initAll() { document.querySelectorAll("[data-process-load]").forEach(init); }
  document.addEventListener("DOMContentLoaded", initAll);
  if (document.readyState !== "loading") initAll();
})();
