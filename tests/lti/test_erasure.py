"""Erasure that erases (Art. 17 DSGVO, issue 16), over real HTTP with the demo platform on both backends:
after a coordinator erased a learner, the learner's old session id, cookie, links, forms and even the original
id_token are replayed — nothing is re-created — and no table, no launch cache entry (SQL table or Redis key) and
no log line of the tool holds the person's ``sub`` or name any more. /verify says only "widerrufen"."""
from __future__ import annotations

import logging
import re

import pytest
import requests
from sqlalchemy import select, text

from lti_tool.models import Base, Learner, LtiUser, ModuleProgress, ProgressEvent

from .conftest import error_code, unverified_claims
from .test_certificates_lti import MODULE, code_on, complete_over_http, http_env, launch_as  # noqa: F401

SUB = "lernende"  # the demo platform's user id of Lea (sub and login_hint)
NAME = "Lea Lernende"
EMAIL = "lernende.demo@lms.example.org"  # sent by the demo platform in every launch (lti1p3platform's email claim)


def _everything_stored(env) -> str:
    """Every row of every table as text, and every key and value of the Redis prefix."""
    parts = []
    with env.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                parts.append(f"{table.name}: " + " | ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    cache = env.tool_app.extensions["vamos"].cache
    client = getattr(cache, "client", None)
    if client is not None:
        for key in client.scan_iter(cache.prefix + "*"):
            parts.append(f"redis {key.decode()}: {client.get(key)!r}")
    return "\n".join(parts)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_erasure_leaves_nothing_to_replay_and_no_trace(http_env, caplog):
    caplog.set_level(logging.DEBUG)
    env = http_env
    login = env.start_login(user=SUB, link="link-testmodul")
    r = env.launch(login, allow_redirects=False)
    assert r.status_code == 303
    browser, sid = login.session, re.search(r"[?&]ls=([^&]+)", r.headers["Location"]).group(1)
    complete_over_http(env, browser, sid)
    module_url = f"{env.tool_url}/module/{MODULE}"
    page = browser.get(module_url, params={"ls": sid})
    lesson = env.tool_app.extensions["vamos"].catalog.get(MODULE).lessons[0].id
    code = code_on(page.text)
    csrf = _csrf(browser.get(f"{module_url}/lesson/{lesson}", params={"ls": sid}).text)
    assert SUB in _everything_stored(env) and NAME in _everything_stored(env)  # the check can see them
    assert EMAIL == unverified_claims(login.id_token).get("email")  # the LMS sent it …
    assert EMAIL not in _everything_stored(env)  # … and the tool never stored it, not even in the session

    # The coordinator erases Lea.
    kim, kim_sid = launch_as(env, "koordination")
    with env.db.session() as s:
        pseudonym = s.scalars(select(Learner.pseudonym).where(Learner.sub == SUB)).one()
    search = kim.get(f"{env.tool_url}/coordination/learners", params={"ls": kim_sid, "q": pseudonym})
    r = kim.post(f"{env.tool_url}/coordination/learners/{pseudonym}/erase",
                 data={"ls": kim_sid, "csrf": _csrf(search.text), "confirm": "1"}, allow_redirects=False)
    assert r.status_code == 303

    # Lea's old session: by ?ls=, by cookie only, her links and forms, and the original id_token.
    replays = [
        browser.get(module_url, params={"ls": sid}),
        browser.get(module_url),  # the cookie alone
        browser.get(f"{module_url}/lesson/{lesson}", params={"ls": sid}),
        browser.post(f"{module_url}/lesson/{lesson}/done", data={"ls": sid, "csrf": csrf}),
        browser.post(f"{module_url}/quiz/start", data={"ls": sid, "csrf": csrf}),
        browser.get(f"{module_url}/certificate.pdf", params={"ls": sid}),
        browser.get(f"{module_url}/certificate.jwt", params={"ls": sid}),
        browser.post(f"{module_url}/position", data={"ls": sid, "csrf": csrf, "lesson": lesson, "position": "0.5"}),
        browser.get(f"{env.tool_url}/organisation", params={"ls": sid}),
        browser.post(f"{env.tool_url}/organisation", data={"ls": sid, "csrf": csrf, "organisation": "none"}),
        browser.get(f"{env.tool_url}/start", params={"ls": sid}),
        env.launch(login, allow_redirects=False),  # the id_token and state once more
    ]
    for response in replays:
        assert response.status_code in (400, 401, 403, 404, 405), (response.request.url, response.status_code)
    assert all(error_code(r) != "server_error" for r in replays)
    with env.db.session() as s:
        for model in (ModuleProgress, ProgressEvent, LtiUser):
            assert s.scalar(select(model).where(model.sub == SUB).limit(1)) is None, model.__name__
        assert s.scalar(select(Learner).where(Learner.sub == SUB).limit(1)) is None

    stored = _everything_stored(env)
    assert SUB not in stored and NAME not in stored and EMAIL not in stored and "@lms.example.org" not in stored
    # /verify: only "widerrufen"
    verify = requests.get(f"{env.tool_url}/verify/{code}.json", timeout=10).json()
    assert verify == {"status": "revoked", "code": code}
    # The tool's logs: no sub, no name. Not ours: the test's HTTP client (urllib3) and the demo platform's own
    # request lines (/lti/initiate, /lti/authorize: the LMS's log).
    platform_paths = re.compile(r'"(?:\x1b\[\d+m)?(?:GET|POST) /lti/(?:initiate|authorize)')
    ours = [r.getMessage() for r in caplog.records
            if r.name != "urllib3.connectionpool" and not platform_paths.search(r.getMessage())]
    assert any("/lti/login" in line for line in ours)  # the tool's access log is among them
    leaked = [line for line in ours if SUB in line or NAME in line or "@lms.example.org" in line]
    assert leaked == [], "\n".join(leaked)
