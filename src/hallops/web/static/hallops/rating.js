/* The rating pad: switch to the question when its counter finishes a transaction, back to idle after the thanks.
 *
 * #pad reloads itself (event "padrefresh") on the hall events of its own counter that change what it shows; the
 * thank-you screen returns to idle after data-thanks-seconds; an open "dissatisfied" form is not reset unless a
 * new transaction starts at the counter. A question left unanswered goes away when the rating window closes.
 */
(function () {
  "use strict";
  var body = document.body;
  var SHOW = ["transaction.done", "counter.opened", "counter.closed", "counter.paused"];
  var NEXT = ["ticket.called", "ticket.resumed", "transaction.walk_in"];
  var thanksTimer = null;
  var sending = false; /* a rating on its way: its answer (the thanks) comes first */

  function pad() { return document.getElementById("pad"); }

  function refresh() {
    var p = pad();
    if (p) htmx.trigger(p, "padrefresh");
  }

  function writing() {
    var r = document.getElementById("reasons");
    return !!(r && r.classList.contains("open"));
  }

  body.addEventListener("hallevent", function (e) {
    var p = pad();
    var ev = e.detail || {};
    if (!p || String(ev.counter) !== p.dataset.counter || sending) return;
    if (NEXT.indexOf(ev.kind) >= 0) { refresh(); return; }
    if (SHOW.indexOf(ev.kind) < 0) return;
    if (p.dataset.state === "thanks") return; /* the thank-you screen stays its few seconds */
    if (writing() && ev.kind !== "transaction.done") return;
    refresh();
  });

  /* A refused rating (409 already rated, window closed …) answers the pad with the reason: show it. */
  body.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.responseText && e.detail.target && e.detail.target.id === "pad") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  body.addEventListener("htmx:beforeRequest", function (e) {
    var p = pad();
    var config = e.detail.requestConfig;
    if (!p || !config || config.verb !== "post" || !p.contains(e.detail.elt)) return;
    sending = true;
    var xhr = e.detail.xhr;
    if (xhr) xhr.addEventListener("loadend", function () { sending = false; });
    else sending = false;
  });

  body.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("#score-1") : null;
    if (!button) return;
    var r = document.getElementById("reasons");
    if (r) {
      r.classList.add("open");
      r.scrollIntoView({ block: "nearest" });
    }
  });

  function onShown() {
    var p = pad();
    if (thanksTimer) { clearTimeout(thanksTimer); thanksTimer = null; }
    if (p && p.dataset.state === "thanks") {
      var secs = parseFloat(p.dataset.thanksSeconds || "6") || 6;
      thanksTimer = setTimeout(refresh, secs * 1000);
    }
  }
  body.addEventListener("htmx:afterSwap", onShown);
  onShown();

  /* The question expires with the rating window: look again now and then while nobody is answering. */
  setInterval(function () {
    var p = pad();
    if (p && p.dataset.state === "question" && !writing() && !sending) refresh();
  }, 30000);
})();
