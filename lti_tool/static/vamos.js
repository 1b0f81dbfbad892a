/* Enhancements only: every page works without this script.
 * - lti.frameResize: tells the LMS the page height, so the iframe fits without inner scrolling.
 * - Glossary terms: the definition opens in place (the link still jumps to the list without JS).
 * - Reading position: the scroll fraction of a lesson is saved (sendBeacon) and restored. */
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
}());
