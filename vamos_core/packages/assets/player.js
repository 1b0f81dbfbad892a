/* VAMOs package player: views (overview, lessons, test, result), grading in the browser, progress.
 *
 * The grading and completion rules are those of vamos_core.grading / vamos_core.completion (ported here, the
 * package has no server): single choice all or nothing; multiple choice "partial" +1/C per chosen correct option,
 * -1/W per chosen wrong option, clamped to [0, 1]; "all_or_nothing" optional; best or last attempt counts;
 * completion = all lessons done (if required) and the counting score reaches the passing score (if required).
 *
 * The platform's runtime is window.VamosRuntime (runtime.js: SCORM 2004 or cmi5), with
 *   start() -> Promise<{state, location, review, passingScore?}>,
 *   record(event, state, summary) -> Promise   (event: {kind: "viewed"|"done"|"attempt"|"view", ...}),
 *   finish(state, summary) -> Promise.
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vamos-module").textContent);
  var runtime = window.VamosRuntime;
  var state = { viewed: [], done: [], attempts: [], last: null, location: null, flags: {} };
  var passingScore = data.completion.passingScore;
  var review = false;
  var finished = false;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function has(list, id) { return list.indexOf(id) !== -1; }
  function message(text) {
    var el = $("#runtime-message");
    el.textContent = text;
    el.hidden = !text;
  }

  // ------------------------------------------------------------ rules (vamos_core.grading / completion)

  function gradeQuestion(q, chosen) {
    var correct = q.options.filter(function (o) { return o.correct; }).map(function (o) { return o.id; });
    var known = q.options.map(function (o) { return o.id; });
    chosen = chosen.filter(function (id) { return has(known, id); });
    var fraction;
    if (q.type === "single") {
      fraction = chosen.length === 1 && has(correct, chosen[0]) ? 1 : 0;
    } else if (q.scoring === "all_or_nothing") {
      fraction = chosen.length === correct.length && chosen.every(function (id) { return has(correct, id); }) ? 1 : 0;
    } else {
      var wrongTotal = known.length - correct.length;
      var right = chosen.filter(function (id) { return has(correct, id); }).length;
      var wrong = chosen.length - right;
      fraction = right / correct.length - (wrongTotal ? wrong / wrongTotal : 0);
      fraction = Math.min(1, Math.max(0, fraction));
    }
    return { id: q.id, chosen: chosen.slice().sort(), fraction: fraction, points: fraction * q.points, max: q.points };
  }

  function gradeQuiz(answers) {
    var results = data.quiz.questions.map(function (q) { return gradeQuestion(q, answers[q.id] || []); });
    var points = results.reduce(function (s, r) { return s + r.points; }, 0);
    var max = data.quiz.questions.reduce(function (s, q) { return s + q.points; }, 0);
    return { results: results, points: points, max: max, percent: max ? 100 * points / max : 0 };
  }

  function meets(percent, passing) { return percent + 1e-9 >= passing; }

  function summary() {
    var done = state.done.filter(function (id) { return data.lessons.some(function (l) { return l.id === id; }); });
    var score = null;
    if (state.attempts.length) {
      score = data.quiz.scoring === "last" ? state.attempts[state.attempts.length - 1]
        : Math.max.apply(null, state.attempts);
    }
    var hasQuiz = data.quiz.questions.length > 0;
    var passed = score !== null && meets(score, passingScore);
    var lessonsComplete = done.length === data.lessons.length;
    var completed = (!data.completion.requireAllLessons || lessonsComplete)
      && (!data.completion.requireQuizPass || !hasQuiz || passed);
    var total = data.lessons.length + (hasQuiz ? 1 : 0);
    var steps = done.length + (passed && hasQuiz ? 1 : 0);
    var percent = completed ? 100 : (total ? Math.min(99, Math.floor(100 * steps / total)) : 0);
    return { done: done, score: score, passed: passed, completed: completed, lessonsComplete: lessonsComplete,
      percent: percent, attempts: state.attempts.length, hasQuiz: hasQuiz, passingScore: passingScore };
  }

  function attemptsLeft() {
    var max = data.quiz.maxAttempts;
    return max === 0 ? null : Math.max(0, max - state.attempts.length);
  }

  // ------------------------------------------------------------ talking to the runtime

  var queue = Promise.resolve();
  function record(event) {
    var s = summary();
    queue = queue.then(function () { return runtime.record(event, state, s); }).catch(function (err) {
      message("Ihr Stand konnte gerade nicht an die Lernplattform gemeldet werden. Er wird beim nächsten Schritt erneut gesendet.");
      if (window.console) { console.error(err); }
    });
    return queue;
  }

  // ------------------------------------------------------------ views

  function badge(kind, text) {
    var icons = { done: "✓", progress: "◐", "new": "○", fail: "✗" };
    return '<span class="state state-' + kind + '"><span class="icon" aria-hidden="true">' + icons[kind]
      + "</span> " + text + "</span>";
  }

  function refresh() {
    var s = summary();
    $all("[data-state-for]").forEach(function (el) {
      var id = el.getAttribute("data-state-for");
      el.innerHTML = has(state.done, id) ? badge("done", "erledigt")
        : has(state.viewed, id) ? badge("progress", "begonnen") : badge("new", "noch nicht begonnen");
    });
    $all("[data-complete]").forEach(function (button) {
      var id = button.getAttribute("data-complete");
      button.hidden = has(state.done, id);
      $('[data-done-note="' + id + '"]').hidden = !has(state.done, id);
    });
    $("#module-progress").value = s.percent;
    $("#module-progress").textContent = s.percent + " %";
    $("#progress-text").textContent = s.percent + " % erledigt";
    var completion = $("#completion-state");
    completion.className = "state " + (s.completed ? "state-done" : "state-new");
    completion.innerHTML = s.completed ? '<span class="icon" aria-hidden="true">✓</span> Modul abgeschlossen.'
      : '<span class="icon" aria-hidden="true">○</span> Noch nicht abgeschlossen.';
    var quizState = $("#quiz-state");
    if (quizState) {
      quizState.innerHTML = s.score === null ? "Noch nicht bearbeitet."
        : (s.passed ? badge("done", "Bestanden") : badge("fail", "Noch nicht bestanden"))
          + " – zählendes Ergebnis: " + Math.round(s.score) + " %";
    }
    var left = attemptsLeft();
    var leftEl = $("#attempts-left");
    if (leftEl) {
      leftEl.textContent = left === null ? "Sie können den Test beliebig oft machen."
        : "Verbleibende Versuche: " + left + ".";
      $("#no-attempts").hidden = left !== 0;
      $("#quiz-form").hidden = left === 0 || review;
      $("#retry-link").hidden = left === 0 || review;
    }
    var next = data.lessons.filter(function (l) { return !has(state.done, l.id); })[0];
    $("#continue-link").setAttribute("href", next ? "#lektion/" + next.id : (s.hasQuiz && !s.passed ? "#test" : "#uebersicht"));
    $("#continue-link").textContent = next ? "Weiterlernen: " + next.title : (s.hasQuiz && !s.passed ? "Zum Wissenstest" : "Übersicht");
  }

  function viewFor(hash) {
    var m = /^#lektion\/(.+)$/.exec(hash);
    if (m) {
      var lesson = document.getElementById("lektion-" + decodeURIComponent(m[1]));
      if (lesson) { return lesson; }
    }
    if (hash === "#test" && $("#test")) { return $("#test"); }
    if (hash === "#ergebnis" && state.last && $("#ergebnis")) { return $("#ergebnis"); }
    return $("#uebersicht");
  }

  function show(hash, focus) {
    var view = viewFor(hash);
    $all(".view").forEach(function (v) { v.hidden = v !== view; });
    if (view.id === "ergebnis") { renderResult(); }
    var location = view.getAttribute("data-lesson-id") ? "lektion/" + view.getAttribute("data-lesson-id")
      : view.id === "test" ? "test" : "uebersicht";
    document.title = (view.querySelector("h1") || {}).textContent + " – VAMOs-Lernmodule";
    if (focus !== false) {
      var heading = view.querySelector("h1");
      if (heading) { heading.focus(); }
      window.scrollTo(0, 0);
    }
    var lessonId = view.getAttribute("data-lesson-id");
    state.location = location;
    if (lessonId && !has(state.viewed, lessonId)) {
      state.viewed.push(lessonId);
      refresh();
      record({ kind: "viewed", lesson: lessonId });
    } else {
      record({ kind: "view" });
    }
  }

  function renderResult() {
    var attempt = state.last;
    var s = summary();
    var body = $("#result-body");
    if (!attempt) { body.innerHTML = ""; return; }
    var passed = meets(attempt.percent, passingScore);
    var html = '<div class="result ' + (passed ? "result-pass" : "result-fail") + '" role="status">'
      + '<p class="verdict"><span class="icon" aria-hidden="true">' + (passed ? "✓" : "✗") + "</span> "
      + (passed ? "Bestanden" : "Noch nicht bestanden") + "</p>"
      + "<p>Sie haben " + fmt(attempt.points) + " von " + fmt(attempt.max) + " Punkten erreicht ("
      + Math.round(attempt.percent) + " %). Zum Bestehen brauchen Sie " + fmt(passingScore) + " %.</p>"
      + (s.score !== null ? "<p>Zählendes Ergebnis: " + Math.round(s.score) + " %.</p>" : "") + "</div>";
    data.quiz.questions.forEach(function (q, i) {
      var r = attempt.results.filter(function (x) { return x.id === q.id; })[0] || { chosen: [], fraction: 0 };
      var ok = r.fraction >= 1;
      html += '<section class="feedback ' + (ok ? "feedback-correct" : "feedback-wrong") + '"><h2>Frage ' + (i + 1) + ": "
        + (ok ? "richtig" : r.fraction > 0 ? "teilweise richtig" : "nicht richtig") + "</h2><p>" + esc(q.prompt) + "</p><ul>";
      q.options.forEach(function (o) {
        if (has(r.chosen, o.id)) { html += "<li>Ihre Antwort: " + esc(o.text) + " – " + esc(o.feedback) + "</li>"; }
      });
      html += "</ul><p>" + esc(q.explanation) + "</p></section>";
    });
    body.innerHTML = html;
  }

  function fmt(n) { return (Math.round(n * 100) / 100).toString().replace(".", ","); }
  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // ------------------------------------------------------------ actions

  function completeLesson(id) {
    if (review || has(state.done, id)) { return; }
    if (!has(state.viewed, id)) { state.viewed.push(id); }
    state.done.push(id);
    refresh();
    record({ kind: "done", lesson: id });
    var index = data.lessons.map(function (l) { return l.id; }).indexOf(id);
    var next = data.lessons[index + 1];
    window.location.hash = next ? "#lektion/" + next.id : (data.quiz.questions.length ? "#test" : "#uebersicht");
  }

  function submitQuiz(event) {
    event.preventDefault();
    if (review || attemptsLeft() === 0) { return; }
    var answers = {};
    data.quiz.questions.forEach(function (q) {
      answers[q.id] = $all('input[name="q-' + q.id + '"]:checked').map(function (i) { return i.value; });
    });
    var graded = gradeQuiz(answers);
    state.attempts.push(Math.round(graded.percent * 10000) / 10000);
    state.last = { percent: graded.percent, points: graded.points, max: graded.max, results: graded.results };
    $("#quiz-form").reset();
    refresh();
    record({ kind: "attempt", attempt: state.last, passed: meets(graded.percent, passingScore) });
    window.location.hash = "#ergebnis";
  }

  function finish() {
    if (finished) { return queue; }
    finished = true;
    var s = summary();
    queue = queue.then(function () { return runtime.finish(state, s); });
    return queue;
  }

  // ------------------------------------------------------------ start

  function restore(saved) {
    if (!saved || typeof saved !== "object") { return; }
    ["viewed", "done", "attempts"].forEach(function (k) { if (Array.isArray(saved[k])) { state[k] = saved[k]; } });
    if (saved.last && typeof saved.last === "object") { state.last = saved.last; }
    if (saved.flags && typeof saved.flags === "object") { state.flags = saved.flags; }
    if (typeof saved.location === "string") { state.location = saved.location; }
  }

  runtime.start().then(function (started) {
    restore(started.state);
    review = !!started.review;
    if (typeof started.passingScore === "number") { passingScore = started.passingScore; }
    if (review) { message("Ansichtsmodus: Ihre Lernplattform speichert in diesem Aufruf keinen Fortschritt."); }
    $("#views").hidden = false;
    $all("[data-complete]").forEach(function (b) {
      b.addEventListener("click", function () { completeLesson(b.getAttribute("data-complete")); });
    });
    if ($("#quiz-form")) { $("#quiz-form").addEventListener("submit", submitQuiz); }
    $("#finish-button").addEventListener("click", function () {
      finish().then(function () {
        message("Sie haben das Lernpaket beendet. Ihr Stand ist gespeichert. Sie können dieses Fenster schließen.");
        $("#views").hidden = true;
        $("#finish-button").hidden = true;
        if (started.returnUrl) { window.location.href = started.returnUrl; }
      });
    });
    window.addEventListener("hashchange", function () {
      // Only the views' addresses navigate; anchors inside a lesson (glossary, sources, skip link) do not.
      var hash = window.location.hash;
      if (!hash || /^#(lektion\/.+|test|ergebnis|uebersicht)$/.test(hash)) { show(hash); }
    });
    window.addEventListener("pagehide", function () { finish(); });
    refresh();
    var location = started.location || state.location;
    show(location ? "#" + location : window.location.hash, false);
    document.documentElement.setAttribute("data-vamos-ready", "1");
  }).catch(function (err) {
    message("Die Verbindung zur Lernplattform ist nicht möglich: " + (err && err.message ? err.message : err)
      + ". Bitte öffnen Sie das Modul erneut aus Ihrer Lernplattform.");
    document.documentElement.setAttribute("data-vamos-ready", "error");
  });

  window.VamosPlayer = { summary: summary, gradeQuiz: gradeQuiz, finish: finish };
}());
