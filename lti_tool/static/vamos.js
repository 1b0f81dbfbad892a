/* Enhancements only: every page works without this script.
 * - lti.frameResize: tells the LMS the page height, so the iframe fits without inner scrolling.
 * - Glossary terms: the definition opens in place (the link still jumps to the list without JS).
 * - Reading position: the scroll fraction of a lesson is saved (sendBeacon) and restored.
 * - In-lesson checks: the form is sent with fetch and only the feedback is updated (a live region).
 * - Lesson video: a speed choice, and "captions off" is remembered in this browser. */
(function () {
  "use strict";

  function sendSize() {
    if (window.parent === window) { return; }
    var height = Math.ceil(document.documentElement.scrollHeight);
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }
  window.addEventListener("load", sendSize);
  // A new page in the LMS frame starts at its top: without this the LMS page stays scrolled to where the
  // learner clicked (e.g. the middle of a long lesson). lti.scrollToTop as Canvas understands it.
  if (window.parent !== window) { window.parent.postMessage({ subject: "lti.scrollToTop" }, "*"); }
  if (window.ResizeObserver) { new ResizeObserver(sendSize).observe(document.body); }
  sendSize();

  // Status messages (WCAG 4.1.3): the live region is empty at load and gets its text a moment later, so screen
  // readers announce it ("Lektion abgeschlossen", "Sprache gewechselt").
  var live = document.getElementById("live-status");
  if (live && live.getAttribute("data-message")) {
    window.setTimeout(function () { live.textContent = live.getAttribute("data-message"); }, 250);
  }
  // After each step the new page's heading takes the focus, so keyboard and screen-reader users start at the
  // content, not at the top of the frame; a fragment (#frage-3) or an autofocus field keeps its own target.
  // A refused form's error summary (role=alert) comes first: it says what to fix and links to the fields.
  var heading = document.querySelector("main .error-summary[role=alert]") || document.querySelector("main h1");
  if (heading && !window.location.hash && !document.querySelector("[autofocus]")) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { event.preventDefault(); window.print(); }
  });

  var counter = 0;
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.glossary-term") : null;
    if (!link || !link.getAttribute("data-definition")) { return; }
    event.preventDefault();
    var id = link.getAttribute("aria-controls");
    var popup = id ? document.getElementById(id) : null;
    if (popup) {
      var open = link.getAttribute("aria-expanded") === "true";
      popup.hidden = open;
      link.setAttribute("aria-expanded", open ? "false" : "true");
      return;
    }
    popup = document.createElement("span");
    popup.id = "glossar-popup-" + (++counter);
    popup.className = "glossary-popup";
    popup.setAttribute("role", "note");
    popup.textContent = link.getAttribute("data-definition");
    // The term in the learner's interface language (issue 17), from the glossary list the page renders.
    var entry = document.getElementById((link.getAttribute("href") || "").replace(/^#/, ""));
    var translation = entry ? entry.querySelector(".term-translation") : null;
    if (translation) { popup.appendChild(translation.cloneNode(true)); }
    link.insertAdjacentElement("afterend", popup);
    link.setAttribute("aria-controls", popup.id);
    link.setAttribute("aria-expanded", "true");
  });

  var lesson = document.querySelector("article.lesson");
  var form = document.getElementById("position-form");
  if (lesson && form && window.FormData) {
    var resume = parseFloat(lesson.getAttribute("data-resume"));
    if (!isNaN(resume) && resume > 0 && !window.location.hash) {
      window.addEventListener("load", function () {
        var max = document.documentElement.scrollHeight - window.innerHeight;
        window.scrollTo(0, Math.round(resume * Math.max(max, 0)));
      });
    }
    var timer = null;
    var save = function () {
      var max = document.documentElement.scrollHeight - window.innerHeight;
      var fraction = max > 0 ? Math.min(1, Math.max(0, window.scrollY / max)) : 0;
      var data = new FormData(form);
      data.append("position", fraction.toFixed(4));
      if (navigator.sendBeacon) { navigator.sendBeacon(form.action, data); }
      else { fetch(form.action, { method: "POST", body: data, keepalive: true }); }
    };
    window.addEventListener("scroll", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 1500);
    }, { passive: true });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { save(); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-check-form") || !window.fetch) { return; }
    event.preventDefault();
    var box = form.closest(".lesson-check");
    var feedback = box && box.querySelector(".check-feedback");
    fetch(form.action.split("#")[0], { method: "POST", body: new FormData(form), headers: { "X-Vamos-Fragment": "1" },
      credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
      .then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html").getElementById(box.id);
        if (!answer || !feedback) { throw new Error("no check in answer"); }
        var missing = answer.querySelector(".check-missing");
        var fresh = answer.querySelector(".check-feedback");
        feedback.innerHTML = missing ? "<p class=\"check-missing\"></p>" : fresh.innerHTML;
        if (missing) { feedback.firstChild.textContent = missing.textContent; }
        sendSize();
      })
      .catch(function () { form.submit(); });  // fall back to the page without JavaScript
  });

  var speeds = [0.75, 1, 1.25, 1.5];
  Array.prototype.forEach.call(document.querySelectorAll("video[data-vamos-player]"), function (video, index) {
    var tools = document.createElement("div");
    tools.className = "video-tools";
    var id = "video-tempo-" + index;
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.textContent = document.documentElement.lang.indexOf("de") === 0 ? "Geschwindigkeit" : "Speed";
    var select = document.createElement("select");
    select.id = id;
    speeds.forEach(function (speed) {
      var option = document.createElement("option");
      option.value = String(speed);
      option.textContent = String(speed).replace(".", ",") + "×";
      if (speed === 1) { option.selected = true; }
      select.appendChild(option);
    });
    select.addEventListener("change", function () { video.playbackRate = parseFloat(select.value); });
    tools.appendChild(label);
    tools.appendChild(select);
    video.parentNode.insertAdjacentElement("afterend", tools);
    // Captions are on by default (our videos have no narration); a learner who turns them off keeps that.
    var track = video.textTracks && video.textTracks[0];
    var stored = null;
    try { stored = window.localStorage.getItem("vamos-captions"); } catch (e) { stored = null; }
    if (track && stored === "off") { track.mode = "disabled"; }
    if (video.textTracks && video.textTracks.addEventListener) {
      video.textTracks.addEventListener("change", function () {
        try { window.localStorage.setItem("vamos-captions", track.mode === "showing" ? "on" : "off"); } catch (e) { /* private mode */ }
      });
    }
  });
}());
