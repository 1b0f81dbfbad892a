"""The demo LMS on ``localhost`` and the tool on ``127.0.0.1`` — two sites, as a real LMS and the tool are — in
Debian's Chromium: launch in the LMS's frame, in a new window and Deep Linking, first with Chromium's defaults,
then with third-party cookies blocked (``--test-third-party-cookie-phaseout``), without Platform Storage (as
Moodle 4.5: its launch sends no ``lti_storage_target``, mod/lti/locallib.php ``lti_build_login_request``) and
with it (as Canvas).

What Chromium 156 does here (measured, see docs/lti.md "Cookies im Rahmen"): ``localhost`` and ``127.0.0.1`` are
different sites; both are potentially trustworthy, so ``Secure`` cookies are kept over plain HTTP; a
``SameSite=Lax`` cookie is left out of the cross-site form post even in a top-level window; an unpartitioned
``SameSite=None; Secure`` cookie is refused in the third-party frame; a ``Partitioned`` one is kept and sent.
"""
from __future__ import annotations

import re

import pytest

from tests.browser_support import browser, browser_3pc_blocked  # noqa: F401 - shared fixtures

from .conftest import FIXTURE_CONTENT, make_config, start_env

MODULE_TITLE = "Testmodul Vereinsarbeit"


@pytest.fixture
def cross_site_env(tmp_path):
    config = make_config(tmp_path, {"database_url": "", "redis_url": ""}, content_dir=str(FIXTURE_CONTENT))
    env = start_env(config, platform_host="localhost")
    assert env.platform.issuer.startswith("http://localhost:") and env.tool_url.startswith("http://127.0.0.1:")
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def frame_launch(page, env, user: str = "lernende"):
    page.goto(f"{env.platform.issuer}/kurs/link-testmodul?user={user}")
    frame = page.frame_locator("#tool-frame")
    # A CSS locator, as the 320 px test: the frame is cross-site (another renderer process).
    frame.locator("main h1", has_text=MODULE_TITLE).wait_for()
    return frame


def pass_quiz_in(frame) -> None:
    frame.get_by_role("link", name="Zum Wissenstest").click()
    frame.get_by_role("button", name="Test beginnen").click()
    frame.locator("#q-vorstand-a").check()
    frame.get_by_role("button", name="Antworten abgeben").click()
    frame.locator(".verdict", has_text="Bestanden").wait_for()


def deep_link_in_frame(page, env) -> None:
    page.goto(f"{env.platform.issuer}/")
    page.locator("#deep-link").click()
    frame = page.frame_locator("#tool-frame")
    frame.get_by_role("heading", level=1, name="Lernmodule einfügen").wait_for()
    frame.get_by_label(f"Ganzes Modul „{MODULE_TITLE}“").check()
    frame.get_by_role("button", name="Auswahl einfügen").click()
    # The tool posts its signed answer back inside the frame; the demo LMS validates it and lists the new link.
    frame.get_by_role("heading", level=1, name="Eingefügt").wait_for()
    assert MODULE_TITLE in frame.locator("ul").inner_text()


def test_localhost_lms_launches_the_tool_in_frame_new_window_and_deep_linking(browser, cross_site_env):  # noqa: F811
    env = cross_site_env
    context = browser.new_context()
    page = context.new_page()
    try:
        frame_launch(page, env)  # with Platform Storage, the demo LMS's default
        with context.expect_page() as popup_info:
            page.get_by_role("link", name="In neuem Fenster starten").click()
        popup = popup_info.value
        popup.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/module/testmodul\?ls="))
        assert popup.get_by_role("heading", level=1).inner_text() == MODULE_TITLE
        popup.close()

        deep_link_in_frame(page, env)
        # Deep Linking in a new window (the link under the frame), to the end.
        with context.expect_page() as popup_info:
            page.get_by_role("link", name="In neuem Fenster starten").click()
        popup = popup_info.value
        popup.get_by_label(f"Ganzes Modul „{MODULE_TITLE}“").check()
        popup.get_by_role("button", name="Auswahl einfügen").click()
        popup.get_by_role("heading", level=1, name="Eingefügt").wait_for()
        assert len(env.platform.deep_link_results) == 2
    finally:
        context.close()


@pytest.mark.parametrize("storage_target", [None, "_parent"], ids=["without-platform-storage", "platform-storage"])
def test_third_party_cookies_blocked_launch_quiz_and_deep_linking_in_the_frame(
        browser_3pc_blocked, cross_site_env, storage_target):  # noqa: F811
    env = cross_site_env
    env.platform.storage_target = storage_target
    context = browser_3pc_blocked.new_context()
    page = context.new_page()
    try:
        frame = frame_launch(page, env)
        pass_quiz_in(frame)
        deep_link_in_frame(page, env)
        assert len(env.platform.deep_link_results) == 1
        launches = env.tool_hits.get("/lti/launch")
        if storage_target is None:
            # The partitioned state cookie carried both launches: one post each, no relay.
            assert launches == 2
            cookies = {c["name"]: c for c in context.cookies("http://127.0.0.1")}
            assert "vamos_session" in cookies and cookies["vamos_session"].get("partitionKey", "").startswith(
                "http://localhost"), cookies.get("vamos_session")
        else:
            # Platform Storage where offered: the relay page read the state back from the LMS's window.
            assert launches == 4
    finally:
        context.close()


def test_next_page_in_the_frame_scrolls_the_lms_page_to_the_frame_top(browser, cross_site_env):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 640})
    page = context.new_page()
    try:
        frame = frame_launch(page, cross_site_env)
        frame.get_by_role("link", name="Modul beginnen").click()
        frame.locator("article.lesson").wait_for()
        page.wait_for_function("() => parseInt(document.querySelector('#tool-frame').style.height) > 800")
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # the learner read to the end
        page.wait_for_function("() => window.scrollY > 300")
        frame.get_by_role("button", name="Lektion abgeschlossen").click()
        # The next page told the LMS (lti.scrollToTop): the frame's top is in view again.
        page.wait_for_function("() => document.querySelector('#tool-frame').getBoundingClientRect().top >= -1")
    finally:
        context.close()
