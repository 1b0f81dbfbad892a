"""LTI Advantage end to end, over real HTTP with the lti1p3platform demo platform (both backends):
Deep Linking round trip, AGS score passback through token and score endpoints (outbox, retries,
outages, permanent refusals, two worker processes), NRPS roster, Dynamic Registration."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import select

from lti_tool.demo_platform.run import ServerThread
from lti_tool.models import Deployment, Registration, ResourceLink, ScoreOutbox, utcnow
from lti_tool.score_sync import ScoreSender

from .conftest import backend_env, browser_session, error_code, make_config, parse_autopost, start_env

MODULE = "testmodul"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, backend):
    e = start_env(make_config(tmp_path, backend, score_retry_base=0.05, score_retry_max=0.5, score_http_timeout=1.0))
    yield e
    e.platform_server.stop()
    e.tool_server.stop()
    e.db.dispose()


def sender(env, **kw) -> ScoreSender:
    t = env.tool_app.extensions["vamos"]
    return ScoreSender(t.db, t.cache, timeout=kw.get("timeout", 1.0), retry_base=0.05, retry_max=0.5)


def launch_as(env, user: str, link: str = "link-testmodul") -> tuple[requests.Session, str, requests.Response]:
    login = env.start_login(user=user, link=link)
    r = env.launch(login, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    sid = parse_qs(urlsplit(r.headers["Location"]).query)["ls"][0]
    return login.session, sid, r


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def view_lessons(env, browser, sid):
    module = env.tool_app.extensions["vamos"].catalog.get(MODULE)
    base = f"{env.tool_url}/module/{MODULE}"
    for lesson in module.lessons:
        page = browser.get(f"{base}/lesson/{lesson.id}", params={"ls": sid})
        browser.post(f"{base}/lesson/{lesson.id}/done", data={"ls": sid, "csrf": csrf_of(page.text)})
    return module, base


def take_quiz(env, browser, sid, correct: bool) -> None:
    module = env.tool_app.extensions["vamos"].catalog.get(MODULE)
    base = f"{env.tool_url}/module/{MODULE}"
    csrf = csrf_of(browser.get(f"{base}/quiz", params={"ls": sid}).text)
    attempt = browser.post(f"{base}/quiz/start", data={"ls": sid, "csrf": csrf})
    token = re.search(r'name="attempt" value="([^"]+)"', attempt.text).group(1)
    answers = [(f"q-{q.id}", o) for q in module.quiz.questions
               for o in (sorted(q.correct_ids) if correct else sorted({x.id for x in q.options} - q.correct_ids)[:1])]
    r = browser.post(f"{base}/quiz/attempt", data=[("ls", sid), ("csrf", csrf), ("attempt", token)] + answers)
    assert r.status_code == 200, r.text[:300]


def outbox(env) -> list[ScoreOutbox]:
    with env.db.session() as s:
        return list(s.scalars(select(ScoreOutbox).order_by(ScoreOutbox.id)))


def assert_exactly_once(env) -> None:
    """Every outbox row arrived once, none lost, none duplicated, in order per learner and line item."""
    rows = outbox(env)
    assert rows and all(r.status == ScoreOutbox.SENT for r in rows), [(r.status, r.last_error) for r in rows]
    sent = sorted((json.loads(r.payload)["userId"], json.loads(r.payload)["timestamp"], r.lineitem_url) for r in rows)
    received = [(s["score"]["userId"], s["score"]["timestamp"], s["lineitem"]) for s in env.platform.scores_for()]
    assert sorted(received) == sent
    assert len(set(received)) == len(received)
    by_lane: dict = {}
    for user, stamp, item in received:
        by_lane.setdefault((user, item), []).append(stamp)
    assert all(stamps == sorted(stamps) for stamps in by_lane.values())


# ------------------------------------------------------------------ deep linking


def deep_link_launch(env, user: str = "trainer") -> tuple[requests.Session, requests.Response]:
    s = browser_session()
    r = s.get(env.platform.issuer + "/lti/initiate", params={"deep_link": "1", "user": user, "window": "1"})
    assert r.status_code == 200, r.text[:300]
    action, id_token, state = parse_autopost(r.text)
    return s, s.post(action, data={"id_token": id_token, "state": state})


def test_deep_linking_round_trip_validated_by_the_platform(env):
    browser, page = deep_link_launch(env)
    assert page.status_code == 200 and "Lernmodule einfügen" in page.text, page.text[:500]
    assert "Testmodul Vereinsarbeit" in page.text and "etwa 15 Minuten" in page.text
    assert "Grundlagen der Vereinsarbeit" in page.text  # objectives
    assert 'type="checkbox"' in page.text
    sid = parse_qs(urlsplit(page.url).query)["ls"][0]
    r = browser.post(f"{env.tool_url}/deep-linking", data=[
        ("ls", sid), ("csrf", csrf_of(page.text)), ("item", MODULE), ("item", f"{MODULE}/einfuehrung")])
    assert r.status_code == 200
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" id="autopost"', r.text).group(1))
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', r.text).group(1)
    assert action == env.platform.issuer + "/lti/deep_link_return"
    done = browser.post(action, data={"JWT": jwt_value})
    assert done.status_code == 200, done.text  # lti1p3platform validated signature, type, items; data echoed
    result = env.platform.deep_link_results[-1]
    items = result["items"]
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert items[0]["custom"] == {"module": MODULE}
    assert items[1]["custom"] == {"module": MODULE, "lesson": "einfuehrung"}
    assert items[0]["lineItem"] == {"label": "Testmodul Vereinsarbeit", "scoreMaximum": 100,
                                    "resourceId": MODULE, "tag": "vamos-module"}
    assert items[1]["lineItem"]["resourceId"] == f"{MODULE}/einfuehrung"
    assert result["claims"]["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "demo-dl-data"
    assert items[0]["url"] == env.tool_url + "/lti/launch"

    # The placed links open the module and the single lesson for a learner.
    module_link, lesson_link = result["links"]
    _, _, r = launch_as(env, "lernende", module_link)
    assert f"/module/{MODULE}?" in r.headers["Location"]
    _, _, r = launch_as(env, "lernende", lesson_link)
    assert f"/module/{MODULE}/lesson/einfuehrung?" in r.headers["Location"]


def test_deep_linking_single_choice_and_role_checks(env):
    env.platform.deep_link_accept_multiple = False
    browser, page = deep_link_launch(env)
    assert 'type="radio"' in page.text and 'type="checkbox"' not in page.text
    sid = parse_qs(urlsplit(page.url).query)["ls"][0]
    two = browser.post(f"{env.tool_url}/deep-linking", data=[
        ("ls", sid), ("csrf", csrf_of(page.text)), ("item", MODULE), ("item", f"{MODULE}/einfuehrung")])
    assert two.status_code == 400 and error_code(two) == "bad_form"
    none = browser.post(f"{env.tool_url}/deep-linking", data={"ls": sid, "csrf": csrf_of(page.text)})
    assert none.status_code == 400 and "mindestens einen Eintrag" in none.text
    forged = browser.post(f"{env.tool_url}/deep-linking", data={"ls": sid, "csrf": "x", "item": MODULE})
    assert error_code(forged) == "form_expired"

    # A learner starting a deep linking request never sees the catalogue.
    _, learner_page = deep_link_launch(env, "lernende")
    assert learner_page.status_code == 403 and error_code(learner_page) == "staff_only"
    # A resource link session is no deep linking session.
    b, sid, _ = launch_as(env, "trainer")
    r = b.get(f"{env.tool_url}/deep-linking", params={"ls": sid})
    assert r.status_code == 400 and error_code(r) == "no_deep_linking"


# ------------------------------------------------------------------ AGS: scores


def test_score_posted_through_token_and_score_endpoints_after_a_learner_passes(env):
    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    take_quiz(env, browser, sid, correct=True)
    rows = outbox(env)
    assert len(rows) >= 3 and all(r.status == ScoreOutbox.PENDING for r in rows)
    result = sender(env).run_until_idle()
    assert result.sent == len(rows) and result.failed == 0
    assert_exactly_once(env)
    last = env.platform.scores_for("lernende")[-1]["score"]
    assert last["scoreGiven"] == 100 and last["scoreMaximum"] == 100
    assert last["activityProgress"] == "Completed" and last["gradingProgress"] == "FullyGraded"
    assert last["timestamp"].endswith("Z")
    # The line item was created once (the launch had none) with the link id, and remembered on the link.
    assert len(env.platform.lineitems) == 1
    item = next(iter(env.platform.lineitems.values()))
    assert item["resourceLinkId"] == "link-testmodul" and item["scoreMaximum"] == 100
    with env.db.session() as s:
        assert s.scalar(select(ResourceLink.ags_lineitem_url).where(
            ResourceLink.resource_link_id == "link-testmodul")) == item["id"]
    # One access token for all of it (cached per registration and scopes until it expires).
    assert env.platform_hits.get("/lti/token", 0) <= 2

    # A second pass sends nothing again.
    assert sender(env).run_until_idle().sent == 0
    assert len(env.platform.scores_for()) == len(rows)


def test_platform_down_with_500_and_timeouts_then_recovers_every_score_exactly_once(env):
    env.platform.fail_mode = "500"
    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    s = sender(env, timeout=0.5)
    r = s.run_once()
    assert r.retried >= 1 and r.sent == 0
    take_quiz(env, browser, sid, correct=False)
    env.platform.fail_mode = "timeout"
    env.platform.fail_sleep = 1.0
    time.sleep(0.2)
    assert s.run_until_idle().sent == 0
    take_quiz(env, browser, sid, correct=True)
    rows = outbox(env)
    assert all(r.status == ScoreOutbox.PENDING for r in rows) and max(r.attempts for r in rows) >= 2
    assert any("500" in (r.last_error or "") for r in rows) or any("Timeout" in (r.last_error or "") for r in rows)
    assert env.platform.scores_for() == []
    env.platform.fail_mode = None
    deadline = time.time() + 120  # a ceiling only: the loop ends when the condition holds
    while time.time() < deadline and any(r.status == ScoreOutbox.PENDING for r in outbox(env)):
        s.run_until_idle()
        time.sleep(0.1)
    assert_exactly_once(env)
    assert env.platform.scores_for("lernende")[-1]["score"]["scoreGiven"] == 100


def test_refused_score_is_kept_and_shown_to_trainers_with_its_reason(env):
    browser, sid, _ = launch_as(env, "lernende")
    env.platform.fail_mode = "400"
    view_lessons(env, browser, sid)
    result = sender(env).run_until_idle()
    assert result.failed >= 1 and result.sent == 0
    rows = outbox(env)
    assert {r.status for r in rows} == {ScoreOutbox.FAILED}
    assert "HTTP 400" in rows[0].last_error and "score refused" in rows[0].last_error

    trainer, tsid, _ = launch_as(env, "trainer", "link-ohne-modul")
    page = trainer.get(f"{env.tool_url}/scores", params={"ls": tsid})
    assert page.status_code == 200 and "score refused by the demo platform" in page.text
    assert "lernende" in page.text and "nicht übertragbar" in page.text
    learner_page = browser.get(f"{env.tool_url}/scores", params={"ls": sid})
    assert learner_page.status_code == 403 and error_code(learner_page) == "staff_only"

    # The retry button: staff only, with the session's CSRF token, and only this course's refused scores.
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert learner_page.status_code == 403
    refused = browser.post(f"{env.tool_url}/scores/retry", data={"ls": sid, "csrf": "x"})
    assert refused.status_code == 403 and error_code(refused) == "staff_only"
    no_token = trainer.post(f"{env.tool_url}/scores/retry", data={"ls": tsid})
    assert no_token.status_code == 400 and error_code(no_token) == "form_expired"
    assert {r.status for r in outbox(env)} == {ScoreOutbox.FAILED}

    # After the cause is fixed on the platform, the trainer queues them again; each arrives once.
    env.platform.fail_mode = None
    done = trainer.post(f"{env.tool_url}/scores/retry", data={"ls": tsid, "csrf": csrf}, allow_redirects=False)
    assert done.status_code == 303
    shown = trainer.get(urljoin(env.tool_url + "/", done.headers["Location"]))
    assert f"{len(rows)} Bewertung" in shown.text and "erneut übertragen" in shown.text
    assert {r.status for r in outbox(env)} == {ScoreOutbox.PENDING}
    sender(env).run_until_idle()
    assert_exactly_once(env)

    # The command line does the same for every platform.
    from lti_tool.score_sync import retry_failed

    assert retry_failed(env.db) == 0


def test_inline_worker_in_the_web_process_sends_scores(tmp_path, backend):
    e = start_env(make_config(tmp_path, backend, score_worker="inline", score_poll_interval=0.2,
                              score_retry_base=0.05, score_http_timeout=2.0))
    try:
        browser, sid, _ = launch_as(e, "lernende")
        view_lessons(e, browser, sid)
        take_quiz(e, browser, sid, correct=True)
        deadline = time.time() + 120  # a ceiling only
        while time.time() < deadline and any(r.status != ScoreOutbox.SENT for r in outbox(e)):
            time.sleep(0.1)
        assert_exactly_once(e)
    finally:
        e.tool_app.extensions["vamos"].score_worker.stop()
        e.platform_server.stop()
        e.tool_server.stop()
        e.db.dispose()


def _start_worker_process(env, extra: dict) -> subprocess.Popen:
    vars_ = {**os.environ, **backend_env({"database_url": env.config.database_url,
                                          "redis_url": env.config.redis_url,
                                          "redis_prefix": env.config.redis_prefix}),
             "VAMOS_INSTANCE_DIR": str(env.config.instance_dir), "VAMOS_AUTO_MIGRATE": "0", **extra}
    return subprocess.Popen([sys.executable, "-c", "import sys; from vamos_cli.cli import main; sys.exit(main())",
                             "lti", "sync-scores"], env=vars_, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_two_worker_processes_send_one_outbox_without_double_sends(env):
    # Scores of many learners on the launched link, written as the progress transaction would.
    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    with env.db.session() as s:
        link = s.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == "link-testmodul")).one()
        reg_id = s.scalar(select(Deployment.registration_id).where(Deployment.id == link.deployment_pk))
        for learner in range(12):
            for step in range(4):
                stamp = utcnow()
                payload = {"userId": f"person-{learner}", "scoreMaximum": 100, "scoreGiven": step * 25.0,
                           "activityProgress": "InProgress", "gradingProgress": "FullyGraded",
                           "timestamp": stamp.isoformat(timespec="microseconds") + "Z"}
                s.add(ScoreOutbox(registration_id=reg_id, issuer=env.platform.issuer, sub=f"person-{learner}",
                                  module_id=MODULE, resource_link_pk=link.id, payload=json.dumps(payload),
                                  status="pending", attempts=0, next_attempt_at=stamp, created_at=stamp))
    env.platform.fail_mode = "500"
    extra = {"VAMOS_SCORE_RETRY_BASE": "0.05", "VAMOS_SCORE_RETRY_MAX": "0.3", "VAMOS_SCORE_POLL_INTERVAL": "0.1",
             "VAMOS_SCORE_HTTP_TIMEOUT": "2"}
    workers = [_start_worker_process(env, extra) for _ in range(2)]
    try:
        time.sleep(1.5)  # both hammer the failing platform for a while
        assert env.platform.scores_for() == []
        env.platform.fail_mode = None
        deadline = time.time() + 180  # a ceiling only
        while time.time() < deadline and any(r.status != ScoreOutbox.SENT for r in outbox(env)):
            time.sleep(0.2)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert all(p.returncode is not None for p in workers)
    assert_exactly_once(env)
    assert len(env.platform.scores_for()) == len(outbox(env)) >= 48


# ------------------------------------------------------------------ NRPS roster


def test_roster_shows_every_member_with_progress_including_those_who_never_launched(env):
    env.platform.extra_members = [
        {"user_id": "nie-gestartet", "name": "Nora Nie", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
         "status": "Active"},
        {"user_id": "ausgetreten", "name": "Alt Ausgetreten", "roles": [], "status": "Inactive"},
    ]
    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    take_quiz(env, browser, sid, correct=True)
    trainer, tsid, _ = launch_as(env, "trainer")
    page = trainer.get(f"{env.tool_url}/roster", params={"ls": tsid})
    assert page.status_code == 200, page.text[:500]
    for name in ("Lea Lernende", "Tarek Trainer", "Kim Koordination", "Nora Nie"):
        assert name in page.text
    assert "Alt Ausgetreten" not in page.text
    assert "4 Personen in diesem Kurs" in page.text
    assert "abgeschlossen" in page.text and "nicht begonnen" in page.text
    lea_row = re.search(r"<tr>\s*<th scope=\"row\">Lea Lernende.*?</tr>", page.text, re.S).group(0)
    assert "abgeschlossen" in lea_row and "Test: 100" in lea_row
    nora_row = re.search(r"<tr>\s*<th scope=\"row\">Nora Nie.*?</tr>", page.text, re.S).group(0)
    assert "nicht begonnen" in nora_row
    assert env.platform_hits.get(f"/nrps/{env.platform.context_id}/memberships", 0) >= 3  # paged by Link headers

    learner_page = browser.get(f"{env.tool_url}/roster", params={"ls": sid})
    assert learner_page.status_code == 403 and "Nora Nie" not in learner_page.text


# ------------------------------------------------------------------ dynamic registration


class RegistrationPlatform:
    """A platform's side of LTI Dynamic Registration, checking what the tool sends."""

    def __init__(self, token: str = "reg-token-123", issuer_host: str | None = None):
        self.token = token
        self.requests: list[dict] = []
        self.server = ServerThread()
        base = f"http://127.0.0.1:{self.server.port}"
        self.issuer = f"http://{issuer_host or '127.0.0.1'}:{self.server.port}"
        self.config_url = base + "/.well-known/openid-configuration"
        app = Flask("registration-platform")

        @app.get("/.well-known/openid-configuration")
        def config():
            return jsonify({
                "issuer": self.issuer,
                "authorization_endpoint": base + "/auth",
                "token_endpoint": base + "/token",
                "jwks_uri": base + "/jwks",
                "registration_endpoint": base + "/register",
                "scopes_supported": ["openid", "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                                     "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                                     "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                                     "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                                     "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle", "version": "4.5",
                    "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
                },
            })

        @app.post("/register")
        def register():
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return jsonify({"error": "invalid token"}), 401
            body = request.get_json()
            self.requests.append(body)
            return jsonify({**body, "client_id": "dyn-client-1",
                            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                                **body["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                                "deployment_id": "dyn-deployment-1"}})

        self.server.app = app
        self.server.start()


def test_dynamic_registration_sends_the_right_request_and_stores_a_pending_registration(env):
    platform = RegistrationPlatform()
    try:
        r = requests.get(f"{env.tool_url}/register",
                         params={"openid_configuration": platform.config_url, "registration_token": platform.token})
        assert r.status_code == 200, r.text[:500]
        assert "registration_close.js" in r.text
        close = requests.get(f"{env.tool_url}/static/registration_close.js").text
        assert "org.imsglobal.lti.close" in close and "window.opener || window.parent" in close

        body = platform.requests[-1]
        tool = env.tool_url
        assert body["application_type"] == "web"
        assert body["response_types"] == ["id_token"]
        assert set(body["grant_types"]) == {"implicit", "client_credentials"}
        assert body["initiate_login_uri"] == tool + "/lti/login"
        assert body["redirect_uris"] == [tool + "/lti/launch"]
        assert body["jwks_uri"] == tool + "/jwks"
        assert body["token_endpoint_auth_method"] == "private_key_jwt"
        assert set(body["scope"].split()) == {
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        }
        conf = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert conf["domain"] == urlsplit(tool).netloc and conf["target_link_uri"] == tool + "/lti/launch"
        assert {"iss", "sub"} <= set(conf["claims"])
        messages = {m["type"]: m for m in conf["messages"]}
        assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
        assert messages["LtiDeepLinkingRequest"]["placements"] and \
            messages["LtiDeepLinkingRequest"]["supported_types"] == ["ltiResourceLink"]
        assert requests.get(tool + "/jwks").json()["keys"]  # the URL the platform will fetch

        with env.db.session() as s:
            reg = s.scalars(select(Registration).where(Registration.client_id == "dyn-client-1")).one()
            assert reg.issuer == platform.issuer and reg.key_set_url.endswith("/jwks")
            assert reg.auth_token_url.endswith("/token") and reg.auth_login_url.endswith("/auth")
            dep = s.scalars(select(Deployment).where(Deployment.registration_id == reg.id)).one()
            assert dep.deployment_id == "dyn-deployment-1" and dep.status == "pending"
    finally:
        platform.server.stop()


def test_dynamic_registration_refuses_bad_configurations_and_can_auto_approve(tmp_path, backend):
    e = start_env(make_config(tmp_path, backend, auto_approve_registrations=True))
    wrong_issuer = RegistrationPlatform(issuer_host="evil.example")
    good = RegistrationPlatform()
    try:
        r = requests.get(f"{e.tool_url}/register", params={"openid_configuration": wrong_issuer.config_url,
                                                          "registration_token": wrong_issuer.token})
        assert r.status_code == 400 and error_code(r) == "registration_failed" and not wrong_issuer.requests
        r = requests.get(f"{e.tool_url}/register", params={"openid_configuration": good.config_url,
                                                          "registration_token": "wrong"})
        assert r.status_code == 400 and error_code(r) == "registration_failed"
        r = requests.get(f"{e.tool_url}/register")
        assert r.status_code == 400
        r = requests.get(f"{e.tool_url}/register", params={"openid_configuration": good.config_url,
                                                          "registration_token": good.token})
        assert r.status_code == 200
        with e.db.session() as s:
            dep = s.scalars(select(Deployment).where(Deployment.deployment_id == "dyn-deployment-1")).one()
            assert dep.status == "active"
    finally:
        wrong_issuer.server.stop()
        good.server.stop()
        e.platform_server.stop()
        e.tool_server.stop()
        e.db.dispose()


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
# Moodle's NRPS answers short context role names ("Instructor", "Learner"; mod/lti/service/memberships/classes/local/
# service/memberships.php users_to_json → mod/lti/locallib.php lti_get_ims_role with $islti2 = true); LTI 1.3 core
# §A.2.2 allows both forms. Each short name and its full URI must give the same role on the roster.
ROLE_FORMS = [
    ("Instructor", LIS + "membership#Instructor", "Trainerin oder Trainer"),
    ("Learner", LIS + "membership#Learner", "Lernende"),
    ("Administrator", LIS + "membership#Administrator", "Koordination"),
    ("ContentDeveloper", LIS + "membership#ContentDeveloper", "Trainerin oder Trainer"),
    ("TeachingAssistant", LIS + "membership/Instructor#TeachingAssistant", "Trainerin oder Trainer"),
]


def test_roster_maps_short_and_full_role_names_alike(env):
    env.platform.extra_members = [
        {"user_id": f"{form}-{short}", "name": f"Person {short} {form}", "roles": [role], "status": "Active"}
        for short, full, _ in ROLE_FORMS for form, role in (("kurz", short), ("voll", full))
    ]
    trainer, tsid, _ = launch_as(env, "trainer")
    page = trainer.get(f"{env.tool_url}/roster", params={"ls": tsid})
    assert page.status_code == 200, page.text[:500]
    for short, _full, label in ROLE_FORMS:
        for form in ("kurz", "voll"):
            row = re.search(rf'<th scope="row">Person {short} {form}</th>\s*<td>([^<]+)</td>', page.text)
            assert row and row.group(1).strip() == label, (short, form, row and row.group(1))
