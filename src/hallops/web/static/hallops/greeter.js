/* The greeter tablet: filter the need buttons as the greeter types (Chinese, English, code, pinyin or pinyin
 * initials, computed by the server into data-search / data-initials), and show the VIP star level only for VIP.
 * Enter opens the first match.
 */
(function () {
  "use strict";
  var input = document.getElementById("need-search");
  var box = document.getElementById("needs");
  var none = document.getElementById("no-match");

  /* "bhk" matches initials "bhk"; "bk" matches "bhk" too (letters in order), as greeters abbreviate. */
  function inOrder(query, initials) {
    var at = 0;
    for (var i = 0; i < initials.length && at < query.length; i++) {
      if (initials.charAt(i) === query.charAt(at)) at++;
    }
    return at === query.length;
  }

  function matches(el, q) {
    if (!q) return true;
    var text = (el.dataset.search || "").toLowerCase();
    if (text.indexOf(q) !== -1) return true;
    var compact = q.replace(/\s+/g, "");
    return /^[a-z]+$/.test(compact) && inOrder(compact, el.dataset.initials || "");
  }

  function filter() {
    if (!input || !box) return;
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    var items = box.querySelectorAll(".need");
    for (var i = 0; i < items.length; i++) {
      var ok = matches(items[i], q);
      items[i].hidden = !ok;
      if (ok) shown++;
    }
    if (none) none.hidden = shown > 0;
  }

  if (input) {
    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        var first = box && box.querySelector(".need:not([hidden])");
        if (first) { e.preventDefault(); first.click(); }
      } else if (e.key === "Escape") {
        input.value = "";
        filter();
      }
    });
    if (!document.getElementById("need-panel")) input.focus();
  }
  /* the live refresh replaces the buttons: keep the filter */
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target === box) filter();
  });

  var form = document.getElementById("issue-form");
  var stars = document.getElementById("stars");
  if (form && stars) {
    form.addEventListener("change", function (e) {
      if (e.target.name !== "priority") return;
      var vip = e.target.value === "vip";
      stars.hidden = !vip;
      var select = document.getElementById("id_star_level");
      if (vip && select && !select.value) select.value = "1";
    });
  }
  if (form) {
    form.addEventListener("submit", function (e) {
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      setTimeout(function () {
        var buttons = form.querySelectorAll("button[type=submit]");
        for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      }, 0);
    });
  }
})();
