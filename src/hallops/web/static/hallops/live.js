/* HallOps live screens: one WebSocket per page to /ws/hall/<code>/, numbered events, gap detection, timers.
 *
 * <body data-hall="ty01" data-seq="42" data-server-now="2026-12-03T10:00:00+08:00" [data-live-query="ticket=..."]>
 * Dispatches on document.body:
 *   "hallevent"   (detail: the event) for every event in sequence;
 *   "hallrefresh" at most every 150 ms after events (htmx panels: hx-trigger="hallrefresh from:body");
 *   "hallresync"  after a gap or a reconnect (panels reload their snapshot; it also fires "hallrefresh").
 * Shows the state in #live-status ([data-state] = connecting | live | offline | resynced).
 * Timers: every element with data-timer-since (ISO time) shows the time since then as m:ss each second; with
 * data-timer-limit (seconds) it gets the class "timer-amber" from 80% of the limit and "timer-red" past it.
 */
(function () {
  "use strict";
  var body = document.body;
  var hall = body.dataset.hall;
  var lastSeq = body.dataset.seq ? parseInt(body.dataset.seq, 10) : null;
  var socket = null;
  var retry = 0;
  var refreshTimer = null;
  var serverOffset = 0;
  if (body.dataset.serverNow) {
    serverOffset = Date.parse(body.dataset.serverNow) - Date.now();
  }

  function setState(state, text) {
    var el = document.getElementById("live-status");
    if (!el) return;
    el.dataset.state = state;
    var label = el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
    el.textContent = text || label || state;
  }

  function fire(name, detail) {
    body.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      fire("hallrefresh", {});
    }, 150);
  }

  function resync(reason) {
    setState("resynced");
    fire("hallresync", { reason: reason });
    scheduleRefresh();
  }

  function onMessage(msg) {
    if (msg.kind === "hello") {
      if (lastSeq === null || msg.seq !== lastSeq) {
        if (lastSeq !== null) resync("reconnected");
        lastSeq = msg.seq;
      }
      if (body.dataset.liveState !== "resynced") setState("live");
      return;
    }
    if (typeof msg.seq !== "number") return;
    if (lastSeq !== null && msg.seq <= lastSeq) return; /* a duplicate or an old one */
    if (lastSeq !== null && msg.seq > lastSeq + 1) {
      lastSeq = msg.seq;
      resync("gap");
      return;
    }
    lastSeq = msg.seq;
    setState("live");
    fire("hallevent", msg);
    scheduleRefresh();
  }

  function connect() {
    if (!hall) return;
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var query = body.dataset.liveQuery ? "?" + body.dataset.liveQuery : "";
    setState(retry ? "offline" : "connecting");
    socket = new WebSocket(proto + "//" + location.host + "/ws/hall/" + hall + "/" + query);
    socket.onopen = function () { retry = 0; };
    socket.onmessage = function (e) {
      try { onMessage(JSON.parse(e.data)); } catch (err) { /* ignore a malformed frame */ }
    };
    socket.onclose = function (e) {
      /* 4403: this screen may no longer listen (a revoked device, a logged-out user): reload, and the page
         itself sends it to pairing or login. At most once a minute, so a mismatch cannot loop. */
      if (e.code === 4403 || e.code === 4404) {
        var last = parseInt(sessionStorage.getItem("hallops-live-denied") || "0", 10);
        if (Date.now() - last > 60000) {
          sessionStorage.setItem("hallops-live-denied", String(Date.now()));
          location.reload();
          return;
        }
      }
      setState("offline");
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, 500 * retry * retry);
    };
  }

  /* The hall's local time, whatever the browser's time zone. */
  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: body.dataset.tz || undefined, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function formatSeconds(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }

  function tick() {
    var now = Date.now() + serverOffset;
    var timers = document.querySelectorAll("[data-timer-since]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var since = Date.parse(el.dataset.timerSince);
      if (isNaN(since)) continue;
      var secs = (now - since) / 1000 + (parseFloat(el.dataset.timerBase || "0") || 0);
      el.textContent = formatSeconds(secs);
      var limit = parseFloat(el.dataset.timerLimit || "");
      if (!isNaN(limit) && limit > 0) {
        el.classList.toggle("timer-red", secs > limit);
        el.classList.toggle("timer-amber", secs <= limit && secs >= 0.8 * limit);
        el.classList.toggle("timer-green", secs < 0.8 * limit);
      }
    }
    var clocks = document.querySelectorAll("[data-clock]");
    for (var j = 0; j < clocks.length; j++) clocks[j].textContent = clockFormat.format(new Date(now));
  }

  window.HallLive = { formatSeconds: formatSeconds, lastSeq: function () { return lastSeq; } };
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
  tick();
  connect();
})();
