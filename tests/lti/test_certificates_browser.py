"""Certificate pages in Chromium: axe-core (wcag2a/2aa/21a/21aa) finds no violation on the learner's
certificate section, the public /verify page (form, valid, revoked, unknown) and the coordinators'
list and detail pages, at 1280 and 375 px; screenshots in ``test-artifacts/learner/``."""
from __future__ import annotations

import re

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture
from vamos_core.certificates import new_code

from .test_learner_browser import fixture_module_env as env  # noqa: F401 - shared fixture (SQLite, fixture module)
from .test_certificates_lti import code_on, complete_over_http, launch_as
from .test_learner_browser import AXE, axe_violations, no_horizontal_scroll, shot


def launch(page, env, user: str) -> None:
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-testmodul&user={user}&window=1")
    page.wait_for_url(re.compile(r"/module/testmodul\?ls="))


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violations_on_certificate_pages(browser, env, width):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    learner, sid = launch_as(env, "lernende")
    complete_over_http(env, learner, sid)
    code = code_on(learner.get(f"{env.tool_url}/module/testmodul", params={"ls": sid}).text)
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        page.goto(f"{env.tool_url}/module/testmodul?ls={sid}#zertifikat")
        assert page.get_by_role("link", name="Zertifikat herunterladen (PDF)").is_visible()
        found["module page with certificate"] = axe_violations(page)

        page.goto(f"{env.tool_url}/verify")
        found["verify form"] = axe_violations(page)
        page.fill("#code", code.lower().replace("-", " "))
        page.get_by_role("button", name="Prüfen").click()
        page.wait_for_url(re.compile(rf"/verify/{code}$"))
        assert "Gültiges Zertifikat" in page.locator("#result-title").inner_text()
        no_horizontal_scroll(page)
        found["verify valid"] = axe_violations(page)
        shot(page, f"{width}px-verify-valid")
        page.goto(f"{env.tool_url}/verify/{new_code()}")
        assert "unbekannt" in page.locator("#result-title").inner_text()
        found["verify unknown"] = axe_violations(page)
        # the public pages a credential's ids lead to (issue 16)
        page.goto(f"{env.tool_url}/issuer")
        found["issuer profile"] = axe_violations(page)
        page.goto(f"{env.tool_url}/achievements/testmodul/2026.1")
        assert page.get_by_role("heading", level=1).count() == 1
        no_horizontal_scroll(page)
        found["achievement"] = axe_violations(page)

        launch(page, env, "koordination")
        page.get_by_role("link", name="Zertifikate verwalten").click()
        page.wait_for_url(re.compile(r"/certificates\?"))
        assert page.locator("table caption").count() == 1
        no_horizontal_scroll(page)
        found["coordinator list"] = axe_violations(page)
        shot(page, f"{width}px-certificates")
        page.get_by_role("link", name=re.compile("Details zu")).click()
        found["coordinator detail"] = axe_violations(page)
        page.fill("#revoke-reason", "Test des Widerrufs")
        page.get_by_role("button", name="Zertifikat widerrufen").click()
        assert "widerrufen am" in page.content()
        found["coordinator detail revoked"] = axe_violations(page)
        page.goto(f"{env.tool_url}/verify/{code}")
        assert "Widerrufenes Zertifikat" in page.locator("#result-title").inner_text()
        found["verify revoked"] = axe_violations(page)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
