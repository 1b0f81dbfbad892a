/* Inside an LMS iframe without platform storage: continue only if cookies work here,
 * otherwise show the "open in a new window" fallback. The server set a script-readable
 * test cookie together with the state cookie. */
(function () {
  "use strict";
  var el = document.getElementById("cookie-check");
  if (!el) { return; }
  if (document.cookie.indexOf("vamos_cookie_check=1") !== -1) {
    window.location.replace(el.getAttribute("data-auth-url"));
  } else {
    document.getElementById("cookie-blocked").hidden = false;
  }
}());
