/* Hall settings: preview the call phrases as they are typed (the display's own rule, display.js), and listen. */
(function () {
  "use strict";
  var D = window.HallDisplay;
  var zh = document.getElementById("id_call_phrase_zh");
  var en = document.getElementById("id_call_phrase_en");
  var zhOut = document.getElementById("phrase-zh-preview");
  var enOut = document.getElementById("phrase-en-preview");
  var listen = document.getElementById("phrase-listen");
  if (!D || !zh || !zhOut) return;
  var number = zhOut.dataset.number, counter = zhOut.dataset.counter;
  function update() {
    zhOut.textContent = D.callPhrase(zh.value, number, counter);
    if (en && enOut) enOut.textContent = D.callText(en.value, number, counter);
  }
  zh.addEventListener("input", update);
  if (en) en.addEventListener("input", update);
  if (listen && D.chooseVoice().speak) {
    listen.hidden = false;
    listen.addEventListener("click", function () { D.speak(zhOut.textContent); });
  }
})();
