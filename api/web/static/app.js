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

  // Self-check progress: poll the scan's status, estimate the time left in the stage, then open the case page.
  function progressPage() {
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var label = document.getElementById("p-label");
  var stage = document.getElementById("p-stage");
  var bar = document.getElementById("p-bar");
  var count = document.getElementById("p-count");
  var eta = document.getElementById("p-eta");
  var wait = document.getElementById("p-wait");
  var err = document.getElementById("p-error");
  var first = null;  // {stage, done, t}: the first sample of the current stage
  function duration(s) {
    s = Math.max(1, Math.round(s));
    if (s < 60) return s + " 秒";
    var m = Math.round(s / 60);
    return m < 60 ? m + " 分钟" : Math.floor(m / 60) + " 小时 " + (m % 60) + " 分钟";
  }
  function estimate(s) {
    var now = Date.now() / 1000;
    if (!first || first.stage !== s.stage || s.done < first.done) first = { stage: s.stage, done: s.done, t: now };
    var rate = (s.done - first.done) / Math.max(0.001, now - first.t);
    if (s.status !== "running" || !s.total || s.done >= s.total || rate <= 0 || now - first.t < 2) return "";
    return "本阶段预计还需约 " + duration((s.total - s.done) / rate) + "（按当前速度 " +
      (rate >= 1 ? rate.toFixed(1) : rate.toFixed(2)) + " " + s.unit + "/秒估算）";
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (s) {
        label.textContent = s.label;
        stage.textContent = s.stage || "";
        bar.max = Math.max(1, s.total || 1);
        bar.value = s.done || 0;
        count.textContent = s.total ? (s.stage + "：已完成 " + (s.done || 0) + " / " + s.total + " " + s.unit) : "";
        eta.textContent = estimate(s) + (s.elapsed_s != null && s.status === "running" ? "（已用时 " + duration(s.elapsed_s) + "）" : "");
        if (s.status === "done") { window.location.assign(s.url); return; }
        if (s.status === "failed") {
          err.textContent = s.error || "扫描失败。"; err.hidden = false; wait.hidden = true; eta.textContent = ""; return;
        }
        setTimeout(tick, 700);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  tick();
  }
  progressPage();

  // Evidence viewer: a thumbnail opens its full page, with paging through the file and zoom.
  var viewer = document.getElementById("viewer");
  if (viewer) {
    var img = document.getElementById("viewer-img");
    var title = document.getElementById("viewer-title");
    var pageLabel = document.getElementById("viewer-page");
    var openLink = document.getElementById("viewer-open");
    var state = { base: "", page: 1, evPage: 1, pages: 1, zoom: 0 };
    function show() {
      var url = state.base + (state.page === state.evPage ? "" : "?page=" + state.page);
      img.src = url;
      openLink.href = url;
      pageLabel.textContent = "第 " + state.page + " / " + state.pages + " 页" + (state.page === state.evPage ? "（证据所在页，已高亮）" : "");
      img.style.width = state.zoom ? (state.zoom + "%") : "100%";
    }
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("a.open-viewer") : null;
      if (!a) return;
      var holder = a.hasAttribute("data-viewer") ? a : a.closest("[data-viewer]");
      if (!holder) return;
      ev.preventDefault();
      state.base = holder.getAttribute("data-viewer");
      state.evPage = parseInt(holder.getAttribute("data-page"), 10) || 1;
      state.page = state.evPage;
      state.pages = Math.max(state.evPage, parseInt(holder.getAttribute("data-pages"), 10) || 1);
      state.zoom = 0;
      title.textContent = holder.getAttribute("data-file") || "";
      viewer.hidden = false;
      document.body.classList.add("viewing");
      show();
    });
    viewer.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("button[data-act]") : null;
      if (!b) { if (ev.target === viewer) close(); return; }
      var act = b.getAttribute("data-act");
      if (act === "close") { close(); return; }
      if (act === "prev" && state.page > 1) state.page -= 1;
      if (act === "next" && state.page < state.pages) state.page += 1;
      if (act === "in") state.zoom = Math.min(400, (state.zoom || 100) + 25);
      if (act === "out") state.zoom = Math.max(25, (state.zoom || 100) - 25);
      if (act === "fit") state.zoom = 0;
      show();
    });
    function close() { viewer.hidden = true; img.removeAttribute("src"); document.body.classList.remove("viewing"); }
    document.addEventListener("keydown", function (ev) {
      if (viewer.hidden) return;
      if (ev.key === "Escape") close();
      if (ev.key === "ArrowLeft" && state.page > 1) { state.page -= 1; show(); }
      if (ev.key === "ArrowRight" && state.page < state.pages) { state.page += 1; show(); }
    });
  }

  // The override of a conclusion over undisposed key findings needs its reason.
  var override = document.getElementById("override");
  var overrideReason = document.getElementById("override-reason");
  if (override && overrideReason) {
    var sync = function () { overrideReason.required = override.checked; };
    override.addEventListener("change", sync);
    sync();
  }
})();
