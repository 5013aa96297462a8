// Live progress on the import report: poll the batch while it runs, reload when it ends.
(function () {
  "use strict";
  var box = document.getElementById("progress-box");
  if (!box) { return; }
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  var template = text.getAttribute("data-template");
  function show(p) {
    if (p.expected_total) { bar.max = p.expected_total; }
    bar.value = p.processed;
    text.textContent = template
      .replace("{done}", p.processed)
      .replace("{total}", p.expected_total || "?")
      .replace("{rate}", p.records_per_second || 0);
  }
  function poll() {
    fetch(box.getAttribute("data-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        show(p);
        if (p.state === "running") { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
