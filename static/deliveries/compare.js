// Progressive enhancement for /compare/: the figures are already in the page as HTML; this
// draws the delivery rate per provider over time and shows the custom range inputs only when
// "Custom" is picked (a preset applies at once).
(function () {
  "use strict";

  var COLOURS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

  function drawRates() {
    var canvas = document.getElementById("compare-chart");
    var source = document.getElementById("compare-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    canvas.parentElement.classList.add("drawn");
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.providers.map(function (p, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: p.name,
            data: p.rates,
            borderColor: colour,
            backgroundColor: colour,
            spanGaps: false,
            tension: 0,
            pointRadius: 2,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { maxTicksLimit: 12, autoSkip: true } },
          y: {
            suggestedMin: 50,
            max: 100,
            ticks: { callback: function (v) { return v + " %"; } },
            title: { display: true, text: "Delivery rate" },
          },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : ctx.parsed.y + " %");
              },
            },
          },
        },
      },
    });
  }

  function customRange() {
    var form = document.querySelector("form.slice");
    if (!form) return;
    var custom = form.querySelector(".custom-range");
    function sync() {
      var picked = form.querySelector("input[name=range]:checked");
      custom.hidden = !(picked && picked.value === "custom");
    }
    form.querySelectorAll("input[name=range]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        sync();
        if (radio.value !== "custom") form.submit();
      });
    });
    sync();
  }

  drawRates();
  customRange();
})();
