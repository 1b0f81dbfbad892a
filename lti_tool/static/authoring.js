/* Authoring editor enhancements. Every page works without this file: it adds the Markdown toolbar,
 * autosave of drafts (with the revision as optimistic lock), the live preview rendered by the server's core,
 * and confirmations before deleting. No third-party code, no network beyond our own routes. */
(function () {
  "use strict";
  var status = document.getElementById("autosave-status");
  function say(text) { if (status) { status.textContent = " " + text; } }
  function revisions(value) {
    document.querySelectorAll("input[data-revision]").forEach(function (input) { input.value = value; });
  }
  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } });
  }

  // Toolbar: insert a block at the cursor, or wrap the selection.
  document.querySelectorAll("[data-toolbar]").forEach(function (bar) {
    var area = document.getElementById(bar.getAttribute("aria-controls"));
    if (!area || area.readOnly) { return; }
    bar.hidden = false;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      var start = area.selectionStart, end = area.selectionEnd, text = area.value;
      var insert = button.getAttribute("data-insert");
      var wrap = button.getAttribute("data-wrap");
      var piece = insert !== null ? insert : wrap + (text.slice(start, end) || "Text") + wrap;
      area.value = text.slice(0, start) + piece + text.slice(end);
      area.focus();
      area.selectionStart = area.selectionEnd = start + piece.length;
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // Autosave: every 10 s after a change, the form is saved as a draft (autosave=1 answers JSON).
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var dirty = false, busy = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    setInterval(function () {
      if (!dirty || busy) { return; }
      busy = true; dirty = false;
      var data = new FormData(form);
      data.append("autosave", "1");
      // getAttribute: the forms hold buttons named "action", which shadow the form.action property
      post(form.getAttribute("action"), data).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (result) {
        if (result.status === 200) {
          revisions(result.body.revision);
          say(document.documentElement.lang.indexOf("de") === 0 ? "Entwurf automatisch gespeichert." : "Draft saved automatically.");
        } else {
          say(result.body.error || "");
        }
      }).catch(function () { dirty = true; }).finally(function () { busy = false; });
    }, 10000);
  });

  // Live preview of a lesson: the server renders with the same core as learners see.
  var lessonForm = document.querySelector("form[data-preview]");
  if (lessonForm) {
    var area = lessonForm.querySelector("textarea[name=body]");
    var output = document.getElementById("preview-output");
    var figures = document.getElementById("lesezeit");
    var timer = null;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var data = new FormData();
        data.append("body", area.value);
        ["csrf", "ls"].forEach(function (name) {
          var field = lessonForm.querySelector("input[name=" + name + "]");
          if (field) { data.append(name, field.value); }
        });
        post(lessonForm.getAttribute("data-preview"), data).then(function (r) { return r.json(); }).then(function (body) {
          if (body.html !== undefined) { output.innerHTML = body.html; }
          if (figures && body.words !== undefined) {
            figures.textContent = figures.textContent.replace(/\d+([^\d]+)\d+/, body.words + "$1" + body.minutes);
          }
        }).catch(function () { /* the server-rendered preview stays */ });
      }, 600);
    });
  }

  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
