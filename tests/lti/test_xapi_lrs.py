"""xAPI from the LTI tool to a real LRS (Ralph, tests/xapi/ralph_lrs.py), both storage backends.

A learner journey over real HTTP (demo platform → launch → lessons → failed and passed test → certificate)
produces the expected statements in the LRS, validated by the LRS itself (Ralph's xAPI models refuse what is
not a valid statement); with the LRS stopped in the middle, the statements wait in the outbox and arrive after it
is back, each exactly once — proven by the LRS's own statement ids and its statement file.
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from lti_tool.models import XapiOutbox
from lti_tool.xapi_outbox import XapiSender
from tests.xapi.ralph_lrs import XAPI_HEADERS, ralph  # noqa: F401 - the session's LRS fixture

from .conftest import make_config, start_env
from .test_advantage import MODULE, launch_as, take_quiz, view_lessons

HOME = "https://vamos-tool.test/"


def xapi_env(tmp_path, backend, lrs, **extra):
    config = make_config(
        tmp_path, backend, xapi_lrs_url=lrs.endpoint, xapi_lrs_username=lrs.username,
        xapi_lrs_password_file=str(lrs.password_file), xapi_home_page=HOME, xapi_worker="off",
        xapi_retry_base=0.05, xapi_retry_max=0.3, xapi_http_timeout=2.0, **extra)
    return start_env(config)


@pytest.fixture
def env(tmp_path, backend, ralph):  # noqa: F811
    e = xapi_env(tmp_path, backend, ralph)
    yield e
    stop(e)


def stop(env):
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def rows(env) -> list[XapiOutbox]:
    with env.db.session() as s:
        return list(s.scalars(select(XapiOutbox).order_by(XapiOutbox.id)))


def actor_of(env, user: str) -> dict:
    tool = env.tool_app.extensions["vamos"]
    return tool.xapi.builder.actor(env.platform.issuer, user)


def in_lrs(lrs, actor: dict) -> list[dict]:
    return lrs.statements(agent=json.dumps(actor))


def send_until_done(sender: XapiSender, env, timeout: float = 30.0) -> None:
    """Run the worker's rounds until nothing is pending (backoff of a few 100 ms): a condition, not a sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sender.run_until_idle()
        if not [r for r in rows(env) if r.status == XapiOutbox.PENDING]:
            return
        time.sleep(0.05)
    raise AssertionError("statements still pending: " + repr([(r.id, r.last_error) for r in rows(env)
                                                              if r.status == XapiOutbox.PENDING]))


def verbs(statements) -> Counter:
    return Counter((s["verb"]["id"].rsplit("/", 1)[-1], s["object"]["id"]) for s in statements)


def test_learner_journey_produces_the_expected_statements(env, ralph, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    user = "lernende"
    browser, sid, _ = launch_as(env, user)
    module, _ = view_lessons(env, browser, sid)
    take_quiz(env, browser, sid, correct=False)
    take_quiz(env, browser, sid, correct=True)
    sender = XapiSender.from_config(env.config, env.db)
    result = sender.run_until_idle()
    assert result.failed == 0 and result.retried == 0, [(r.verb, r.last_error) for r in rows(env)]
    assert {r.status for r in rows(env)} == {XapiOutbox.SENT}

    statements = in_lrs(ralph, actor_of(env, user))
    base = f"urn:vamos-lms:module:{MODULE}"
    lesson_ids = [f"{base}:lesson:{lesson.id}" for lesson in module.lessons]
    questions = [f"{base}:question:{q.id}" for q in module.quiz.questions]
    expected = Counter({("launched", base): 1, ("completed", base): 1, ("failed", f"{base}:quiz"): 1,
                        ("passed", f"{base}:quiz"): 1, ("earned", f"{base}:certificate"): 1})
    for lesson in lesson_ids:
        expected[("experienced", lesson)] += 1
        expected[("completed", lesson)] += 1
    for question in questions:
        expected[("answered", question)] += 2
    assert verbs(statements) == expected

    # The LRS holds exactly the outbox's statement ids.
    assert sorted(s["id"] for s in statements) == sorted(r.statement_id for r in rows(env))
    passed = next(s for s in statements if s["verb"]["id"].endswith("/passed"))
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1.0
    assert passed["result"]["score"]["max"] == module.quiz.max_points
    failed = next(s for s in statements if s["verb"]["id"].endswith("/failed"))
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] < 0.7
    done = next(s for s in statements if s["verb"]["id"].endswith("/completed") and s["object"]["id"] == base)
    assert done["result"]["completion"] is True
    answered = [s for s in statements if s["verb"]["id"].endswith("/answered")]
    assert {s["result"]["success"] for s in answered} == {True, False}
    assert all(s["object"]["definition"]["interactionType"] == "choice" for s in answered)
    lesson_done = next(s for s in statements if s["object"]["id"] == lesson_ids[0]
                       and s["verb"]["id"].endswith("/completed"))
    assert lesson_done["context"]["contextActivities"]["parent"][0]["id"] == base

    # No personal data: the actor is a pseudonymous account on our home page, nothing else names the person.
    text = json.dumps(statements, ensure_ascii=False)
    for s in statements:
        assert set(s["actor"]) <= {"objectType", "account"}
        assert s["actor"]["account"]["homePage"] == HOME
        assert s["actor"]["account"]["name"] != user and len(s["actor"]["account"]["name"]) == 32
    assert user not in text and "mailto:" not in text and env.platform.issuer not in text
    # Credentials from the configuration, never in logs or the config's repr.
    assert ralph.password not in caplog.text
    assert ralph.password not in repr(env.config)


def test_lrs_outage_delays_statements_and_each_arrives_exactly_once(env, ralph, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    sender = XapiSender.from_config(env.config, env.db)
    user = "lernende"
    browser, sid, _ = launch_as(env, user)
    assert sender.run_until_idle().sent == 1  # launched
    ralph.stop()
    try:
        view_lessons(env, browser, sid)
        take_quiz(env, browser, sid, correct=True)
        waiting = [r for r in rows(env) if r.status == XapiOutbox.PENDING]
        assert len(waiting) >= 4
        outage = sender.run_once()
        assert outage.sent == 0 and outage.retried == len(waiting)
        for r in rows(env):
            if r.status == XapiOutbox.PENDING:
                assert r.attempts == 1 and r.last_error.startswith("LRS not reachable")
    finally:
        ralph.start()

    # A worker that died after the LRS stored a statement but before marking it sent: the statement is in the
    # LRS already and will be sent again with the same id.
    first = next(r for r in rows(env) if r.status == XapiOutbox.PENDING)
    r = requests.post(ralph.endpoint + "statements", data=first.payload.encode(), auth=ralph.auth,
                      headers={**XAPI_HEADERS, "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200, r.text

    send_until_done(sender, env)
    outbox = rows(env)
    assert {r.status for r in outbox} == {XapiOutbox.SENT}
    assert any(r.attempts >= 2 for r in outbox)  # delayed by the outage, not lost

    ids = [r.statement_id for r in outbox]
    statements = in_lrs(ralph, actor_of(env, user))
    assert sorted(s["id"] for s in statements) == sorted(ids)
    stored = Counter(line["id"] for line in ralph.stored_lines() if line["id"] in set(ids))
    assert stored == Counter({i: 1 for i in ids}), "a statement id stored more than once"
    assert ralph.password not in caplog.text


def test_statements_of_a_refused_event_never_reach_the_outbox(env, ralph):  # noqa: F811
    """A repeated lesson completion (same idempotency key) writes no second statement."""
    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    before = len(rows(env))
    view_lessons(env, browser, sid)  # the same lessons again: no new events, no new statements
    assert len(rows(env)) == before


def test_a_statement_the_lrs_refuses_fails_alone_and_the_batch_still_arrives(env, ralph):  # noqa: F811
    """Statements go as one array; when the LRS refuses the array (one invalid statement), they go one by one:
    the valid ones arrive, the invalid one is kept as failed_permanent with the LRS's answer."""
    launch_as(env, "lernende")
    good = rows(env)[0]
    bad = json.loads(good.payload)
    bad["id"] = "5b7e0b36-1a8e-4a1b-9d2f-0c3e4f5a6b7c"
    del bad["actor"]  # a statement without actor: the LRS must refuse it
    with env.db.session() as s:
        s.add(XapiOutbox(statement_id=bad["id"], issuer="x", sub="y", verb="kaputt", payload=json.dumps(bad),
                         status=XapiOutbox.PENDING, attempts=0))
    result = XapiSender.from_config(env.config, env.db).run_until_idle()
    assert (result.sent, result.failed) == (1, 1)
    by_id = {r.statement_id: r for r in rows(env)}
    assert by_id[good.statement_id].status == XapiOutbox.SENT
    refused = by_id[bad["id"]]
    assert refused.status == XapiOutbox.FAILED and refused.last_error.startswith("LRS answered 422")  # Ralph: invalid statement
    assert [s["id"] for s in in_lrs(ralph, actor_of(env, "lernende"))] == [good.statement_id]


def test_dsgvo_export_lists_and_erasure_drops_the_learners_waiting_statements(env, ralph):  # noqa: F811
    from lti_tool import dsgvo
    from lti_tool.models import Learner

    browser, sid, _ = launch_as(env, "lernende")
    view_lessons(env, browser, sid)
    waiting = len(rows(env))
    assert waiting >= 3
    with env.db.session() as s:
        learner = s.scalars(select(Learner).where(Learner.sub == "lernende")).one()
        exported = dsgvo.access_report(s, learner)
        assert len(exported["xapi_outbox"]) == waiting
        assert all("issuer" not in row and "sub" not in row for row in exported["xapi_outbox"])
        assert dsgvo.erase(s, learner)["xapi_outbox"] == waiting
    assert rows(env) == []


def test_progress_record_adds_exactly_one_insert_for_the_statements(tmp_path, backend):
    """``progress.record`` is a measured hot path (bench/): with an LRS configured it runs one more statement —
    the prepared insert of all the event's statements — and none without."""
    from sqlalchemy import event

    from lti_tool.db import Database
    from lti_tool.models import ProgressEvent
    from lti_tool.progress import Learner as Person
    from lti_tool.progress import record
    from lti_tool.xapi_outbox import XapiRecorder
    from vamos_core.loader import load_module

    from .conftest import FIXTURE_CONTENT

    config = make_config(tmp_path, backend, xapi_lrs_url="http://127.0.0.1:9/xAPI/", xapi_home_page=HOME)
    db = Database(config.database_url)
    db.migrate()
    module = load_module(FIXTURE_CONTENT / MODULE)
    recorder = XapiRecorder.from_config(config)
    executed: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: executed.append(a[2]))

    def statements_of(sub: str, xapi) -> list[str]:
        person = Person("https://lms.test", sub)
        record(db, person, module, ProgressEvent.LESSON_VIEWED, person.key("warm"), lesson_id=module.lessons[0].id,
               xapi=xapi)  # first event: creates the rows, not measured
        executed.clear()
        lesson = module.lessons[0].id
        record(db, person, module, ProgressEvent.LESSON_COMPLETED, person.key("done", lesson), lesson_id=lesson,
               xapi=xapi)
        return list(executed)

    try:
        without = statements_of("ohne", None)
        with_lrs = statements_of("mit", recorder)
        extra = [s for s in with_lrs if "xapi_outbox" in s]
        assert len(with_lrs) == len(without) + 1 and len(extra) == 1
        assert extra[0].lstrip().upper().startswith("INSERT")
        assert not [s for s in without if "xapi_outbox" in s]
    finally:
        db.dispose()
