"""The SCORM 2004 package in Chromium, driven by the ``scorm-again`` runtime (npm) as an LMS would host it.

The test LMS (a Flask app on 127.0.0.1) serves a player page that creates ``window.API_1484_11`` with
scorm-again's ``Scorm2004API`` (``lmsCommitUrl`` = the LMS's commit route, which stores the CMI JSON like an
LMS's database) and opens the package's ``index.html`` in an iframe — the SCO finds the API in its parent, as
the SCORM 2004 RTE discovery algorithm says. A relaunch loads the stored CMI with ``loadFromJSON`` and sets
``cmi.entry`` to ``resume`` (what an LMS does after ``cmi.exit = suspend``, SCORM 2004 RTE 4.2.9/4.2.10).
Nothing comes from a CDN: scorm-again and axe-core are served from node_modules.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from flask import Flask, Response, jsonify, request, send_from_directory
from playwright.sync_api import expect

from tests.browser_support import browser  # noqa: F401 - the shared Chromium fixture
from vamos_core.loader import load_catalog

from .package_host import serve, unpacked

REPO = Path(__file__).resolve().parents[2]
SCORM_AGAIN = REPO / "node_modules" / "scorm-again" / "dist"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MODULE = "projektmanagement"

HOST_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Test-LMS</title>
<script src="/npm/scorm-again/scorm2004.js"></script></head>
<body><iframe id="sco" title="Lernpaket" style="width:100%;height:90vh;border:0"></iframe>
<script>
fetch("/lms/cmi").then(r => r.json()).then(function (saved) {
  window.API_1484_11 = new Scorm2004API({lmsCommitUrl: "/lms/commit", autocommit: false, logLevel: 5});
  window.API_1484_11.cmi.learner_id = "lernende-1";
  if (saved) {
    window.API_1484_11.loadFromJSON(saved);
    window.API_1484_11.cmi.entry = "resume";
  }
  document.getElementById("sco").src = "/pkg/index.html";
});
</script></body></html>"""


class ScormTestLms:
    """Stores what scorm-again commits (the CMI object), per learner, like an LMS's tracking table."""

    def __init__(self, package_dir: Path):
        self.package_dir = package_dir
        self.commits: list[dict] = []
        self.lock = threading.Condition()
        app = Flask(__name__)

        @app.get("/lms/launch")
        def launch():
            return Response(HOST_PAGE, mimetype="text/html")

        @app.get("/lms/cmi")
        def cmi():
            with self.lock:
                return jsonify(self.commits[-1]["cmi"] if self.commits else None)

        @app.post("/lms/commit")
        def commit():
            with self.lock:
                self.commits.append(request.get_json(force=True))
                self.lock.notify_all()
            return jsonify({"result": True, "errorCode": 0})

        @app.get("/npm/scorm-again/<path:name>")
        def npm(name):
            return send_from_directory(SCORM_AGAIN, name)

        self.server = serve(app, package_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def committed(self, check, timeout: float = 15.0) -> dict:
        """The newest committed CMI once ``check`` holds for it (commits are asynchronous fetches)."""
        def last():
            return self.commits[-1]["cmi"] if self.commits else None

        with self.lock:
            if not self.lock.wait_for(lambda: last() is not None and check(last()), timeout):
                raise AssertionError(f"no commit as expected; the last one: {last()}")
            return last()


@pytest.fixture
def scorm_lms(tmp_path):
    if not (SCORM_AGAIN / "scorm2004.js").is_file():
        pytest.fail("scorm-again missing: run `npm ci` (make test does)")
    module = load_catalog().get(MODULE)
    lms = ScormTestLms(unpacked(module, "scorm2004", tmp_path))
    yield lms, module
    lms.server.stop()


def open_package(page, lms):
    page.goto(lms.url + "/lms/launch")
    frame = page.frame_locator("#sco")
    page.wait_for_function("() => { const d = document.getElementById('sco')?.contentDocument;"
                           " return !!d?.documentElement?.getAttribute('data-vamos-ready'); }")
    assert frame.locator("html").get_attribute("data-vamos-ready") == "1", frame.locator("#runtime-message").inner_text()
    return frame


def shows(frame, title) -> None:
    """The visible view's heading is ``title`` (a string or pattern); waits, as views change on hashchange."""
    expect(frame.locator(".view:not([hidden]) h1")).to_have_text(title)


def answer(frame, module, correct: bool) -> None:
    for q in module.quiz.questions:
        chosen = sorted(q.correct_ids) if correct else sorted({o.id for o in q.options} - q.correct_ids)[:1]
        for option in chosen:
            frame.locator(f"#q-{q.id}-{option}").check()
    frame.get_by_role("button", name="Antworten abgeben").click()


def test_learner_completes_passes_and_resumes_after_reload(browser, scorm_lms):  # noqa: F811
    lms, module = scorm_lms
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        frame = open_package(page, lms)
        shows(frame, module.title)
        frame.locator("#continue-link").click()
        first, second, third = module.lessons[0], module.lessons[1], module.lessons[2]
        shows(frame, first.title)
        for lesson in (first, second):
            frame.locator(f'[data-complete="{lesson.id}"]').click()
        shows(frame, third.title)
        saved = lms.committed(lambda cmi: cmi["location"] == f"lektion/{third.id}")
        assert saved["completion_status"] == "incomplete"
        assert saved["exit"] == "suspend"
        assert json.loads(saved["suspend_data"])["done"] == [first.id, second.id]

        # Reload: a new launch of the LMS with the stored CMI — the bookmark and the progress are back.
        frame = open_package(page, lms)
        shows(frame, third.title)
        frame.get_by_role("link", name="Zur Modulübersicht").last.click()
        expect(frame.locator(f'.view:not([hidden]) [data-state-for="{first.id}"]')).to_contain_text("✓ erledigt")
        assert page.evaluate("() => API_1484_11.GetValue('cmi.entry')") == "resume"

        frame.locator("#continue-link").click()
        for lesson in module.lessons[2:]:
            shows(frame, lesson.title)
            frame.locator(f'[data-complete="{lesson.id}"]').click()
        shows(frame, re.compile("^Wissenstest"))
        answer(frame, module, correct=False)
        expect(frame.locator("#result-body .verdict")).to_contain_text("Noch nicht bestanden")
        assert lms.committed(lambda cmi: cmi["success_status"] == "failed")["completion_status"] == "incomplete"
        frame.locator("#retry-link").click()
        answer(frame, module, correct=True)
        expect(frame.locator("#result-body .verdict")).to_have_text(re.compile("Bestanden$"))

        api = "(name) => API_1484_11.GetValue(name)"
        assert page.evaluate(api, "cmi.completion_status") == "completed"
        assert page.evaluate(api, "cmi.success_status") == "passed"
        assert float(page.evaluate(api, "cmi.score.scaled")) == 1.0
        saved = lms.committed(lambda cmi: cmi["success_status"] == "passed")
        assert saved["completion_status"] == "completed" and saved["success_status"] == "passed"
        assert float(saved["score"]["scaled"]) == 1.0 and float(saved["score"]["raw"]) == 100.0
        assert float(saved["progress_measure"]) == 1.0
        interactions = saved["interactions"]
        count = len(interactions) if isinstance(interactions, list) else len(interactions.get("childArray", interactions))
        assert count == 2 * len(module.quiz.questions)

        frame.get_by_role("button", name="Beenden").click()
        page.wait_for_function("() => API_1484_11.isTerminated()")
        assert lms.committed(lambda cmi: cmi.get("session_time", "").startswith("PT"))
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_package_pages_have_no_axe_violations(browser, scorm_lms, width):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    lms, module = scorm_lms
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        open_package(page, lms)
        sco = page.frame(url=lambda u: u.endswith("/pkg/index.html"))
        found = {}
        lesson = next(lesson for lesson in module.lessons if lesson.downloads)
        for name, route, view in (("overview", "#uebersicht", "uebersicht"),
                                  ("lesson", f"#lektion/{lesson.id}", f"lektion-{lesson.id}"), ("quiz", "#test", "test")):
            sco.evaluate("(hash) => { window.location.hash = hash; }", route)
            sco.wait_for_function("(id) => document.querySelector('.view:not([hidden])')?.id === id", arg=view)
            sco.add_script_tag(path=str(AXE))
            found[name] = sco.evaluate(
                """async (tags) => {
                    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                    return result.violations.map(v => ({id: v.id, help: v.help,
                        nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
                }""", AXE_TAGS)
        assert found == {"overview": [], "lesson": [], "quiz": []}
    finally:
        context.close()
