// scorelab dashboard: the only script. It keeps the progress of runs that
// are still being written up to date by polling /api/runs, and reloads the
// page when one of them completes (or a new run appears). Pages work
// without it; it only saves pressing reload.
"use strict";
(function () {
  var live = document.querySelectorAll("[data-progress-run]");
  if (!live.length && !document.body.hasAttribute("data-watch-runs")) return;
  var known = document.body.getAttribute("data-runs");
  function update() {
    fetch("/api/runs", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (runs) {
        if (!runs) return;
        var names = runs.map(function (r) { return r.name; }).join("\n");
        if (known !== null && names !== known) { location.reload(); return; }
        runs.forEach(function (run) {
          document.querySelectorAll("[data-progress-run]").forEach(function (el) {
            if (el.getAttribute("data-progress-run") !== run.name) return;
            if (run.status === "complete") { location.reload(); return; }
            var p = run.progress;
            if (!p) return;
            var bar = el.querySelector("progress");
            if (bar) { bar.max = p.days; bar.value = p.day; }
            var text = el.querySelector(".progress-text");
            if (text) {
              text.textContent = "day " + p.day + " of " + p.days +
                " (" + Math.floor(100 * p.day / Math.max(p.days, 1)) + "%)";
            }
          });
        });
      })
      .catch(function () { /* the server stopped: keep the last figures */ });
  }
  setInterval(update, 2000);
})();
