/* What every diagram on the platform shares (cases/process.js, supervision/process_load.js,
 * home/process_diff.js): a BPMN document loaded into bpmn-js's NavigatedViewer (vendored), the
 * lanes named in the reader's language, a readable starting scale, the zoom buttons.
 */
(function () {
  "use strict";

  // A whole one-door diagram fits only at a scale too small to read: each page starts on the
  // step that matters to it at this scale; "Whole diagram" shows all.
  var READABLE = 0.75;

  function relabelLanes(viewer, lanes) {
    // Lane names are the role keys the engine reads (window, agency, coordinator): show them
    // in the reader's language without changing the document.
    var registry = viewer.get("elementRegistry");
    registry.filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (lane) {
      var label = (lanes || {})[lane.businessObject.name];
      var text = label && registry.getGraphics(lane).querySelector("text");
      if (!text) return;
      var spans = text.querySelectorAll("tspan");
      for (var i = 0; i < spans.length; i++) spans[i].textContent = i === 0 ? label : "";
    });
  }

  function showReadable(canvas, element) {
    if (!element || canvas.zoom() >= READABLE) return;
    var box = canvas.viewbox();
    var width = box.outer.width / READABLE;
    var height = box.outer.height / READABLE;
    canvas.viewbox({
      x: element.x + element.width / 2 - width / 2,
      y: element.y + element.height / 2 - height / 2,
      width: width,
      height: height,
    });
  }

  function zoomButtons(root, canvas) {
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "fit") canvas.zoom("fit-viewport");
        else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
      });
    });
    // Printing: the whole diagram on the page.
    window.addEventListener("beforeprint", function () { canvas.zoom("fit-viewport"); });
  }

  function fetchXml(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
  }

  // Draw `root`'s diagram once: its document from `xml()` (a promise), then `draw(viewer)`;
  // a failure is written on the root and its canvas says so in the page's language.
  function load(root, xml, draw) {
    if (root.hasAttribute("data-process-started")) return;
    root.setAttribute("data-process-started", "");
    var container = root.querySelector("[data-process-canvas]");
    if (!container || !window.BpmnJS) return;
    xml()
      .then(function (text) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(text).then(function () { draw(viewer); });
      })
      .catch(function (error) {
        root.setAttribute("data-process-failed", String(error));
        container.textContent = container.getAttribute("data-failed");
      });
  }

  window.OneDoorDiagram = {
    READABLE: READABLE,
    relabelLanes: relabelLanes,
    showReadable: showReadable,
    zoomButtons: zoomButtons,
    fetchXml: fetchXml,
    load: load,
  };
})();
