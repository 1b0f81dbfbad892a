"""The launch and transport fixes of issue 16: ``next`` only as a path of our own routes (tab, newline, backslash
and encoded forms), HSTS behind TLS (app and the documented nginx example), access logs without the query
string of ``/lti/login`` (gunicorn, run for real), and the documented gunicorn access log format."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from lti_tool.access_log import GUNICORN_ACCESS_FORMAT, redact
from lti_tool.app import create_app
from lti_tool.models import Learner

from .conftest import FIXTURE_CONTENT, make_config
from .test_cross_process import _free_port, wait_until_healthy
from .test_learner import Visitor

REPO = Path(__file__).parents[2]
DOCS = (REPO / "docs" / "lti.md").read_text(encoding="utf-8")

# Raw query values (percent-encoding as an attacker sends it). Browsers drop tab/CR/LF in URLs and read "\" as
# "/", so every one of these would leave the site if echoed into Location (WHATWG URL parser; the report of
# issue 16: /organisation?next=/%09/evil.example/ -> Location: //evil.example/).
HOSTILE = [
    "/%09/evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example/", "/%09%09/evil.example",
    "/%5Cevil.example/", "/%5C%5Cevil.example", "%5C%5Cevil.example", "/%5C/evil.example",
    "//evil.example/", "///evil.example", "/%2F/evil.example", "%2F%2Fevil.example", "/%252F%252Fevil.example",
    "https://evil.example/", "https:evil.example", "javascript:alert(1)", "/%20/evil.example", "%09/evil.example",
    "/start%00", "/module/testmodul?ls=x%22%3E%3Cscript%3E", "/static/vamos.css", "/gibt-es-nicht",
    "/module/../../evil.example", "/%E2%80%8B/evil.example", "/@evil.example", "",
]


@pytest.fixture
def app(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend, proxy_fix=1))
    yield app
    app.extensions["vamos"].db.dispose()


def _learner(app) -> Visitor:
    v = Visitor(app, "testmodul", sub="lea")
    with app.extensions["vamos"].db.session() as s:
        s.add(Learner(issuer=v.issuer, sub=v.sub))
    return v


def _shown_next(page: str) -> str:
    return re.search(r'name="next" value="([^"]*)"', page).group(1).replace("&amp;", "&")


@pytest.mark.parametrize("raw", HOSTILE)
def test_next_is_only_a_path_of_our_own_routes(app, raw):
    v = _learner(app)
    page = v.client.get(f"/organisation?ls={v.sid}&next={raw}")
    assert page.status_code == 200
    assert urlsplit(_shown_next(page.text)).path == "/start"
    r = v.client.post(f"/organisation?next={raw}", data={"ls": v.sid, "csrf": v.csrf, "organisation": "none"})
    assert r.status_code == 303
    location = urlsplit(r.headers["Location"])
    assert location.path == "/start" and location.netloc in ("", "localhost"), r.headers["Location"]


def test_next_keeps_a_real_route_with_its_session_id(app):
    v = _learner(app)
    target = f"/module/testmodul/lesson/einfuehrung?ls={v.sid}"
    assert _shown_next(v.client.get("/organisation", query_string={"ls": v.sid, "next": target}).text) == target
    r = v.client.post("/organisation", data={"ls": v.sid, "csrf": v.csrf, "organisation": "none", "next": target})
    assert r.status_code == 303 and r.headers["Location"].endswith(target)


def test_hsts_behind_tls_only_and_configurable(app, tmp_path, backend):
    client = app.test_client()
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})  # behind the TLS proxy
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/healthz", base_url="https://lti.example.org").headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain HTTP: the local demo
    off = create_app(make_config(tmp_path / "off", {**backend, "auto_migrate": True}, proxy_fix=1, hsts_max_age=0))
    try:
        r = off.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in r.headers
    finally:
        off.extensions["vamos"].db.dispose()
    nginx = re.search(r"```nginx\n(.*?)```", DOCS, re.S).group(1)
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d+[^"]*" always;', nginx)


def test_documented_gunicorn_access_format_has_no_query_strings():
    assert GUNICORN_ACCESS_FORMAT in DOCS and f"--access-logformat '{GUNICORN_ACCESS_FORMAT}'" in DOCS
    assert "%(U)s" in GUNICORN_ACCESS_FORMAT and not {"%(r)s", "%(q)s", "%(f)s"} & set(
        re.findall(r"%\([a-zA-Z{}_-]+\)s", GUNICORN_ACCESS_FORMAT))
    assert redact('"GET /lti/login?login_hint=u1&lti_message_hint=x HTTP/1.1"') == '"GET /lti/login HTTP/1.1"'
    assert redact("POST /lti/login/reg-1?login_hint=u1 ") == "POST /lti/login/reg-1 "


def _gunicorn(tmp_path, log: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "VAMOS_DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}", "VAMOS_REDIS_URL": "",
           "VAMOS_INSTANCE_DIR": str(tmp_path / "instance"), "VAMOS_SECRET_KEY": "gunicorn-test-secret",
           "VAMOS_CONTENT_DIR": str(FIXTURE_CONTENT), "VAMOS_SCORE_WORKER": "off", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--workers", "1", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), *extra, "lti_tool:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    return proc, wait_until_healthy(proc, f"http://127.0.0.1:{port}", 60)


@pytest.mark.parametrize("documented", [False, True], ids=["gunicorn-default-format", "documented-format"])
def test_access_log_of_gunicorn_has_no_login_query(tmp_path, documented):
    log = tmp_path / "access.log"
    extra = ("--access-logformat", GUNICORN_ACCESS_FORMAT) if documented else ()
    proc, url = _gunicorn(tmp_path, log, *extra)
    try:
        params = {"iss": "https://lms.example.org", "login_hint": "platform-user-4711",
                  "lti_message_hint": "hint-of-user-4711", "target_link_uri": url + "/lti/launch"}
        assert requests.get(url + "/lti/login", params=params, timeout=10).status_code in (400, 403)
        requests.post(url + "/lti/login", data=params, timeout=10)
        requests.get(url + "/verify", params={"code": "ABCD"}, timeout=10)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert text.count("/lti/login") >= 2 and "/verify" in text
    assert "4711" not in text and "login_hint" not in text
    if documented:  # no query string at all (session ids of ?ls= included)
        assert "code=ABCD" not in text
