"""The core's xAPI rules and ``vamos build-package`` as operators run it (the browser and LRS tests are in
tests/packages and tests/lti/test_xapi_lrs.py)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from vamos_core.loader import load_catalog
from vamos_core.packages import package_files, zip_bytes
from vamos_core.packages.player import module_data
from vamos_core.xapi import StatementBuilder, activity_id, actor_name

ROOT = Path(__file__).resolve().parents[2]
VAMOS = [sys.executable, "-m", "vamos_cli.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*VAMOS, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_activity_ids_are_stable_iris_of_the_content():
    assert activity_id("urn:vamos-lms", "finanzierung", "lesson", "x") == "urn:vamos-lms:module:finanzierung:lesson:x"
    assert activity_id("https://lernen.example.org/xapi/", "finanzierung") == "https://lernen.example.org/xapi/module/finanzierung"
    assert activity_id("", "m") == "urn:vamos-lms:module:m"


def test_actor_is_a_keyed_pseudonym_without_personal_data():
    builder = StatementBuilder(home_page="https://tool.example.org", pseudonym_key=b"k1")
    actor = builder.actor("https://moodle.example.org", "user-42")
    assert actor == {"objectType": "Agent", "account": {"homePage": "https://tool.example.org",
                                                        "name": actor_name(b"k1", "https://moodle.example.org", "user-42")}}
    assert "user-42" not in json.dumps(actor) and "moodle" not in json.dumps(actor)
    assert actor_name(b"k2", "https://moodle.example.org", "user-42") != actor["account"]["name"]


def test_quiz_attempt_statements_and_deterministic_ids():
    module = load_catalog().get("finanzierung")
    builder = StatementBuilder(home_page="https://tool.example.org", pseudonym_key=b"k")
    q = module.quiz.questions[0]
    kwargs = dict(answers={q.id: sorted(q.correct_ids)}, fractions={q.id: 1.0}, percent=50.0, points=1.0,
                  max_points=module.quiz.max_points, passed=False)
    at = datetime(2026, 12, 2, 12, 0, 0)
    first = builder.quiz_attempt("iss", "sub", module, at, "key-1", **kwargs)
    again = builder.quiz_attempt("iss", "sub", module, at, "key-1", **kwargs)
    assert [s["id"] for s in first] == [s["id"] for s in again]  # the same fact, the same statement ids
    assert len({s["id"] for s in first}) == len(module.quiz.questions) + 1
    answered = first[0]
    assert answered["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert answered["result"] == {"response": "[,]".join(sorted(q.correct_ids)), "success": True,
                                  "score": {"scaled": 1.0, "raw": q.points, "min": 0, "max": q.points}}
    if q.lesson:  # an in-lesson check: its parent is the lesson
        assert answered["context"]["contextActivities"]["parent"][0]["id"].endswith(f":lesson:{q.lesson}")
    verdict = first[-1]
    assert verdict["verb"]["id"].endswith("/failed") and verdict["result"]["score"]["scaled"] == 0.5
    assert verdict["timestamp"] == "2026-12-02T12:00:00.000Z"


def test_packages_are_deterministic_and_keep_the_key_in_the_page_data():
    module = load_catalog().get("kommunikation-im-verband")
    files = package_files(module, "scorm2004")
    assert zip_bytes(files) == zip_bytes(package_files(module, "scorm2004"))
    page = files["index.html"].decode()
    data = json.loads(re.search(r'id="vamos-module">(.*?)</script>', page, re.S).group(1))
    assert data == json.loads(json.dumps(module_data(module, "urn:vamos-lms")))
    assert "</script" not in re.search(r'id="vamos-module">(.*?)</script>', page, re.S).group(1)
    assert 'src="http' not in page and "href=\"http://" not in page.split("<main")[0]  # nothing from elsewhere
    for lesson in module.lessons:
        assert f'id="lektion-{lesson.id}"' in page


def test_build_package_cli_writes_one_zip_per_module(tmp_path):
    result = run("build-package", "--format", "cmi5", "--module", "finanzierung", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "finanzierung-cmi5.zip"
    assert f"ok finanzierung: {archive}" in result.stdout
    with zipfile.ZipFile(archive) as z:
        assert {"cmi5.xml", "index.html", "player.js", "runtime.js", "vamos.css"} <= set(z.namelist())


def test_build_package_cli_refuses_unknown_modules_formats_and_bad_iris(tmp_path):
    missing = run("build-package", "--format", "scorm2004", "--module", "gibt-es-nicht", "-o", str(tmp_path))
    assert missing.returncode == 1 and "module 'gibt-es-nicht' is not available" in missing.stderr
    assert not list(tmp_path.iterdir())
    wrong = run("build-package", "--format", "scorm12", "-o", str(tmp_path))
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr
    iri = run("build-package", "--format", "cmi5", "--activity-base", "kein iri", "-o", str(tmp_path))
    assert iri.returncode == 2 and "keine absolute IRI" in iri.stderr
