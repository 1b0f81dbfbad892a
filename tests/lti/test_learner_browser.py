"""The learner experience in a real browser (Debian Chromium via Playwright), launched from the demo
platform (lti1p3platform over HTTP):

* the journey: launch, read two lessons, fail the quiz, retry, pass, reload, launch again and resume
  at the right place — at 1280 px and 375 px, screenshots in ``test-artifacts/learner/``;
* axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa) finds no violation on the module page, a lesson,
  the quiz, the quiz result and an error page;
* keyboard only (Tab, Enter, Space): a lesson and the quiz completed;
* inside the LMS iframe at 320 px: no horizontal scrolling, and lti.frameResize sizes the frame.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture
from vamos_core.content import default_content_dir

from .conftest import FIXTURE_CONTENT, make_config, start_env

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "learner"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
MODULE = "kommunikation-im-verband"  # all questions on one page, 3 attempts, 6 lessons
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _env(tmp_path, content_dir, platform_host="127.0.0.1"):
    config = make_config(tmp_path, {"database_url": "", "redis_url": ""}, content_dir=str(content_dir))
    return start_env(config, platform_host=platform_host)


@pytest.fixture
def shipped_env(tmp_path):
    # Platform and tool on the same site (127.0.0.1): a top-level launch ("open in a new window").
    env = _env(tmp_path, default_content_dir())
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def launch(page, env, module: str = MODULE, user: str = "lernende"):
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-{module}&user={user}&window=1")
    page.wait_for_url(re.compile(rf"/module/{module}\?ls="))  # several round trips: the shared ceiling (browser_support)


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"horizontal scroll of {overflow}px on {page.url}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def answer_all(page, module, correct: bool) -> None:
    for question in module.quiz.questions:
        if correct:
            chosen = sorted(question.correct_ids)
        else:
            chosen = sorted({o.id for o in question.options} - question.correct_ids)[:1]
        for option in chosen:
            page.check(f"#q-{question.id}-{option}")


def module_of(env, module_id: str = MODULE):
    return env.tool_app.extensions["vamos"].catalog.get(module_id)


@pytest.mark.parametrize("width, height", [(1280, 900), (375, 740)])
def test_learner_journey_fail_retry_pass_and_resume(browser, shipped_env, width, height):  # noqa: F811
    module = module_of(shipped_env)
    first, second, third = module.lessons[:3]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    tag = f"{width}px"
    try:
        launch(page, shipped_env)
        assert page.locator("h1").inner_text() == module.title
        assert "0 % erledigt" in page.locator(".progress-text").inner_text()
        no_horizontal_scroll(page)
        shot(page, f"{tag}-1-module-start")

        page.get_by_role("link", name="Modul beginnen").click()
        assert page.locator("h1").inner_text() == first.title
        no_horizontal_scroll(page)
        shot(page, f"{tag}-2-lesson")
        page.get_by_role("button", name="Lektion abgeschlossen").click()
        assert page.locator("h1").inner_text() == second.title
        page.get_by_role("button", name="Lektion abgeschlossen").click()
        assert page.locator("h1").inner_text() == third.title  # the reader is now in lesson 3

        page.get_by_role("link", name="Zur Modulübersicht").first.click()
        assert page.locator(".lesson-list .state-done").count() == 2
        assert page.locator(".lesson-list .state-progress").count() == 1
        assert "28 % erledigt" in page.locator(".progress-text").inner_text()

        page.get_by_role("link", name="Zum Wissenstest").click()
        page.get_by_role("button", name="Test beginnen").click()
        assert page.locator("fieldset").count() == len(module.quiz.questions)
        no_horizontal_scroll(page)
        shot(page, f"{tag}-3-quiz")
        answer_all(page, module, correct=False)
        page.get_by_role("button", name="Antworten abgeben").click()
        assert "Nicht bestanden" in page.locator(".verdict").inner_text()
        assert "Noch 2 Versuche übrig" in page.content()
        no_horizontal_scroll(page)
        shot(page, f"{tag}-4-result-failed")

        page.get_by_role("button", name="Neuen Versuch beginnen").click()
        answer_all(page, module, correct=True)
        page.get_by_role("button", name="Antworten abgeben").click()
        assert "Bestanden" in page.locator(".verdict").inner_text()
        result_url = page.url
        shot(page, f"{tag}-5-result-passed")

        page.reload()  # reloading the result neither re-grades nor counts again
        assert page.url == result_url and "Noch 1 Versuch übrig" in page.content()

        launch(page, shipped_env)  # a new launch from the LMS, as the next day
        assert "Bestanden mit 100 %" in page.content()
        continue_link = page.get_by_role("link", name="Weiter, wo Sie aufgehört haben")
        continue_link.click()
        assert page.locator("h1").inner_text() == third.title  # resumed where the learner stopped
        shot(page, f"{tag}-6-resumed")
    finally:
        context.close()


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }""",
        AXE_TAGS,
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_wcag_violations(browser, shipped_env, width):  # noqa: F811
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    module = module_of(shipped_env)
    # bypass_csp: axe is injected as an inline script, which the tool's CSP (rightly) forbids.
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        launch(page, shipped_env)
        found["module"] = axe_violations(page)
        lesson = next(lesson for lesson in module.lessons if lesson.downloads)
        page.goto(page.url.replace(f"/module/{MODULE}?", f"/module/{MODULE}/lesson/{lesson.id}?"))
        page.locator("a.glossary-term").first.click()  # the in-place definition is checked too
        found["lesson"] = axe_violations(page)
        page.goto(page.url.split("/lesson/")[0] + "/quiz?" + page.url.split("?")[1])
        found["quiz overview"] = axe_violations(page)
        page.get_by_role("button", name="Test beginnen").click()
        found["quiz"] = axe_violations(page)
        answer_all(page, module, correct=False)
        page.get_by_role("button", name="Antworten abgeben").click()
        found["quiz result"] = axe_violations(page)
        page.goto(page.url.split("/quiz/")[0] + "/lesson/gibt-es-nicht?" + page.url.split("?")[1])
        assert "Lektion nicht gefunden" in page.locator("h1").inner_text()
        found["error"] = axe_violations(page)
        shot(page, f"{width}px-error-page")
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}


@pytest.fixture
def fixture_env(tmp_path):
    env = _env(tmp_path, FIXTURE_CONTENT)
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def tab_to(page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text (or value/label) contains ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement;
                       if (e === document.body) return "";  // between the page and the browser UI
                       const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
                       return (e.innerText || e.value || "") + " " + label; }"""
        )
        if text in focused:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {text!r}"
            return
    pytest.fail(f"{text!r} not reachable with Tab on {page.url}")


def tab_to_field(page, name: str, limit: int = 60) -> None:
    """Press Tab until a form field named ``name`` has the focus, visibly."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name || ''") == name:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {name!r}"
            return
    pytest.fail(f"field {name!r} not reachable with Tab on {page.url}")


def focus_is_on(page, what: str) -> None:
    """After each step the new page's heading (or a refused form's error summary) has the focus (issue 17)."""
    selector = "main h1" if what == "heading" else "main .error-summary"
    page.wait_for_function("(s) => document.activeElement === document.querySelector(s)", arg=selector)


def announced(page, text: str) -> None:
    """The live region (role=status) carries the message after the page loaded, so screen readers say it."""
    page.wait_for_function("(t) => document.getElementById('live-status').textContent.includes(t)", arg=text)
    assert page.get_attribute("#live-status", "role") == "status"
    assert page.get_attribute("#live-status", "aria-live") == "polite"


def test_keyboard_only_lesson_and_quiz(browser, fixture_env):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        launch(page, fixture_env, module="testmodul")
        focus_is_on(page, "heading")
        first = page.evaluate("() => document.querySelector('a[href], button, input, select').className")
        assert first == "skip-link"  # the first stop in the tab order
        tab_to(page, "Modul beginnen")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/lesson/einfuehrung"))
        focus_is_on(page, "heading")
        tab_to(page, "Lektion abgeschlossen")
        page.keyboard.press("Space")
        page.wait_for_url(re.compile(r"/module/testmodul\?"))
        focus_is_on(page, "heading")
        announced(page, "Lektion „\u2068Einführung in die Vereinsarbeit\u2069“ abgeschlossen.")
        assert page.locator(".lesson-list .state-done").count() == 1
        tab_to(page, "Zum Wissenstest")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/quiz\?"))
        focus_is_on(page, "heading")
        tab_to(page, "Test beginnen")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/quiz/attempt"))
        focus_is_on(page, "heading")
        # Sent without an answer: refused, the error summary (role=alert) takes the focus, no attempt is used.
        tab_to(page, "Antworten abgeben")
        page.keyboard.press("Enter")
        page.wait_for_selector(".error-summary[role=alert]")
        focus_is_on(page, "error summary")
        assert "Frage 1" in page.locator(".error-summary").inner_text()
        # Options are shuffled per learner and attempt (vamos_core.option_order), so the right one may come
        # second: Tab enters the radio group, Space selects, the arrow keys move within the group.
        tab_to_field(page, "q-vorstand")
        page.keyboard.press("Space")
        for _ in range(2):
            if page.is_checked("#q-vorstand-a"):
                break
            page.keyboard.press("ArrowDown")
        assert page.is_checked("#q-vorstand-a")
        tab_to(page, "Antworten abgeben")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/quiz/result/"))
        focus_is_on(page, "heading")
        announced(page, "Ihre Antworten sind abgegeben und ausgewertet.")
        assert "Bestanden" in page.locator(".verdict").inner_text()
        assert "Sie haben dieses Modul abgeschlossen" in page.content()
        shot(page, "keyboard-result")
    finally:
        context.close()


def test_in_lms_iframe_at_320px_fits_and_resizes_the_frame(browser, tmp_path):  # noqa: F811
    env = _env(tmp_path, default_content_dir(), platform_host="localhost")  # third-party iframe
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(f"{env.platform.issuer}/kurs/link-{MODULE}?user=lernende")
        frame = page.frame_locator("#tool-frame")
        frame.locator("h1").wait_for()  # several round trips: the shared ceiling (browser_support)
        assert frame.locator("h1").inner_text() == module_of(env).title
        # The tool told the platform its height (lti.frameResize) and the platform sized the frame.
        page.wait_for_function("() => parseInt(document.querySelector('#tool-frame').style.height) > 600")
        tool_frame = next(f for f in page.frames if "/module/" in f.url)
        overflow = tool_frame.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        frame.get_by_role("link", name="Modul beginnen").click()
        frame.locator("article.lesson").wait_for()
        tool_frame = next(f for f in page.frames if "/lesson/" in f.url)
        overflow = tool_frame.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "lesson scrolls horizontally at 320px"
        shot(page, "320px-iframe-lesson")
    finally:
        context.close()
        env.platform_server.stop()
        env.tool_server.stop()
        env.db.dispose()


@pytest.fixture
def fixture_module_env(tmp_path):
    """Tool + platform on SQLite with the small fixture module (shared by the certificate and coordinator pages)."""
    env = start_env(make_config(tmp_path, {"database_url": "", "redis_url": ""}, content_dir=str(FIXTURE_CONTENT)))
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()
