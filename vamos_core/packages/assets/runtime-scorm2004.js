/* SCORM 2004 (4th edition) runtime adapter of the VAMOs package player (one SCO per module).
 *
 * What is reported, as the SCORM 2004 RTE data model defines it:
 *   cmi.completion_status  completed when the module's completion rule holds, else incomplete
 *   cmi.success_status     passed/failed from the counting test score (unknown before an attempt; a module
 *                          without a test is passed when completed)
 *   cmi.score.*            scaled 0..1, raw 0..100 (percent), min 0, max 100
 *   cmi.progress_measure   the overview's percent / 100
 *   cmi.interactions.n.*   one "choice" interaction per question and attempt
 *   cmi.location           the bookmark (view), cmi.suspend_data the learner's state (JSON), cmi.exit "suspend"
 *                          so that the next launch resumes (cmi.entry "resume")
 * The API is found as the standard's discovery algorithm says: API_1484_11 in the parent chain, then the opener's.
 */
(function () {
  "use strict";
  var api = null;
  var startedAt = Date.now();

  function findIn(win) {
    for (var i = 0; win && i < 10; i++) {
      try {
        if (win.API_1484_11) { return win.API_1484_11; }
      } catch (e) { return null; }  // another origin: no API there
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }

  function findApi() {
    return findIn(window) || (window.opener ? findIn(window.opener) : null);
  }

  function set(name, value) {
    if (api.SetValue(name, String(value)) !== "true") {
      throw new Error("SetValue " + name + ": " + api.GetLastError() + " " + api.GetErrorString(api.GetLastError()));
    }
  }

  function commit() {
    if (api.Commit("") !== "true") {
      throw new Error("Commit: " + api.GetLastError() + " " + api.GetErrorString(api.GetLastError()));
    }
  }

  function duration(ms) {  // ISO 8601 timeinterval, as cmi.session_time wants it
    return "PT" + Math.max(0, Math.round(ms / 10) / 100) + "S";
  }

  function report(state, summary) {
    set("cmi.location", state.location || "uebersicht");
    set("cmi.suspend_data", JSON.stringify(state));
    set("cmi.progress_measure", (summary.percent / 100).toFixed(2));
    set("cmi.completion_status", summary.completed ? "completed" : "incomplete");
    if (summary.hasQuiz) {
      if (summary.score !== null) {
        set("cmi.score.scaled", (summary.score / 100).toFixed(4));
        set("cmi.score.raw", summary.score.toFixed(2));
        set("cmi.score.min", "0");
        set("cmi.score.max", "100");
        set("cmi.success_status", summary.passed ? "passed" : "failed");
      }
    } else if (summary.completed) {
      set("cmi.success_status", "passed");
    }
    set("cmi.exit", "suspend");
  }

  function interactions(event) {
    var data = JSON.parse(document.getElementById("vamos-module").textContent);
    // time (second, 10, 0): at most hundredths of a second (RTE C.1.4)
    var now = new Date().toISOString().replace(/(\.\d{2})\dZ$/, "$1Z");
    event.attempt.results.forEach(function (r) {
      var q = data.quiz.questions.filter(function (x) { return x.id === r.id; })[0];
      var n = api.GetValue("cmi.interactions._count");
      var p = "cmi.interactions." + n + ".";
      set(p + "id", data.activityIds.questions[r.id]);
      set(p + "type", "choice");
      set(p + "timestamp", now);
      set(p + "weighting", q.points);
      var correct = q.options.filter(function (o) { return o.correct; }).map(function (o) { return o.id; });
      set(p + "correct_responses.0.pattern", correct.sort().join("[,]"));
      set(p + "learner_response", r.chosen.join("[,]"));
      set(p + "result", r.fraction >= 1 ? "correct" : "incorrect");
      set(p + "description", q.prompt.slice(0, 250));
    });
  }

  window.VamosRuntime = {
    start: function () {
      api = findApi();
      if (!api) { return Promise.reject(new Error("keine SCORM-2004-Schnittstelle (API_1484_11) gefunden")); }
      if (api.Initialize("") !== "true") {
        return Promise.reject(new Error("Initialize: " + api.GetLastError()));
      }
      var saved = null;
      var raw = api.GetValue("cmi.suspend_data");
      if (raw) {
        try { saved = JSON.parse(raw); } catch (e) { saved = null; }
      }
      var mode = api.GetValue("cmi.mode");
      return Promise.resolve({ state: saved, location: api.GetValue("cmi.location") || null,
        review: mode === "review" || mode === "browse" });
    },
    record: function (event, state, summary) {
      if (event.kind === "attempt") { interactions(event); }
      report(state, summary);
      commit();
      return Promise.resolve();
    },
    finish: function (state, summary) {
      report(state, summary);
      set("cmi.session_time", duration(Date.now() - startedAt));
      commit();
      api.Terminate("");
      return Promise.resolve();
    },
  };
}());
