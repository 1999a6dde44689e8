/* A process version's diagram, and the difference between two versions
 * (templates/home/process_versions.html, _diff.html).
 *
 * The server computes the difference (workflows/versions.py) and hands over, per diagram,
 * element id -> "added" | "removed" | "changed" as JSON; this script draws the version's BPMN
 * document (from its URL, or inline for an upload not yet deployed) in bpmn-js's
 * NavigatedViewer and marks those elements with a colour and a sign.
 */
(function () {
  "use strict";

  var SIGNS = { added: "+", removed: "\u2212", changed: "~" };

  var D = window.OneDoorDiagram;

  function lanes() {
    // Lane names are the role keys the engine reads: shown in the reader's language.
    var node = document.getElementById("process-lanes");
    return node ? JSON.parse(node.textContent) : {};
  }

  function mark(viewer, marks) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    Object.keys(marks || {}).forEach(function (id) {
      var element = registry.get(id);
      if (!element) return;
      var kind = marks[id];
      if (element.type === "bpmn:Lane" || element.type === "bpmn:Participant") {
        // A whole lane in colour would hide the steps in it: its border only.
        canvas.addMarker(id, "od-container-" + kind);
        return;
      }
      canvas.addMarker(id, "od-" + kind);
      if (element.waypoints) return; // a flow: coloured only
      var badge = document.createElement("span");
      badge.className = "od-badge od-" + kind;
      badge.textContent = SIGNS[kind] || "?";
      overlays.add(id, "od-diff", { position: { top: -10, right: 10 }, html: badge });
    });
  }

  // Start on the first marked step at a readable scale.
  function focus(canvas, registry, marks) {
    var ids = Object.keys(marks || {}).filter(function (id) {
      var e = registry.get(id);
      return e && !e.waypoints && e.type !== "bpmn:Lane" && e.type !== "bpmn:Participant";
    });
    if (ids.length) D.showReadable(canvas, registry.get(ids[0]));
  }

  function source(root) {
    var inline = root.getAttribute("data-source-id");
    if (inline) return Promise.resolve(JSON.parse(document.getElementById(inline).textContent));
    return D.fetchXml(root.getAttribute("data-diagram-url"));
  }

  function init(root) {
    var marksNode = document.getElementById(root.getAttribute("data-marks-id"));
    var marks = marksNode ? JSON.parse(marksNode.textContent) : {};
    D.load(root, function () { return source(root); }, function (viewer) {
      D.relabelLanes(viewer, lanes());
      mark(viewer, marks);
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      focus(canvas, viewer.get("elementRegistry"), marks);
      root.setAttribute("data-process-ready", "");
    });
  }

  function initAll() { document.querySelectorAll("[data-diff-diagram]").forEach(init); }
  document.addEventListener("DOMContentLoaded", initAll);
  if (document.readyState !== "loading") initAll();
})();
