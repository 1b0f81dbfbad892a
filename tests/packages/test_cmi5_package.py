"""The cmi5 package: ``cmi5.xml`` validates against the cmi5 course structure schema (vendored in
tests/packages/cmi5/CourseStructure.xsd, source named there), and the AU follows the cmi5 launch sequence in
Chromium against the Ralph LRS.

The test plays the LMS as the cmi5 specification (quartz, AICC/CMI-5_Spec_Current cmi5_spec.md) describes it:
it creates a registration and a session, writes ``LMS.LaunchData`` (10.0), records "launched" (9.3.1), offers a
one-time fetch URL for the auth token (8.2) and launches the AU with endpoint, fetch, actor, registration and
activityId (8.1). Ralph has no State or Agent Profile API, so the test LMS serves those two itself and passes
the Statement API through to Ralph unchanged — every statement is validated and stored by the LRS.
"""
from __future__ import annotations

import base64
import json
import threading
import uuid
from pathlib import Path

import pytest
import requests
from flask import Flask, Response, jsonify, request
from lxml import etree

from tests.browser_support import browser  # noqa: F401 - the shared Chromium fixture
from tests.xapi.ralph_lrs import XAPI_HEADERS, ralph  # noqa: F401 - the session's LRS
from vamos_core.loader import load_catalog, load_module
from vamos_core.packages import package_files

from .package_host import serve, unpacked

HERE = Path(__file__).parent
SCHEMA = HERE / "cmi5" / "CourseStructure.xsd"
FIXTURE_MODULE = HERE.parent / "lti" / "fixtures" / "content" / "testmodul"
NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


def compact(value) -> str:
    """JSON as the AU's JSON.stringify writes it (the State API's agent parameter is compared as text here)."""
    return json.dumps(value, separators=(",", ":"))


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.mark.parametrize("module_id", sorted(m.id for m in load_catalog()))
def test_cmi5_xml_of_every_shipped_module_validates_against_the_course_structure_schema(module_id):
    module = load_catalog().get(module_id)
    files = package_files(module, "cmi5")
    document = etree.fromstring(files["cmi5.xml"])
    xsd = schema()
    assert xsd.validate(document), xsd.error_log
    au = document.find("c:au", NS)
    assert au.get("moveOn") == "CompletedAndPassed"
    assert float(au.get("masteryScore")) == module.completion.passing_score / 100
    assert au.find("c:url", NS).text in files  # relative launch URL inside the package (14.1)


def test_the_schema_refuses_a_broken_course_structure():
    """The vendored schema is a real check: an AU without url and a wrong moveOn fail."""
    module = load_catalog().get("projektmanagement")
    document = etree.fromstring(package_files(module, "cmi5")["cmi5.xml"])
    au = document.find("c:au", NS)
    au.remove(au.find("c:url", NS))
    au.set("moveOn", "Irgendwann")
    assert not schema().validate(document)


class Cmi5TestLms:
    """The LMS side of cmi5: fetch URL, State API (LMS.LaunchData and the AU's state), agent profile, and the
    Statement API passed through to Ralph."""

    def __init__(self, package_dir: Path, lrs):
        self.lrs = lrs
        self.token = base64.b64encode(f"{lrs.username}:{lrs.password}".encode()).decode()
        self.fetch_calls = 0
        self.states: dict[tuple, bytes] = {}
        self.lock = threading.Lock()
        app = Flask(__name__)

        def authorised() -> bool:
            return request.headers.get("Authorization") == "Basic " + self.token

        @app.post("/fetch/<code>")
        def fetch(code):
            with self.lock:
                self.fetch_calls += 1
                first = self.fetch_calls == 1
            if not first:  # 8.2.3.1: the fetch URL can be used once
                return jsonify({"error-code": "1", "error-text": "Already in use"})
            return jsonify({"auth-token": self.token})

        @app.route("/xapi/activities/state", methods=["GET", "PUT", "POST", "DELETE"])
        def state():
            if not authorised():
                return Response(status=401)
            key = tuple(request.args.get(k, "") for k in ("stateId", "activityId", "agent", "registration"))
            with self.lock:
                if request.method == "GET":
                    if key not in self.states:
                        return Response(status=404)
                    return Response(self.states[key], mimetype="application/json")
                if request.method == "DELETE":
                    self.states.pop(key, None)
                else:
                    self.states[key] = request.get_data()
            return Response(status=204)

        @app.get("/xapi/agents/profile")
        def agent_profile():
            return Response(status=404 if authorised() else 401)

        @app.route("/xapi/statements", methods=["GET", "POST", "PUT"])
        def statements():
            upstream = requests.request(
                request.method, lrs.endpoint + "statements", params=request.args, data=request.get_data(),
                headers={"Authorization": request.headers.get("Authorization", ""),
                         "Content-Type": request.headers.get("Content-Type", "application/json"),
                         "X-Experience-API-Version": request.headers.get("X-Experience-API-Version", "1.0.3")},
                timeout=10)
            return Response(upstream.content, status=upstream.status_code, mimetype="application/json")

        @app.get("/return")
        def back():
            return Response("<!DOCTYPE html><html lang='de'><title>LMS</title><h1>Zurück im LMS</h1></html>",
                            mimetype="text/html")

        self.server = serve(app, package_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def put_state(self, state_id: str, activity_id: str, actor: dict, registration: str, doc: dict) -> None:
        self.states[(state_id, activity_id, compact(actor), registration)] = json.dumps(doc).encode()


def test_au_follows_the_cmi5_launch_sequence_against_ralph(browser, ralph, tmp_path):  # noqa: F811
    module = load_module(FIXTURE_MODULE)
    folder = unpacked(module, "cmi5", tmp_path)
    structure = etree.parse(str(folder / "cmi5.xml"))
    assert schema().validate(structure)
    au = structure.find("c:au", NS)
    au_id, move_on, mastery = au.get("id"), au.get("moveOn"), float(au.get("masteryScore"))
    lms = Cmi5TestLms(folder, ralph)
    context = browser.new_context()
    page = context.new_page()
    try:
        registration, session_id = str(uuid.uuid4()), str(uuid.uuid4())
        actor = {"objectType": "Agent", "account": {"homePage": "https://lms.test", "name": uuid.uuid4().hex}}
        launch_url = lms.url + "/pkg/" + au.find("c:url", NS).text
        template = {"contextActivities": {"grouping": [{"id": au_id + ":publisher", "objectType": "Activity"}]},
                    "extensions": {SESSION: session_id}}
        lms.put_state("LMS.LaunchData", au_id, actor, registration, {
            "contextTemplate": template, "launchMode": "Normal", "launchMethod": "AnyWindow", "moveOn": move_on,
            "masteryScore": mastery, "returnURL": lms.url + "/return"})
        launched = {
            "id": str(uuid.uuid4()), "actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/launched"},
            "object": {"id": au_id, "objectType": "Activity"},
            "context": {"registration": registration, "contextActivities": {
                "grouping": template["contextActivities"]["grouping"], "category": [{"id": CMI5}]},
                "extensions": {SESSION: session_id, "https://w3id.org/xapi/cmi5/context/extensions/launchmode": "Normal",
                               "https://w3id.org/xapi/cmi5/context/extensions/launchurl": launch_url,
                               "https://w3id.org/xapi/cmi5/context/extensions/moveon": move_on}},
            "timestamp": "2026-01-01T00:00:00.000Z"}
        r = requests.post(ralph.endpoint + "statements", json=launched, auth=ralph.auth, headers=XAPI_HEADERS, timeout=10)
        assert r.status_code == 200, r.text

        code = uuid.uuid4().hex
        query = {"endpoint": lms.url + "/xapi/", "fetch": f"{lms.url}/fetch/{code}", "actor": compact(actor),
                 "registration": registration, "activityId": au_id}
        page.goto(launch_url + "?" + requests.models.RequestEncodingMixin._encode_params(query))
        page.wait_for_function("() => !!document.documentElement.getAttribute('data-vamos-ready')")
        assert page.get_attribute("html", "data-vamos-ready") == "1", page.inner_text("#runtime-message")

        page.locator("#continue-link").click()
        for lesson in module.lessons:
            page.locator(f'[data-complete="{lesson.id}"]').click()

        def answer(correct: bool):
            for q in module.quiz.questions:
                chosen = sorted(q.correct_ids) if correct else sorted({o.id for o in q.options} - q.correct_ids)[:1]
                for option in chosen:
                    page.locator(f"#q-{q.id}-{option}").check()
            page.get_by_role("button", name="Antworten abgeben").click()

        answer(correct=False)
        page.locator("#retry-link").click()
        answer(correct=True)
        page.get_by_role("button", name="Beenden").click()
        page.wait_for_url(lms.url + "/return")

        # The fetch URL served its token once; a second call is refused (8.2.3.1).
        assert requests.post(f"{lms.url}/fetch/{code}", timeout=5).json()["error-code"] == "1"

        found = sorted(ralph.statements(registration=registration), key=lambda s: s["timestamp"])
        verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in found]
        assert verbs[0] == "launched" and verbs[1] == "initialized" and verbs[-1] == "terminated", verbs
        assert verbs.count("completed") == 1 and verbs.count("passed") == 1 and verbs.count("failed") == 1
        assert verbs.count("experienced") == len(module.lessons)
        assert verbs.count("answered") == 2 * len(module.quiz.questions)
        assert verbs.index("completed") < verbs.index("passed") < verbs.index("terminated")
        for s in found:
            assert s["context"]["registration"] == registration
            assert s["context"]["extensions"][SESSION] == session_id
            assert s["actor"]["account"] == actor["account"]
            categories = {c["id"] for c in s["context"]["contextActivities"].get("category", [])}
            verb = s["verb"]["id"].rsplit("/", 1)[-1]
            if verb in ("launched", "initialized", "completed", "passed", "failed", "terminated"):
                assert CMI5 in categories and s["object"]["id"] == au_id, s
            else:  # cmi5 allowed statements: no cmi5 category, our activity ids, the AU as parent
                assert CMI5 not in categories and s["object"]["id"].startswith(f"urn:vamos-lms:module:{module.id}:")
                assert s["context"]["contextActivities"]["parent"][0]["id"] == au_id
        passed = next(s for s in found if s["verb"]["id"].endswith("/passed"))
        assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1.0
        assert passed["result"]["duration"].startswith("PT")
        assert MOVEON in {c["id"] for c in passed["context"]["contextActivities"]["category"]}
        assert passed["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] == mastery
        completed = next(s for s in found if s["verb"]["id"].endswith("/completed"))
        assert completed["result"]["completion"] is True
        failed = next(s for s in found if s["verb"]["id"].endswith("/failed"))
        assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] < mastery

        # The AU kept its state (bookmark, attempts) in the State API for the next session.
        saved = json.loads(lms.states[("vamos-progress", au_id, compact(actor), registration)])
        assert saved["done"] == [lesson.id for lesson in module.lessons] and len(saved["attempts"]) == 2
    finally:
        context.close()
        lms.server.stop()
