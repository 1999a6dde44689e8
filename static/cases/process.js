/* A case on its process diagram (templates/cases/process.html).
 *
 * The server computes every mark (platform/onedoor/cases/process_state.py) and hands it over
 * as JSON (json_script); this script only draws: it loads the BPMN document of the case's
 * definition version into bpmn-js's NavigatedViewer, colours the shapes, badges them (so the
 * state does not rest on colour alone), shows who/when on hover, and switches the referral
 * shown inside the joint-handling subprocess. Runs on page load and after htmx swaps the
 * section into the case page.
 */
(function () {
  "use strict";

  var STATES = ["done", "waiting", "overdue", "escalated"];
  var BADGES = { done: "\u2713", waiting: "\u2026", overdue: "!", escalated: "!!" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function relabelLanes(viewer, lanes) {
    // Lane names are the role keys the engine reads (window, agency, coordinator): show them
    // in the reader's language without changing the document.
    var registry = viewer.get("elementRegistry");
    registry.filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (lane) {
      var label = lanes[lane.businessObject.name];
      var text = label && registry.getGraphics(lane).querySelector("text");
      if (!text) return;
      var spans = text.querySelectorAll("tspan");
      for (var i = 0; i < spans.length; i++) spans[i].textContent = i === 0 ? label : "";
    });
  }

  function Marks(viewer, state) {
    this.viewer = viewer;
    this.canvas = viewer.get("canvas");
    this.overlays = viewer.get("overlays");
    this.registry = viewer.get("elementRegistry");
    this.state = state;
    this.current = {};
    var sub = state.subprocess;
    this.inside = this.registry.filter(function (e) {
      for (var p = e.parent; p; p = p.parent) if (p.id === sub) return true;
      return false;
    }).map(function (e) { return e.id; });
  }

  Marks.prototype.mark = function (id, info) {
    if (!this.registry.get(id)) return;
    var element = this.registry.get(id);
    this.canvas.addMarker(id, "od-" + info.state);
    if (element.type === "bpmn:SubProcess" && !element.collapsed) this.canvas.addMarker(id, "od-container");
    this.current[id] = info;
    // Timers on a step's edge take the colour only: their badges would cover each other.
    if (element.type === "bpmn:BoundaryEvent") return;
    this.overlays.add(id, "od-badge", {
      position: { top: -10, right: 10 },
      html: el("span", "od-badge od-" + info.state, BADGES[info.state]),
    });
  };

  Marks.prototype.unmark = function (id) {
    var canvas = this.canvas;
    STATES.forEach(function (s) { canvas.removeMarker(id, "od-" + s); });
    this.overlays.remove({ element: id, type: "od-badge" });
    delete this.current[id];
  };

  Marks.prototype.showReferral = function (referralId) {
    var self = this;
    this.inside.forEach(function (id) { self.unmark(id); });
    this.state.referrals.forEach(function (r) {
      if (String(r.id) !== String(referralId)) return;
      Object.keys(r.elements).forEach(function (id) { self.mark(id, r.elements[id]); });
    });
  };

  Marks.prototype.tooltips = function () {
    var self = this;
    var bus = this.viewer.get("eventBus");
    bus.on("element.hover", function (event) {
      var info = self.current[event.element.id];
      self.overlays.remove({ type: "od-tip" });
      if (!info || !info.lines.length) return;
      var tip = el("div", "od-tip");
      info.lines.forEach(function (line) { tip.appendChild(el("div", "", line)); });
      self.overlays.add(event.element.id, "od-tip", { position: { bottom: -8, left: 0 }, html: tip });
    });
    bus.on("element.out", function () { self.overlays.remove({ type: "od-tip" }); });
  };

  // A whole one-door diagram fits only at a scale too small to read: start on the step that
  // most needs attention, at a readable scale ("Whole diagram" shows everything).
  var READABLE = 0.75;

  function focus(canvas, marks) {
    if (canvas.zoom() >= READABLE) return;
    var worst = null;
    Object.keys(marks.current).forEach(function (id) {
      var rank = STATES.indexOf(marks.current[id].state);
      var element = marks.registry.get(id);
      if (rank < 1 || !element || id === marks.state.subprocess || element.type === "bpmn:BoundaryEvent") return;
      if (!worst || rank > worst.rank) worst = { rank: rank, element: element };
    });
    if (!worst) return;
    var box = canvas.viewbox();
    var width = box.outer.width / READABLE;
    var height = box.outer.height / READABLE;
    var e = worst.element;
    canvas.viewbox({
      x: e.x + e.width / 2 - width / 2,
      y: e.y + e.height / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  function draw(root, viewer, state) {
    relabelLanes(viewer, state.lanes);
    var marks = new Marks(viewer, state);
    Object.keys(state.elements).forEach(function (id) { marks.mark(id, state.elements[id]); });
    var select = root.querySelector("[data-process-referral]");
    if (select) {
      marks.showReferral(select.value);
      select.addEventListener("change", function () { marks.showReferral(select.value); });
    } else if (state.referrals.length) {
      marks.showReferral(state.referrals[0].id);
    }
    marks.tooltips();
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport");
    focus(canvas, marks);
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "fit") canvas.zoom("fit-viewport");
        else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    });
    // Printing: the whole diagram on the page.
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

  function initAll() {
    document.querySelectorAll("[data-process]").forEach(init);
  }

  document.addEventListener("DOMContentLoaded", initAll);
  document.addEventListener("htmx:afterSettle", initAll);
  if (document.readyState !== "loading") initAll();
})();
