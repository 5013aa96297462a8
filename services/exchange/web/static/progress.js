// Live progress on the import report: poll the batch while it is staged, committed or undone,
// reload when that ends.
(function () {
  "use strict";
  var box = document.getElementById("progress-box");
  if (!box) { return; }
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  function show(p) {
    if (p.expected_total) { bar.max = p.expected_total; }
    bar.value = p.processed;
    // The server writes the line in the page's language, numbers as the report writes them.
    text.textContent = p.text;
  }
  function poll() {
    fetch(box.getAttribute("data-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        show(p);
        var busy = ["staging", "committing", "undoing"].indexOf(p.state) >= 0;
        if (busy) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
