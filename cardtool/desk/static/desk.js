// The live reader state: server-sent events from /events update the banner; a new result
// (a card read in the background) reloads the check page, unless staff are typing.
"use strict";
(function () {
  var body = document.body;
  var shown = body.getAttribute("data-version");
  var banner = document.getElementById("reader");
  var label = document.getElementById("reader-text");
  var printButtons = document.querySelectorAll(".print-button");
  for (var i = 0; i < printButtons.length; i++) {
    printButtons[i].addEventListener("click", function () { window.print(); });
  }
  if (!window.EventSource || !banner) { return; }
  var typing = false;
  document.addEventListener("input", function () { typing = true; });
  var source = new EventSource("/events");
  source.onmessage = function (event) {
    var state;
    try { state = JSON.parse(event.data); } catch (e) { return; }
    banner.className = "reader state-" + state.reader;
    if (label && state.text) { label.textContent = state.text; }
    body.setAttribute("data-reader", state.reader);
    body.setAttribute("data-live-version", String(state.version));
    if (body.getAttribute("data-page") === "check" && String(state.version) !== shown
        && state.reader !== "reading" && !typing) {
      shown = String(state.version);
      window.location.replace("/check");
    }
  };
  source.onerror = function () {
    banner.className = "reader state-disconnected";
  };
})();
