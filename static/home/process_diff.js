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

  function relabelLanes(viewer) {
    // Lane names are the role keys the engine reads: shown in the reader's language.
    var node = document.getElementById("process-lanes");
    if (!node) return;
    var lanes = JSON.parse(node.textContent);
    var registry = viewer.get("elementRegistry");
    registry.filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (lane) {
      var label = lanes[lane.businessObject.name];
      var text = label && registry.getGraphics(lane).querySelector("text");
      if (!text) return;
      var spans = text.querySelectorAll("tspan");
      for (var i = 0; i < spans.length; i++) spans[i].textContent = i === 0 ? label : "";
    });
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

  // A whole one-door diagram fits only at a scale too small to read: start on the first
  // marked step at a readable scale.
  var READABLE = 0.75;

  function focus(canvas, registry, marks) {
    if (canvas.zoom() >= READABLE) return;
    var ids = Object.keys(marks || {}).filter(function (id) {
      var e = registry.get(id);
      return e && !e.waypoints && e.type !== "bpmn:Lane" && e.type !== "bpmn:Participant";
    });
    if (!ids.length) return;
    var e = registry.get(ids[0]);
    var box = canvas.viewbox();
    var width = box.outer.width / READABLE;
    var height = box.outer.height / READABLE;
    canvas.viewbox({ x: e.x + e.width / 2 - width / 2, y: e.y + e.height / 2 - height / 2, width: width, height: height });
  }

  function source(root) {
    var inline = root.getAttribute("data-source-id");
    if (inline) return Promise.resolve(JSON.parse(document.getElementById(inline).textContent));
    return fetch(root.getAttribute("data-diagram-url"), { credentials: "same-origin" }).then(
      function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      }
    );
  }

  function init(root) {
    if (root.hasAttribute("data-process-started")) return;
    root.setAttribute("data-process-started", "");
    var container = root.querySelector("[data-process-canvas]");
    var marksNode = document.getElementById(root.getAttribute("data-marks-id"));
    if (!container || !window.BpmnJS) return;
    var marks = marksNode ? JSON.parse(marksNode.textContent) : {};
    source(root)
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(function () {
          relabelLanes(viewer);
          mark(viewer, marks);
          var canvas = viewer.get("canvas");
          canvas.zoom("fit-viewport");
          focus(canvas, viewer.get("elementRegistry"), marks);
          root.setAttribute("data-process-ready", "");
        });
      })
      .catch(function (error) {
        root.setAttribute("data-process-failed", String(error));
        container.textContent = container.getAttribute("data-failed");
      });
  }

  function initAll() { document.querySelectorAll("[data-diff-diagram]").forEach(init); }
  document.addEventListener("DOMContentLoaded", initAll);
  if (document.readyState !== "loading") initAll();
})();
