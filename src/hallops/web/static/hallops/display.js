/* The hall display: calls shown and announced by voice as they happen.
 *
 * The rule for the spoken call is the same as hallops.core.announce (Python), and an end-to-end test checks
 * that both give the same text: each digit of the number is read on its own ("A001" → "A零零一"), the hall's
 * template places it: "请{number}号到{counter}号窗口" → "请A零零一号到3号窗口" (the counter stays in digits).
 *
 * On the display page (#display-screen): every "hallevent" of kind ticket.called / ticket.recalled (from
 * live.js) updates the big call at once and queues its announcement: a chime (WebAudio), then the phrase
 * (speechSynthesis, lang zh-CN), one call after the other. Browsers play sound only after a user gesture, so
 * an overlay asks for one click. Speech is used only when a Chinese voice exists, or when the browser cannot
 * list its voices (yet): otherwise the call is only shown, silently and without errors.
 * The rest of the board is re-read by htmx; the phrase and the announcements come with it, so a settings
 * change reaches the screen without a reload (a reload would need a new click for sound).
 */
(function () {
  "use strict";
  var ZH_DIGITS = "零一二三四五六七八九";
  var PLACEHOLDER = /\{(number|counter)\}/g;

  function spokenNumber(number) {
    return String(number).replace(/[0-9]/g, function (d) { return ZH_DIGITS.charAt(d.charCodeAt(0) - 48); });
  }

  function fill(template, values) {
    return String(template).replace(PLACEHOLDER, function (_, name) { return values[name]; });
  }

  /* The spoken call (same as hallops.core.announce.call_phrase). */
  function callPhrase(template, number, counter) {
    return fill(template, { number: spokenNumber(number), counter: String(counter) });
  }

  /* The call as written on screen (same as hallops.core.announce.call_text). */
  function callText(template, number, counter) {
    return fill(template, { number: String(number), counter: String(counter) });
  }

  /* ----------------------------------------------------------------------------------- sound and speech */

  var synth = ("speechSynthesis" in window) ? window.speechSynthesis : null;
  var canUtter = typeof window.SpeechSynthesisUtterance === "function";
  var voicesListed = false;
  if (synth && typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", function () { voicesListed = true; });
  }

  function isChinese(voice) {
    return /^zh/i.test(String(voice && voice.lang || "").replace("_", "-"));
  }

  function voiceRank(voice) {
    var lang = String(voice.lang || "").replace("_", "-").toLowerCase();
    if (lang === "zh-cn" || lang.indexOf("zh-hans") === 0) return 0;
    if (lang === "zh" || lang === "zh-tw" || lang.indexOf("zh-hant") === 0) return 1;
    return 2; /* zh-HK (Cantonese) last */
  }

  /* {speak, voice}: speak when a Chinese voice exists (use the best one), or when voices cannot be listed. */
  function chooseVoice() {
    if (!synth || !canUtter) return { speak: false, voice: null };
    var voices;
    try {
      voices = typeof synth.getVoices === "function" ? synth.getVoices() : null;
    } catch (err) {
      voices = null;
    }
    if (!voices) return { speak: true, voice: null };
    if (!voices.length) return { speak: !voicesListed, voice: null }; /* not listed yet: try anyway */
    var best = null;
    for (var i = 0; i < voices.length; i++) {
      if (isChinese(voices[i]) && (best === null || voiceRank(voices[i]) < voiceRank(best))) best = voices[i];
    }
    return { speak: best !== null, voice: best };
  }

  var sound = { enabled: false, muted: false, ctx: null };
  var queue = [];
  var busy = false;
  var MAX_QUEUED = 6;

  /* Two soft notes before each call; returns how long it lasts (ms). */
  function chime() {
    var ctx = sound.ctx;
    if (!ctx) return 0;
    try {
      var t0 = ctx.currentTime + 0.05;
      [[659.25, 0], [523.25, 0.45]].forEach(function (note) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, t0 + note[1]);
        gain.gain.exponentialRampToValueAtTime(0.35, t0 + note[1] + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + note[1] + 0.6);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(t0 + note[1]);
        osc.stop(t0 + note[1] + 0.65);
      });
      return 1200;
    } catch (err) {
      return 0;
    }
  }

  function speak(text, done) {
    var choice = chooseVoice();
    if (!choice.speak) { setTimeout(done, 800); return; }
    var finished = false;
    var guard = null;
    function finish() {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      setTimeout(done, 500);
    }
    try {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      if (choice.voice) {
        try { utterance.voice = choice.voice; } catch (err) { /* a voice object the browser does not take */ }
      }
      utterance.onend = finish;
      utterance.onerror = finish;
      guard = setTimeout(finish, 3000 + text.length * 450); /* some browsers never end without a voice */
      synth.speak(utterance);
    } catch (err) {
      finish();
    }
  }

  function pump() {
    if (busy || !queue.length) return;
    if (!sound.enabled || sound.muted) { queue = []; return; }
    busy = true;
    var text = queue.shift();
    setTimeout(function () {
      speak(text, function () { busy = false; pump(); });
    }, chime());
  }

  function announce(text) {
    if (!sound.enabled || sound.muted) return;
    queue.push(text);
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED); /* keep the latest calls */
    pump();
  }

  window.HallDisplay = {
    spokenNumber: spokenNumber,
    callPhrase: callPhrase,
    callText: callText,
    chooseVoice: chooseVoice,
    speak: function (text) { speak(text, function () {}); }
  };

  /* -------------------------------------------------------------------------------------- the screen */

  var screen = document.getElementById("display-screen");
  if (!screen) return; /* the functions above also serve the settings page's preview */

  function config() {
    var el = document.getElementById("display-config");
    return el ? el.dataset : {};
  }

  function byId(id) { return document.getElementById(id); }

  function showCall(number, counter, recall) {
    var hero = byId("hero");
    var cfg = config();
    hero.classList.remove("empty", "flash", "recall");
    void hero.offsetWidth; /* restart the flash */
    hero.classList.add("flash");
    if (recall) hero.classList.add("recall");
    var label = byId("hero-label");
    label.textContent = recall ? screen.dataset.recallLabel : label.dataset.default;
    byId("hero-number").textContent = number;
    byId("hero-counter").textContent = fill(screen.dataset.counterLabel || "{counter}", { counter: String(counter) });
    byId("hero-text-zh").textContent = cfg.phraseZh ? callText(cfg.phraseZh, number, counter) : "";
    byId("hero-text-en").textContent = cfg.phraseEn ? callText(cfg.phraseEn, number, counter) : "";
  }

  document.body.addEventListener("hallevent", function (e) {
    var ev = e.detail || {};
    if (ev.kind !== "ticket.called" && ev.kind !== "ticket.recalled") return;
    var data = ev.data || {};
    var number = ev.ticket || data.number;
    var counter = ev.counter !== null && ev.counter !== undefined ? ev.counter : data.counter;
    if (!number || counter === null || counter === undefined) return;
    showCall(number, counter, ev.kind === "ticket.recalled");
    var template = config().phraseZh;
    if (template) announce(callPhrase(template, number, counter));
  });

  /* A board answer that is not the board (the device was revoked: the server sent the login page) reloads
     the whole screen, which then shows why. */
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var path = null;
    try { path = xhr && xhr.responseURL ? new URL(xhr.responseURL).pathname : null; } catch (err) { path = null; }
    if (path && path !== screen.dataset.boardUrl) {
      e.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  /* Sound: one click on the overlay (a user gesture) unlocks WebAudio and speech. */
  var overlay = byId("sound-overlay");
  var toggle = byId("sound-toggle");

  function showToggle() {
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", sound.muted ? "false" : "true");
    toggle.textContent = sound.muted ? toggle.dataset.labelOff : toggle.dataset.labelOn;
  }

  function enableSound() {
    var AudioCtx = window.AudioContext || window.webkitAudioContext;
    if (AudioCtx && !sound.ctx) {
      try {
        sound.ctx = new AudioCtx();
        if (sound.ctx.state === "suspended" && sound.ctx.resume) sound.ctx.resume().catch(function () {});
      } catch (err) {
        sound.ctx = null;
      }
    }
    sound.enabled = true;
    sound.muted = false;
    if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
    showToggle();
  }

  if (overlay) overlay.addEventListener("click", enableSound);
  toggle.addEventListener("click", function () {
    sound.muted = !sound.muted;
    if (sound.muted) queue = [];
    if (synth && sound.muted) { try { synth.cancel(); } catch (err) { /* nothing to stop */ } }
    showToggle();
  });

  /* The ticker: the hall's announcements one at a time; a line longer than the screen scrolls once. */
  var line = byId("ticker-line");
  var next = 0;
  function tick() {
    var items = document.querySelectorAll("#ticker-source li");
    if (!items.length) {
      line.textContent = "";
      setTimeout(tick, 5000);
      return;
    }
    line.classList.add("fade");
    setTimeout(function () {
      var item = items[next % items.length];
      next = (next + 1) % items.length;
      line.classList.remove("scroll");
      line.textContent = item.textContent;
      line.classList.remove("fade");
      var overflow = line.scrollWidth - line.parentNode.clientWidth;
      var stay = 8000;
      if (overflow > 0) {
        var ms = Math.round(overflow / 120 * 1000);
        line.style.setProperty("--scroll-shift", -overflow + "px");
        line.style.setProperty("--scroll-ms", ms + "ms");
        void line.offsetWidth;
        line.classList.add("scroll");
        stay = ms + 4000;
      }
      setTimeout(tick, items.length > 1 || overflow > 0 ? stay : 15000);
    }, 400);
  }
  tick();
})();
