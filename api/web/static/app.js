// 评查助手 web pages: small progressive enhancements (the pages work without them).
(function () {
  "use strict";

  // 误报 / 不适用 need a reason: say so before the form is sent (the server checks too).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("button.needs-reason") : null;
    if (!btn) return;
    var form = btn.form;
    var reason = form && form.querySelector("input[name=reason]");
    if (reason && !reason.value.trim()) {
      ev.preventDefault();
      reason.setCustomValidity("标记为“" + btn.value + "”须填写理由。");
      reason.reportValidity();
      reason.addEventListener("input", function () { reason.setCustomValidity(""); }, { once: true });
    }
  });

  // Self-check progress: poll the scan's status, then open the case page.
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var label = document.getElementById("p-label");
  var stage = document.getElementById("p-stage");
  var bar = document.getElementById("p-bar");
  var count = document.getElementById("p-count");
  var err = document.getElementById("p-error");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        label.textContent = s.label;
        stage.textContent = s.stage || "";
        bar.max = Math.max(1, s.total || 1);
        bar.value = s.done || 0;
        count.textContent = (s.done || 0) + " / " + (s.total || 0);
        if (s.status === "done") { window.location.assign(s.url); return; }
        if (s.status === "failed") { err.textContent = s.error || "扫描失败。"; err.hidden = false; return; }
        setTimeout(tick, 700);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
