/* cmi5 runtime adapter of the VAMOs package player (the AU), following the cmi5 specification (quartz):
 *
 * 1. Launch parameters from the URL (8.1): endpoint, fetch, actor, registration, activityId.
 * 2. Auth token from the fetch URL, once (8.2): POST, answer {"auth-token": …}; used as "Basic <token>".
 * 3. LMS.LaunchData from the State API (10.0): contextTemplate (with the session id), launchMode, masteryScore,
 *    moveOn, returnURL. The learner preferences (agent profile cmi5LearnerPreferences, 11.0) are read if present.
 * 4. "initialized" first (7.1.1), then "cmi5 allowed" statements (experienced lessons, answered questions; no
 *    cmi5 category), "completed" when every lesson is done, "passed"/"failed" for the test against the mastery
 *    score (the LMS's, else the module's), never in Browse/Review mode, each of completed/passed once per
 *    registration; "terminated" last (7.1.2), with the session's duration.
 * The learner's progress (bookmark, done lessons, attempts) is an AU state document ("vamos-progress").
 * Activity ids of lessons and questions are those of vamos_core.xapi, the same as in the LTI tool.
 */
(function () {
  "use strict";
  var CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
  var MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  var ADL = "http://adlnet.gov/expapi/verbs/";
  var STATE_ID = "vamos-progress";
  var data = JSON.parse(document.getElementById("vamos-module").textContent);
  var launch = null;
  var launchData = null;
  var auth = null;
  var startedAt = Date.now();
  var sessionFailed = false;

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function duration() { return "PT" + Math.max(0, Math.round((Date.now() - startedAt) / 10) / 100) + "S"; }

  function xapi(method, path, params, body) {
    var query = params ? "?" + new URLSearchParams(params).toString() : "";
    var headers = { "X-Experience-API-Version": "1.0.3", "Authorization": auth };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(launch.endpoint + path + query, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      keepalive: method !== "GET",
    });
  }

  function stateParams(stateId) {
    return { stateId: stateId, activityId: launch.activityId, agent: JSON.stringify(launch.actor),
      registration: launch.registration };
  }

  function context(cmi5Defined, extra) {
    var ctx = JSON.parse(JSON.stringify(launchData.contextTemplate || {}));
    ctx.registration = launch.registration;
    ctx.contextActivities = ctx.contextActivities || {};
    if (cmi5Defined) {
      var categories = ctx.contextActivities.category || [];
      categories.push({ id: CMI5, objectType: "Activity" });
      if (extra && extra.moveOn) { categories.push({ id: MOVEON, objectType: "Activity" }); }
      ctx.contextActivities.category = categories;
    }
    if (extra && extra.parent) { ctx.contextActivities.parent = [{ id: launch.activityId, objectType: "Activity" }]; }
    if (extra && extra.mastery !== undefined) {
      ctx.extensions = ctx.extensions || {};
      ctx.extensions[MASTERY] = extra.mastery;
    }
    return ctx;
  }

  function send(verb, object, result, ctx) {
    var statement = {
      id: uuid(), actor: launch.actor, timestamp: new Date().toISOString(),
      verb: { id: ADL + verb, display: { "en-US": verb } },
      object: object, context: ctx,
    };
    if (result) { statement.result = result; }
    return xapi("POST", "statements", null, statement).then(function (r) {
      if (!r.ok) { throw new Error("LRS " + r.status + " für " + verb); }
    });
  }

  function au() { return { id: launch.activityId, objectType: "Activity" }; }
  function activity(id, type, name) {
    return { id: id, objectType: "Activity", definition: { type: type, name: { "de-DE": name } } };
  }
  function normal() { return !launchData.launchMode || launchData.launchMode === "Normal"; }
  function mastery() {
    return typeof launchData.masteryScore === "number" ? launchData.masteryScore : data.completion.passingScore / 100;
  }

  function saveState(state) {
    return xapi("PUT", "activities/state", stateParams(STATE_ID), state).catch(function () { /* bookmark only */ });
  }

  function judged(state, summary, event) {
    // cmi5 statements that move the learner on: completed (all lessons), passed/failed (the test).
    var chain = Promise.resolve();
    if (!normal()) { return chain; }
    if (summary.lessonsComplete && !state.flags.completed) {
      state.flags.completed = true;
      chain = chain.then(function () {
        return send("completed", au(), { completion: true, duration: duration() }, context(true, { moveOn: true }));
      });
    }
    if (event.kind === "attempt" && !state.flags.passed) {
      var score = { scaled: Math.round(event.attempt.percent * 100) / 10000 };
      if (event.passed) {
        state.flags.passed = true;
        chain = chain.then(function () {
          return send("passed", au(), { score: score, success: true, duration: duration() },
            context(true, { moveOn: true, mastery: mastery() }));
        });
      } else if (!sessionFailed) {
        sessionFailed = true;
        chain = chain.then(function () {
          return send("failed", au(), { score: score, success: false, duration: duration() },
            context(true, { mastery: mastery() }));
        });
      }
    }
    return chain;
  }

  window.VamosRuntime = {
    start: function () {
      var params = new URLSearchParams(window.location.search);
      try {
        launch = { endpoint: params.get("endpoint"), fetchUrl: params.get("fetch"), registration: params.get("registration"),
          activityId: params.get("activityId"), actor: JSON.parse(params.get("actor") || "null") };
      } catch (e) { launch = null; }
      if (!launch || !launch.endpoint || !launch.fetchUrl || !launch.actor || !launch.registration || !launch.activityId) {
        return Promise.reject(new Error("die cmi5-Startparameter fehlen"));
      }
      if (launch.endpoint.slice(-1) !== "/") { launch.endpoint += "/"; }
      return fetch(launch.fetchUrl, { method: "POST" }).then(function (r) { return r.json(); }).then(function (token) {
        if (!token["auth-token"]) { throw new Error("keine Zugangsberechtigung (" + (token["error-text"] || "fetch") + ")"); }
        auth = "Basic " + token["auth-token"];
        return xapi("GET", "activities/state", stateParams("LMS.LaunchData"));
      }).then(function (r) {
        if (!r.ok) { throw new Error("LMS.LaunchData fehlt (" + r.status + ")"); }
        return r.json();
      }).then(function (doc) {
        launchData = doc;
        var prefs = xapi("GET", "agents/profile", { agent: JSON.stringify(launch.actor), profileId: "cmi5LearnerPreferences" })
          .catch(function () { return null; });
        var saved = xapi("GET", "activities/state", stateParams(STATE_ID))
          .then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
        return Promise.all([prefs, saved]);
      }).then(function (found) {
        return send("initialized", au(), null, context(true)).then(function () {
          var state = found[1];
          return { state: state, location: state && state.location, review: !normal(),
            passingScore: mastery() * 100, returnUrl: launchData.returnURL || null };
        });
      });
    },
    record: function (event, state, summary) {
      var chain = Promise.resolve();
      var ids = data.activityIds;
      if (event.kind === "viewed" && normal()) {
        var lesson = data.lessons.filter(function (l) { return l.id === event.lesson; })[0];
        chain = send("experienced", activity(ids.lessons[event.lesson], "http://adlnet.gov/expapi/activities/lesson",
          lesson.title), null, context(false, { parent: true }));
      }
      if (event.kind === "attempt" && normal()) {
        event.attempt.results.forEach(function (r) {
          var q = data.quiz.questions.filter(function (x) { return x.id === r.id; })[0];
          chain = chain.then(function () {
            return send("answered", activity(ids.questions[r.id], "http://adlnet.gov/expapi/activities/cmi.interaction",
              q.prompt.slice(0, 250)), { response: r.chosen.join("[,]"), success: r.fraction >= 1,
              score: { scaled: Math.round(r.fraction * 10000) / 10000 } }, context(false, { parent: true }));
          });
        });
      }
      return chain.then(function () { return judged(state, summary, event); })
        .then(function () { return saveState(state); });
    },
    finish: function (state) {
      return saveState(state).then(function () {
        return send("terminated", au(), { duration: duration() }, context(true));
      });
    },
  };
}());
