/* Charts of the evaluation pages (Chart.js from vendor/chartjs, loaded before this file).
 * Each <canvas data-chart="ID"> reads its data from the <script type="application/json" id="ID">
 * that json_script wrote; nothing inline, so the strict Content-Security-Policy holds. Every
 * chart has a data table and a text summary next to it: the canvas is only an illustration. */
(function () {
  "use strict";

  // Okabe-Ito: distinguishable with the common forms of colour blindness.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

  function colours(spec, dataset, index) {
    if (spec.type === "doughnut" || spec.type === "pie") {
      return dataset.data.map(function (_value, i) { return PALETTE[i % PALETTE.length]; });
    }
    return PALETTE[index % PALETTE.length];
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = colours(spec, dataset, index);
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: round ? "#ffffff" : colour,
        borderWidth: 1
      };
    });
    var valueAxis = spec.indexAxis === "y" ? "x" : "y";
    var scales = {};
    if (!round) {
      scales[valueAxis] = { beginAtZero: true };
      if (spec.percent) {
        scales[valueAxis].max = 100;
      }
    }
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.indexAxis || "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: "de-DE",
        scales: scales,
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.setAttribute("data-chart-ready", "true");
  }

  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i += 1) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
