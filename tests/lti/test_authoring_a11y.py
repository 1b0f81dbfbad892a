"""Authoring pages in Chromium, launched as a trainer from the demo platform (lti1p3platform over HTTP):
axe-core (wcag2a/2aa/21a/21aa) finds no violation and nothing scrolls sideways, at 1280 and 320 px, on every
editor page — list, module editor with and without problems, lesson and question editors, previews, quiz
preview before and after answering, history, version diff, the conflict page and a refused upload — and a
lesson is authored by keyboard alone."""
from __future__ import annotations

import re

import pytest

from lti_tool.authoring.service import Author
from lti_tool.coordination import actor_hash
from tests.browser_support import browser  # noqa: F401 - shared fixture

from .test_advantage_browser import trainer_launch
from .test_learner_browser import AXE, axe_violations, no_horizontal_scroll, shot
from .test_learner_browser import fixture_module_env as env  # noqa: F401 - shared fixture (SQLite, fixture module)


def _service_and_author(env):  # noqa: F811
    tool = env.tool_app.extensions["vamos"]
    issuer = env.platform.issuer
    return tool.authoring, Author(issuer, "seed", None, actor_hash(tool.config.secret_key, issuer, "seed"))


def _seed(env):  # noqa: F811
    """A published copy of the fixture module with a second version (history and diff), and a new module
    whose draft still has problems."""
    service, author = _service_and_author(env)
    good = service.copy(author, "testmodul")
    service.publish(author, good, service.draft(author.issuer, good).revision, "Erste Fassung")

    def change(doc):
        doc["lessons"][0]["body"] += "\n\nEin neuer Absatz mit **Tipp**."
    service.save(author, good, service.draft(author.issuer, good).revision, change)
    service.publish(author, good, service.draft(author.issuer, good).revision, "Tipp ergänzt")
    broken = service.create(author, "Unfertiges Modul")
    return good, broken


def _check(page, found: dict, name: str, width: int) -> None:
    page.wait_for_load_state()
    no_horizontal_scroll(page)
    found[name] = axe_violations(page)
    shot(page, f"{width}px-authoring-{name.replace(' ', '-')}")


def _seeded_page(browser, env, width: int):  # noqa: F811
    """The seeded drafts and a page for axe (inline scripts allowed: axe is injected)."""
    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    good, broken = _seed(env)
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    return good, broken, context, context.new_page()


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_no_violations_on_authoring_pages(browser, env, width):  # noqa: F811
    good, broken, context, page = _seeded_page(browser, env, width)
    found: dict = {}
    try:
        sid = trainer_launch(page, env)
        base = f"{env.tool_url}/authoring"

        def go(path: str, name: str):
            page.goto(f"{base}{path}{'&' if '?' in path else '?'}ls={sid}")
            assert page.get_by_role("heading", level=1).count() == 1
            _check(page, found, name, width)

        go("/", "index")
        go(f"/{good}/", "module editor")
        go(f"/{broken}/", "module editor with problems")
        assert page.get_by_role("link", name=re.compile("Kurzbeschreibung")).count() >= 1
        go(f"/{good}/lessons/einfuehrung", "lesson editor")
        go(f"/{good}/questions/vorstand", "question editor")
        go(f"/{broken}/questions/" + _first_question(env, broken), "question editor with problems")
        go(f"/{good}/preview", "preview module")
        go(f"/{good}/preview/einfuehrung", "preview lesson")
        go(f"/{good}/preview/quiz", "preview quiz")
        page.get_by_label("Der Vorstand").check()
        page.get_by_role("button", name="Antworten prüfen").click()
        _check(page, found, "preview quiz answered", width)
        assert "richtig" in page.locator(".feedback").first.inner_text()
        go(f"/{good}/history", "history")
        go(f"/{good}/history/2", "version diff")

        # The conflict page: someone saves between loading the editor and submitting it.
        go(f"/{good}/lessons/einfuehrung", "lesson editor again")
        service, author = _service_and_author(env)
        service.save(author, good, service.draft(author.issuer, good).revision,
                     lambda doc: doc["lessons"][0].update(body=doc["lessons"][0]["body"] + "\n\nVon jemand anderem."))
        page.locator("textarea[name=body]").fill("Meine Fassung der Lektion.")
        page.get_by_role("button", name="Speichern und Vorschau zeigen").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Jemand anderes hat gleichzeitig gespeichert"
        _check(page, found, "conflict", width)

        # A refused upload (no alternative text): the error state of the module editor.
        page.goto(f"{base}/{good}/?ls={sid}")
        page.set_input_files("#upload-file", files=[{"name": "bild.png", "mimeType": "image/png", "buffer": _png()}])
        page.get_by_role("button", name="Hochladen").click()
        assert "Alternativtext" in page.get_by_role("alert").first.inner_text()
        _check(page, found, "refused upload", width)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_axe_would_catch_an_unlabelled_field(browser, env):  # noqa: F811
    """The check can fail: an input without a label on an editor page is reported."""
    good, _ = _seed(env)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        sid = trainer_launch(page, env)
        page.goto(f"{env.tool_url}/authoring/{good}/?ls={sid}")
        page.evaluate("() => document.querySelector('main').appendChild(document.createElement('input'))")
        assert any(v["id"] == "label" for v in axe_violations(page))
    finally:
        context.close()


def _tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard only, no clicks)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reachable by Tab")


def test_a_lesson_is_authored_by_keyboard_alone(browser, env):  # noqa: F811
    good, _ = _seed(env)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sid = trainer_launch(page, env)
        page.goto(f"{env.tool_url}/authoring/{good}/?ls={sid}")
        _tab_to(page, "#new-lesson")
        page.keyboard.type("Mitglieder gewinnen")
        page.keyboard.press("Enter")  # submits "Lektion hinzufügen" and opens the new lesson's editor
        page.wait_for_url(re.compile(r"/lessons/mitglieder-gewinnen"))
        assert page.get_by_role("heading", level=1).inner_text() == "Lektion 2 bearbeiten"
        _tab_to(page, "input[name=minutes]")
        page.keyboard.press("Control+A")
        page.keyboard.type("12")
        _tab_to(page, "[data-toolbar] button:first-child")  # the toolbar: "Fall"
        focus_ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert focus_ring != "none"
        page.keyboard.press("Enter")  # inserts a case block; focus moves into the text
        assert page.evaluate("() => document.activeElement.name") == "body"
        page.keyboard.type("Unser Verein sucht neue Mitglieder für die Hausaufgabenhilfe.")
        _tab_to(page, "button[value=save]")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#vorschau"))
        preview = page.locator("#preview-output").inner_text()
        assert "Fall aus der Praxis" in preview and "Hausaufgabenhilfe" in preview
        service, author = _service_and_author(env)
        lesson = service.draft(author.issuer, good).doc["lessons"][-1]
        assert lesson["meta"]["minutes"] == 12 and "::: fall" in lesson["body"]
    finally:
        context.close()


def _first_question(env, module_id: str) -> str:  # noqa: F811
    service, author = _service_and_author(env)
    draft = service.draft(author.issuer, module_id)
    if not draft.doc["quiz"]["questions"]:
        from vamos_core.authoring import document

        def add(doc):
            document.add_question(doc)
        service.save(author, module_id, draft.revision, add)
        draft = service.draft(author.issuer, module_id)
    return draft.doc["quiz"]["questions"][0]["id"]


def _png() -> bytes:
    from tests.authoring.test_core_authoring import _png as png

    return png()


@pytest.mark.parametrize("width", [1280, 320])
def test_authoring_pages_in_arabic_pass_axe_and_reflow(browser, env, width):  # noqa: F811
    """Issue 17: the editor in a right-to-left interface (the module text it edits stays German)."""
    env.platform.locale = "ar"
    good, broken, context, page = _seeded_page(browser, env, width)
    found: dict = {}
    try:
        sid = trainer_launch(page, env)
        base = f"{env.tool_url}/authoring"
        for path, name in (("/", "index"), (f"/{good}/", "module editor"), (f"/{broken}/", "module with problems"),
                           (f"/{good}/lessons/einfuehrung", "lesson editor"), (f"/{good}/questions/vorstand", "question"),
                           (f"/{good}/preview", "preview module"), (f"/{good}/preview/einfuehrung", "preview lesson"),
                           (f"/{good}/preview/quiz", "preview quiz"), (f"/{good}/history", "history"),
                           (f"/{good}/history/2", "version diff")):
            page.goto(f"{base}{path}?ls={sid}")
            assert page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
            _check(page, found, f"ar {name}", width)
    finally:
        context.close()
        env.platform.locale = "de-DE"
    assert {name: v for name, v in found.items() if v} == {}
