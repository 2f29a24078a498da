// Progressive enhancement: the figures are already in the page as HTML; this draws the
// time series over the <canvas> when Chart.js is available, and shows the custom range
// inputs only when "Custom" is picked.
(function () {
  "use strict";

  function drawSeries() {
    var canvas = document.getElementById("series-chart");
    var source = document.getElementById("series-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    canvas.parentElement.classList.add("drawn");
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Delivered", data: data.delivered, backgroundColor: "#2f9e6b", stack: "s", kind: "delivered" },
          { label: "Failed", data: data.failed, backgroundColor: "#d64545", stack: "s", kind: "failed" },
          { label: "Pending", data: data.pending, backgroundColor: "#9fb3c8", stack: "s", kind: "pending" },
        ],
      },
      options: {
        // A bar leads to its messages (the admin list, filtered as the bar is counted).
        onClick: function (event, elements, chart) {
          var hit = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, false)[0];
          if (!hit || !data.links) return;
          var kind = chart.data.datasets[hit.datasetIndex].kind;
          window.location.href = data.links[kind][hit.index];
        },
        onHover: function (event, elements, chart) {
          var hit = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, false);
          event.native.target.style.cursor = hit.length ? "pointer" : "default";
        },
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxTicksLimit: 12, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
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
        // A preset is a complete choice: apply it at once; "Custom" waits for the dates.
        if (radio.value !== "custom") form.submit();
      });
    });
    sync();
  }

  // The cards follow new reports every 30 s while the page is visible (only for rolling
  // presets: a custom range in the past does not change). The rest refreshes on reload.
  function refreshCards() {
    var cards = document.querySelector("section.cards");
    var picked = document.querySelector("input[name=range]:checked");
    if (!cards || !window.fetch || (picked && picked.value === "custom")) return;
    setInterval(function () {
      if (document.hidden) return;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("section.cards");
          if (fresh) cards.innerHTML = fresh.innerHTML;
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }, 30000);
  }

  drawSeries();
  customRange();
  refreshCards();
})();
