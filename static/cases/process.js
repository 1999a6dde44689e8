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

  var D = window.OneDoorDiagram;

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
    // A referral's steps in a called process (a pool of their own) are cleared as well.
    var inside = this.inside;
    state.referrals.forEach(function (r) {
      Object.keys(r.elements).forEach(function (id) {
        if (inside.indexOf(id) < 0) inside.push(id);
      });
    });
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

  // Start on the step that most needs attention, at a readable scale.
  function focus(canvas, marks) {
    var worst = null;
    Object.keys(marks.current).forEach(function (id) {
      var rank = STATES.indexOf(marks.current[id].state);
      var element = marks.registry.get(id);
      if (rank < 1 || !element || id === marks.state.subprocess || element.type === "bpmn:BoundaryEvent") return;
      if (!worst || rank > worst.rank) worst = { rank: rank, element: element };
    });
    if (worst) D.showReadable(canvas, worst.element);
  }

  function draw(root, viewer, state) {
    D.relabelLanes(viewer, state.lanes);
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

  function initAll() {
    document.querySelectorAll("[data-process]").forEach(init);
  }

  document.addEventListener("DOMContentLoaded", initAll);
  document.addEventListener("htmx:afterSettle", initAll);
  if (document.readyState !== "loading") initAll();
})();
