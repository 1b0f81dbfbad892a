"""Coordination pages in Chromium, launched from the demo platform (lti1p3platform over HTTP): axe-core
(wcag2a/2aa/21a/21aa) finds no violation on the dashboard (with the fixture's numbers, the SVG chart and its
table), the organisation register, the DSGVO page and the audit log, and on the learners' organisation choice —
at 1280 and 375 px, without horizontal scrolling of the page; screenshots in ``test-artifacts/learner/``."""
from __future__ import annotations

import re

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture

from .test_learner_browser import fixture_module_env as env  # noqa: F401 - shared fixture (SQLite, fixture module)
from .test_coordinator import seed
from .test_learner_browser import AXE, axe_violations, no_horizontal_scroll, shot


def launch(page, env, user: str, landing: str = r"/module/testmodul\?ls=") -> str:
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-testmodul&user={user}&window=1")
    page.wait_for_url(re.compile(landing))
    return re.search(r"[?&]ls=([^&#]+)", page.url).group(1)


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violations_on_coordination_pages(browser, env, width):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    ids = seed(env.tool_app, env.platform.issuer)
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        # The learner's first launch: the organisation choice (the register of this platform is not empty).
        launch(page, env, "lernende", r"/organisation\?")
        assert page.get_by_label("Organisation").is_visible()
        no_horizontal_scroll(page)
        found["organisation choice"] = axe_violations(page)
        shot(page, f"{width}px-organisation-choice")
        page.get_by_label("Organisation").select_option(value=str(ids["verein"]))
        page.get_by_role("button", name="Speichern und weiter").click()
        page.wait_for_url(re.compile(r"/module/testmodul\?ls="))

        sid = launch(page, env, "koordination")
        page.goto(f"{env.tool_url}/start?ls={sid}")
        page.get_by_role("link", name="Abschlüsse und Berichte").click()
        page.wait_for_url(re.compile(r"/coordination\?"))
        assert page.locator("svg[role=img] title").text_content() == "Abschlüsse je Monat"
        assert page.locator("#chart-table caption").count() == 1
        assert page.locator("#modules-table tfoot td").first.inner_text() == "12"  # 11 + the launched learner
        no_horizontal_scroll(page)
        found["dashboard"] = axe_violations(page)
        shot(page, f"{width}px-coordination-dashboard")
        page.get_by_label("Von (Datum)").fill("2026-04-01")
        page.get_by_label("Bis (Datum)").fill("2026-04-30")
        page.get_by_role("button", name="Anzeigen").click()
        page.wait_for_url(re.compile(r"since=2026-04-01"))
        assert page.locator("#modules-table tfoot td").nth(2).inner_text() == "3"
        found["dashboard filtered"] = axe_violations(page)

        page.get_by_role("link", name="Organisationen").first.click()
        page.wait_for_url(re.compile(r"/coordination/organisations\?"))
        no_horizontal_scroll(page)
        found["organisations"] = axe_violations(page)
        page.get_by_role("button", name="Hinzufügen").click()  # empty form: errors shown
        found["organisations with errors"] = axe_violations(page)

        page.goto(f"{env.tool_url}/coordination/learners?ls={sid}&q={ids['codes']['v0']}")
        assert page.get_by_role("button", name="Daten löschen").is_visible()
        no_horizontal_scroll(page)
        found["dsgvo"] = axe_violations(page)
        shot(page, f"{width}px-coordination-dsgvo")

        page.goto(f"{env.tool_url}/coordination/audit?ls={sid}")
        found["audit log"] = axe_violations(page)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
