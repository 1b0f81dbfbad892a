/* Platform side of LTI Platform Storage (development aid): answers lti.put_data and
 * lti.get_data from the tool's frame. Values live in this page only, per tool origin. */
(function () {
  "use strict";
  var toolOrigin = document.body.getAttribute("data-tool-origin");
  var store = {};
  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin) { return; }
    var data = event.data || {};
    function reply(message) { event.source.postMessage(message, event.origin); }
    if (data.subject === "lti.frameResize") {
      // The tool tells its height, so the frame fits without inner scrolling.
      var frame = document.getElementById("tool-frame");
      var height = parseInt(data.height, 10);
      if (frame && height > 0 && height < 100000) { frame.style.height = height + "px"; }
    } else if (data.subject === "lti.scrollToTop") {
      // A new page in the tool's frame: show its top (the LMS page may be scrolled far down).
      var shown = document.getElementById("tool-frame");
      if (shown && shown.getBoundingClientRect().top < 0) { shown.scrollIntoView({ block: "start" }); }
    } else if (data.subject === "lti.capabilities") {
      reply({ subject: "lti.capabilities.response", message_id: data.message_id,
              supported_messages: [{ subject: "lti.put_data" }, { subject: "lti.get_data" },
                                   { subject: "lti.frameResize" }, { subject: "lti.scrollToTop" }] });
    } else if (data.subject === "lti.put_data") {
      store[data.key] = data.value;
      reply({ subject: "lti.put_data.response", message_id: data.message_id, key: data.key, value: data.value });
    } else if (data.subject === "lti.get_data") {
      if (Object.prototype.hasOwnProperty.call(store, data.key)) {
        reply({ subject: "lti.get_data.response", message_id: data.message_id, key: data.key, value: store[data.key] });
      } else {
        reply({ subject: "lti.get_data.response", message_id: data.message_id, key: data.key,
                error: { code: "bad_request", message: "unknown key" } });
      }
    }
  });
}());
