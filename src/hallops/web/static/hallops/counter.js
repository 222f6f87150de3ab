/* The counter workstation: keyboard shortcuts, refused actions shown inline, live refresh that waits for typing.
 *
 * Every action button or field of the panel carries data-key="<letter>"; the key clicks the button (or focuses the
 * field). Space clicks the button marked data-next-phase. Keys are ignored while a field has focus (Esc leaves it;
 * Enter in a select submits its form) and with Ctrl, Alt or Meta.
 */
(function () {
  "use strict";
  var body = document.body;

  var actionInFlight = false;
  var pending = false;

  function panel() { return document.getElementById("counter-panel"); }

  function typing(el) {
    if (!el || el === body) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  /* A refused action (409, 422, 403 …) answers the panel with the reason inline: show it, do not drop it. */
  body.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    var target = e.detail.target;
    var config = e.detail.requestConfig;
    if (target && target.id === "counter-panel" && config && config.verb === "get") {
      /* A live reload that was already on its way when the agent started typing: keep their field, reload later. */
      var active = document.activeElement;
      if (typing(active) && target.contains(active)) {
        e.detail.shouldSwap = false;
        pending = true;
        return;
      }
    }
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.responseText && target && target.id === "counter-panel") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  /* One request at a time, actions first:
   * - an action (a POST from the panel) aborts a live reload in flight, and a second action while one runs is
   *   dropped (a double press does not act twice);
   * - a live reload waits while an action runs (the action's answer is at least as fresh), and never replaces the
   *   panel while the agent is typing in one of its fields (it runs when they leave the field). */
  body.addEventListener("htmx:beforeRequest", function (e) {
    var p = panel();
    var elt = e.detail.elt;
    if (!p || !elt) return;
    if (elt === p) {
      var active = document.activeElement;
      if (actionInFlight) {
        e.preventDefault();
      } else if (typing(active) && p.contains(active)) {
        e.preventDefault();
        pending = true;
      }
      return;
    }
    if (!p.contains(elt)) return;
    if (actionInFlight) {
      e.preventDefault();
      return;
    }
    actionInFlight = true;
    htmx.trigger(p, "htmx:abort");
    var xhr = e.detail.xhr;
    if (xhr) xhr.addEventListener("loadend", function () { actionInFlight = false; });
    else actionInFlight = false;
  });
  body.addEventListener("focusout", function () {
    setTimeout(function () {
      if (!pending) return;
      var p = panel();
      var active = document.activeElement;
      if (p && typing(active) && p.contains(active)) return;
      pending = false;
      htmx.trigger(body, "hallrefresh");
    }, 0);
  });

  var KEYS = "abcdgknoprstuwxz";
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var t = e.target;
    if (typing(t)) {
      if (e.key === "Escape") {
        t.blur();
        e.preventDefault();
      } else if (e.key === "Enter" && t.tagName === "SELECT" && t.form) {
        e.preventDefault();
        t.form.requestSubmit();
      }
      return;
    }
    var p = panel();
    if (!p) return;
    var target = null;
    if (e.key === " " || e.code === "Space") {
      target = p.querySelector("[data-next-phase]:not([disabled])");
      if (!target && t && t.tagName === "BUTTON") return; /* let Space press a focused button */
    } else if (e.key && e.key.length === 1) {
      var k = e.key.toLowerCase();
      if (KEYS.indexOf(k) < 0) return;
      target = p.querySelector('[data-key="' + k + '"]:not([disabled])');
    }
    if (!target) return;
    e.preventDefault();
    if (target.tagName === "BUTTON") target.click();
    else target.focus();
  });
})();
