// Draws every chart of a page from its JSON spec, and follows a point's customdata URL on click
// (the drill-down to the customers behind it). Served as a file: the CSP allows no inline script.
"use strict";

function drawChart(element) {
  const spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
  const traces = spec.traces.map((trace) => {
    if (!trace.negate) return trace;
    const shown = Object.assign({}, trace, { y: trace.y.map((v) => -v) });
    delete shown.negate;
    return shown;
  });
  Plotly.newPlot(element, traces, spec.layout, { displayModeBar: false, responsive: true });
  element.on("plotly_click", (event) => {
    const url = event.points.length ? event.points[0].customdata : "";
    if (typeof url === "string" && url.startsWith("/")) window.location.assign(url);
  });
}

function autoSubmit() {
  for (const id of ["as-of", "definition"]) {
    const select = document.getElementById(id);
    if (select) select.addEventListener("change", () => select.form.submit());
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".chart[data-spec]").forEach(drawChart);
  autoSubmit();
});
