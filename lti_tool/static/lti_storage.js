/* LTI Platform Storage (1EdTech "LTI Client Side postMessages").
 * When the platform sends lti_storage_target, the OIDC state is kept in the platform's window
 * instead of a cookie, so launches work in iframes whose third-party cookies are blocked.
 *   put mode (login page):  lti.put_data, then continue to the platform's authorization URL;
 *   get mode (launch page): lti.get_data, then post the value back to our own /lti/launch.
 * Only answers from the platform's origin (the origin of its OIDC auth URL) are accepted. */
(function () {
  "use strict";
  // Same-origin relay without Platform Storage (views/launch.py): post the token once more, now same-site.
  var relay = document.getElementById("lti-relay");
  if (relay && relay.getAttribute("data-autosubmit")) { relay.submit(); return; }
  var el = document.getElementById("lti-storage");
  if (!el) { return; }
  var mode = el.getAttribute("data-mode");
  var state = el.getAttribute("data-state");
  var origin = el.getAttribute("data-platform-origin");
  var targetName = el.getAttribute("data-target");
  var key = "vamos_state_" + state;
  var messageId = "vamos-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);

  function fail() {
    var fallback = document.getElementById("lti-storage-fallback");
    if (fallback) { fallback.hidden = false; }
  }

  function targetWindow() {
    if (!targetName || targetName === "_parent") { return window.parent; }
    try {
      return window.parent.frames[targetName] || window.parent;
    } catch (e) {
      return window.parent;
    }
  }

  var timer = window.setTimeout(fail, 5000);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin) { return; }
    var data = event.data || {};
    if (data.message_id !== messageId) { return; }
    if (mode === "put" && data.subject === "lti.put_data.response") {
      window.clearTimeout(timer);
      if (data.error) { fail(); return; }
      window.location.replace(el.getAttribute("data-auth-url"));
    } else if (mode === "get" && data.subject === "lti.get_data.response") {
      window.clearTimeout(timer);
      if (data.error || data.value !== state) { fail(); return; }
      var form = document.getElementById("lti-relay");
      form.elements.lti_storage_state.value = data.value;
      form.submit();
    }
  });

  var message = { subject: mode === "put" ? "lti.put_data" : "lti.get_data", message_id: messageId, key: key };
  if (mode === "put") { message.value = state; }
  targetWindow().postMessage(message, origin);
}());
