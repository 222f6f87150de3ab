/* The kiosk: one submission per screen, the on-screen keypad, printing the slip, and back to the start
 * screen after a while without a touch.
 *
 * <body data-kiosk-home="/hall/ty01/kiosk/" data-kiosk-idle="20" [data-autoprint="1"]>
 * <form data-once> ignores a second submit (the server also answers a repeated tap with the same ticket).
 * [data-countdown data-label="… {s} …"] shows the seconds left before going back.
 */
(function () {
  "use strict";
  var body = document.body;
  var home = body.dataset.kioskHome;
  var idle = parseInt(body.dataset.kioskIdle || "0", 10);
  var left = idle;

  function once(form) {
    form.addEventListener("submit", function (e) {
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      /* after the browser has read the pressed button's value */
      setTimeout(function () {
        var buttons = form.querySelectorAll("button");
        for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      }, 0);
    });
  }
  var forms = document.querySelectorAll("form[data-once]");
  for (var i = 0; i < forms.length; i++) once(forms[i]);

  var pads = document.querySelectorAll("[data-keypad-for]");
  for (var j = 0; j < pads.length; j++) {
    (function (pad) {
      var input = document.getElementById(pad.dataset.keypadFor);
      pad.addEventListener("click", function (e) {
        var key = e.target.closest("[data-key]");
        if (!key || !input) return;
        var k = key.dataset.key;
        if (k === "clear") input.value = input.value.slice(0, -1);
        else if (input.value.length < (input.maxLength > 0 ? input.maxLength : 6)) input.value += k;
        input.focus();
      });
    })(pads[j]);
  }

  function showCountdown() {
    var el = document.querySelector("[data-countdown]");
    if (el) el.textContent = (el.dataset.label || "{s}").replace("{s}", String(Math.max(0, left)));
  }
  function reset() { left = idle; showCountdown(); }
  if (home && idle > 0) {
    ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    showCountdown();
    setInterval(function () {
      left -= 1;
      showCountdown();
      if (left <= 0) location.href = home;
    }, 1000);
  }

  if (body.dataset.autoprint) {
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 300); });
  }
})();
