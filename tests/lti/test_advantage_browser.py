"""Trainer-facing LTI Advantage pages in Chromium, launched from the demo platform (lti1p3platform over HTTP):
axe-core (wcag2a/2aa/21a/21aa) finds no violation — at 1280 and 375 px, without horizontal scrolling of the
page — on the Deep Linking catalogue (and its error state after submitting nothing), the NRPS roster (with
rows: progress seeded in the database), the score passback page (with a refused score seeded in the outbox, as
``test_advantage`` produces them) and the Dynamic Registration result page (registered against a platform's
endpoint); screenshots in ``test-artifacts/learner/``."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lti_tool.models import Deployment, ModuleProgress, ResourceLink, ScoreOutbox
from tests.browser_support import browser  # noqa: F401 - shared fixture

from .test_advantage import RegistrationPlatform
from .test_learner_browser import AXE, axe_violations, no_horizontal_scroll, shot
from .test_learner_browser import fixture_module_env as env  # noqa: F401 - shared fixture (SQLite, fixture module)

MODULE = "testmodul"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def trainer_launch(page, env) -> str:  # noqa: F811
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-{MODULE}&user=trainer&window=1")
    page.wait_for_url(re.compile(r"[?&]ls="))
    return re.search(r"[?&]ls=([^&#]+)", page.url).group(1)


def seed_progress(env) -> None:  # noqa: F811
    """Lea completed and passed the module, Kim is half-way; Nora (an extra member) never launched."""
    issuer, now = env.platform.issuer, datetime(2026, 3, 12, 12, 0)
    with env.db.session() as s:
        s.add(ModuleProgress(issuer=issuer, sub="lernende", module_id=MODULE, lessons_viewed='["einfuehrung"]',
                             lessons_done='["einfuehrung"]', quiz_attempts=1, quiz_score=100.0, passed=True,
                             completed=True, percent=100, content_version="2026.1", completed_at=now,
                             updated_at=now, enrolled_at=now, started_at=now, passed_at=now))
        s.add(ModuleProgress(issuer=issuer, sub="koordination", module_id=MODULE, lessons_viewed='["einfuehrung"]',
                             percent=50, content_version="2026.1", updated_at=now, enrolled_at=now, started_at=now))


def seed_refused_score(env) -> None:  # noqa: F811
    """A score the platform refused for good (what ScoreSender leaves after an HTTP 400), plus one sent."""
    with env.db.session() as s:
        link = s.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == f"link-{MODULE}")).one()
        reg_id = s.scalar(select(Deployment.registration_id).where(Deployment.id == link.deployment_pk))
        for status, given, error in ((ScoreOutbox.SENT, 50.0, None),
                                     (ScoreOutbox.FAILED, 100.0, "HTTP 400: score refused by the demo platform")):
            stamp = datetime(2026, 3, 12, 12, 0) + timedelta(seconds=given)
            payload = {"userId": "lernende", "scoreMaximum": 100, "scoreGiven": given,
                       "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                       "timestamp": stamp.isoformat(timespec="microseconds") + "Z"}
            s.add(ScoreOutbox(registration_id=reg_id, issuer=env.platform.issuer, sub="lernende", module_id=MODULE,
                              resource_link_pk=link.id, payload=json.dumps(payload), status=status, attempts=1,
                              next_attempt_at=stamp, created_at=stamp, last_error=error))


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violations_on_advantage_pages(browser, env, width):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    env.platform.extra_members = [{"user_id": "nie-gestartet", "name": "Nora Nie", "roles": [LEARNER_ROLE],
                                   "status": "Active"}]
    seed_progress(env)
    registration = RegistrationPlatform()
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        # 1. Deep Linking: the catalogue, then "Auswahl einfügen" with nothing chosen (the error state).
        page.goto(f"{env.platform.issuer}/lti/initiate?deep_link=1&user=trainer&window=1")
        page.wait_for_url(re.compile(r"/deep-linking\?ls="))
        assert page.get_by_role("heading", level=1).inner_text() == "Lernmodule einfügen"
        assert page.get_by_role("group", name="Testmodul Vereinsarbeit").is_visible()
        assert page.get_by_label("Ganzes Modul „Testmodul Vereinsarbeit“").get_attribute("type") == "checkbox"
        no_horizontal_scroll(page)
        found["deep linking"] = axe_violations(page)
        shot(page, f"{width}px-advantage-deep-linking")
        page.get_by_text("Einzelne Lektionen").first.click()  # the lesson choices (inside <details>) too
        found["deep linking lessons open"] = axe_violations(page)
        page.get_by_role("button", name="Auswahl einfügen").click()
        page.wait_for_load_state()
        assert "mindestens einen Eintrag" in page.get_by_role("alert").inner_text()
        assert page.get_by_role("heading", level=1).inner_text() == "Lernmodule einfügen"
        no_horizontal_scroll(page)
        found["deep linking error"] = axe_violations(page)
        shot(page, f"{width}px-advantage-deep-linking-error")

        # 2. The roster (NRPS from the demo platform), with progress of two members.
        sid = trainer_launch(page, env)
        page.goto(f"{env.tool_url}/roster?ls={sid}")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Teilnehmende und Fortschritt")
        table = page.get_by_role("table")
        assert table.locator("caption").inner_text() == "4 Personen in diesem Kurs"
        lea = page.get_by_role("row", name=re.compile("Lea Lernende"))
        assert "abgeschlossen" in lea.inner_text() and "Test: 100" in lea.inner_text()
        assert "50 %" in page.get_by_role("row", name=re.compile("Kim Koordination")).inner_text()
        assert "nicht begonnen" in page.get_by_role("row", name=re.compile("Nora Nie")).inner_text()
        no_horizontal_scroll(page)
        found["roster"] = axe_violations(page)
        shot(page, f"{width}px-advantage-roster")

        # 3. Score passback, with a refused score.
        seed_refused_score(env)
        page.goto(f"{env.tool_url}/scores?ls={sid}")
        assert page.get_by_role("heading", level=1).inner_text() == "Bewertungsübertragung"
        assert "1 Bewertung nicht übertragbar" in page.locator("main").inner_text()
        row = page.get_by_role("table").locator("tbody tr")
        assert row.count() == 1 and "score refused by the demo platform" in row.inner_text()
        no_horizontal_scroll(page)
        found["scores"] = axe_violations(page)
        shot(page, f"{width}px-advantage-scores")

        # 4. Dynamic Registration against a platform's registration endpoint: the result page.
        page.goto(f"{env.tool_url}/register?openid_configuration={registration.config_url}"
                  f"&registration_token={registration.token}")
        assert page.get_by_role("heading", level=1).inner_text() == "Registrierung abgeschlossen"
        assert "freigeschaltet" in page.locator("main").inner_text()  # pending until approved
        assert registration.requests, "the tool did not register with the platform"
        no_horizontal_scroll(page)
        found["registration done"] = axe_violations(page)
        shot(page, f"{width}px-advantage-registration-done")
    finally:
        context.close()
        registration.server.stop()
    assert {name: v for name, v in found.items() if v} == {}
