"""A lesson with a figure, the explainer video and in-lesson checks in Debian Chromium (Playwright), launched
from the demo platform, at 1280 px and 320 px:

* the figure loads, keeps its alt text and fits the screen (no horizontal scrolling at 320 px);
* the native player has the captions track, on by default, loaded and parsed (cues present), and metadata;
* the transcript is reachable by keyboard (Tab to its summary, Enter opens it);
* a check answers in place with JavaScript, and as a page without it;
* axe-core (WCAG 2.1 A/AA) finds no violation with figure description and transcript open.
Screenshots in ``test-artifacts/lesson-media/``.
"""
from __future__ import annotations

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture

from .test_learner_browser import ARTIFACTS, AXE, axe_violations, launch, no_horizontal_scroll, shipped_env  # noqa: F401

MODULE = "kommunikation-im-verband"
LESSON = "kommunikationsstrategie"
SHOTS = ARTIFACTS.parent / "lesson-media"


def open_lesson(page, env) -> None:
    launch(page, env, module=MODULE)
    page.goto(page.url.replace(f"/module/{MODULE}?", f"/module/{MODULE}/lesson/{LESSON}?"))


@pytest.mark.parametrize("width, height", [(1280, 900), (320, 640)])
def test_lesson_with_figure_video_and_checks(browser, shipped_env, width, height):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    # bypass_csp only for injecting axe (an inline script); the page's own media obey the tool's CSP.
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    try:
        open_lesson(page, shipped_env)
        figure = page.locator("figure img[src$='kommunikationsplan.svg']")
        figure.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
        assert figure.get_attribute("alt").startswith("Kommunikationsplan")
        box = figure.bounding_box()
        assert box["width"] <= width and box["x"] >= 0
        no_horizontal_scroll(page)

        video = page.locator("video[data-vamos-player]")
        track = video.locator("track[kind='captions']")
        assert track.count() == 1 and track.get_attribute("default") is not None
        assert track.get_attribute("srclang") == "de"
        # The captions file is fetched and parsed by the browser (TextTrack cues), shown by default.
        page.wait_for_function("v => v.textTracks.length && v.textTracks[0].cues && v.textTracks[0].cues.length > 10",
                               arg=video.element_handle(), timeout=15000)
        assert page.evaluate("v => v.textTracks[0].mode", video.element_handle()) == "showing"
        page.wait_for_function("v => v.readyState >= 1 && v.duration > 120", arg=video.element_handle(), timeout=15000)
        assert page.locator(".video-tools select").count() == 1  # speed choice added by vamos.js

        # Keyboard: Tab from the player reaches the transcript's summary; Enter opens it.
        video.focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.closest('details.transcript') !== null"):
                break
        assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
        page.keyboard.press("Enter")
        transcript = page.locator("details.transcript")
        assert transcript.get_attribute("open") is not None
        assert "Willkommen beim Erklärvideo" in transcript.inner_text()
        page.locator("details.figure-description summary").click()

        # A check with JavaScript: feedback in place, the page stays.
        url = page.url
        page.check("#check-kommunikationsziel-a")
        page.locator("#check-kommunikationsziel button[type=submit]").click()
        feedback = page.locator("#check-kommunikationsziel-rueckmeldung")
        feedback.get_by_text("Noch nicht ganz").wait_for()
        assert page.url == url
        page.check("#check-kommunikationsziel-c")
        page.locator("#check-kommunikationsziel button[type=submit]").click()
        feedback.get_by_text("Richtig!").wait_for()
        no_horizontal_scroll(page)

        violations = axe_violations(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{width}px-lesson.png"), full_page=True)
        assert violations == []
    finally:
        context.close()


def test_check_works_without_javascript(browser, shipped_env):  # noqa: F811
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    try:
        # The launch itself needs JavaScript (auto-posting forms): launch with it, then read without it.
        scripted = browser.new_context()
        first = scripted.new_page()
        open_lesson(first, shipped_env)
        lesson_url = first.url
        scripted.close()
        page.goto(lesson_url)
        assert page.locator("video track[kind='captions']").count() == 1
        page.check("#check-kernbotschaften-a")
        page.locator("#check-kernbotschaften button[type=submit]").click()
        page.wait_for_url("**/check/kernbotschaften**")
        assert "Richtig!" in page.locator("#check-kernbotschaften-rueckmeldung").inner_text()
        assert page.locator("#check-kernbotschaften-a").is_checked()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "320px-check-without-js.png"), full_page=True)
    finally:
        context.close()
