/* Clearway dashboard charts. The page carries each chart's data in a <script type="application/json">
   block (the CSP allows no inline script) and a table with the same figures; this draws the charts with
   the vendored Chart.js. Without JavaScript, or if Chart.js is missing, the tables remain. */
(function () {
  "use strict";

  // Eight distinguishable colours (Okabe-Ito, safe for colour-blind readers); grey for "(other)".
  var PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];
  var OTHER = "(other)";
  var GREY = "#8c959f";

  function read(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (error) { return null; }
  }

  function formatter(canvas) {
    var holder = canvas.closest("[data-locale]");
    var locale = holder ? holder.getAttribute("data-locale") : undefined;
    try { return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }); } catch (error) { return new Intl.NumberFormat(); }
  }

  function colour(label, index) {
    return label === OTHER ? GREY : PALETTE[index % PALETTE.length];
  }

  function draw(canvasId, dataId) {
    var canvas = document.getElementById(canvasId);
    var data = read(dataId);
    if (!canvas || !data || !data.labels || data.labels.length === 0) { return; }
    var numbers = formatter(canvas);
    var stacked = data.kind === "stacked";
    var datasets = data.datasets.map(function (set, index) {
      var fill = stacked ? colour(set.label, index) : data.labels.map(function (label, i) { return colour(label, i); });
      return { label: set.label, data: set.data, backgroundColor: fill, borderWidth: 0 };
    });
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var valueAxis = {
      beginAtZero: true,
      stacked: stacked,
      // Counts get whole-number ticks only (no "0.5 consignments").
      ticks: { precision: data.integer ? 0 : undefined, callback: function (value) { return numbers.format(value); } }
    };
    var categoryAxis = { stacked: stacked, ticks: { autoSkip: true } };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: stacked ? "x" : "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : undefined,
        scales: stacked ? { x: categoryAxis, y: valueAxis } : { x: valueAxis, y: categoryAxis },
        plugins: {
          legend: { display: stacked, position: "bottom" },
          title: { display: false, text: data.label },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = stacked ? item.parsed.y : item.parsed.x;
                return (item.dataset.label || "") + ": " + numbers.format(value);
              }
            }
          }
        }
      }
    });
  }

  function start() {
    if (typeof window.Chart !== "function") { return; }
    draw("series-chart", "series-data");
    draw("breakdown-chart", "breakdown-data");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
