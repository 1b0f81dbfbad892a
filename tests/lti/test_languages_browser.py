"""The learner journey in all seven interface languages, in a real browser (issue 17).

For each language the demo platform launches with that ``locale`` claim; the learner reads the lesson, takes the
quiz and downloads the certificate. On every page:

* ``<html lang dir>`` is the interface language (``rtl`` for Arabic and Farsi) and the German content carries
  ``lang="de"``;
* no interface text of another language is on the page, checked against the catalogs: every phrase of the other
  six catalogs (that this language's catalog does not share) is absent from the text outside ``lang="de"``
  parts, and for the non-Latin scripts no Latin word appears there that this language's catalog does not use
  itself (names, VAMOs, PDF);
* Arabic and Farsi pages are kept as screenshots in ``test-artifacts/languages/`` (module, lesson, quiz).

Also: the language switch overrides the launch's locale and is remembered for the next launch; the reading
settings are kept per learner; the glossary pop-up shows the term in the learner's language.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.browser_support import browser  # noqa: F401 - shared fixture
from vamos_core.languages import INTERFACE_LANGUAGES, text_direction

from .test_learner_browser import fixture_module_env as env  # noqa: F401 - SQLite, the fixture module

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "languages"
CATALOGS = REPO / "lti_tool" / "translations"
LOCALE_CLAIMS = {"de": "de-DE", "en": "en-GB", "ar": "ar", "fa": "fa-IR", "tr": "tr-TR", "ru": "ru-RU", "uk": "uk-UA"}
NON_LATIN = {"ar", "fa", "ru", "uk"}
# Names from the demo platform's users and the fixture module: people's names are no interface text.
NAMES = {"Lea", "Lernende", "Tarek", "Trainer", "Kim", "Koordination"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|%%|\{\w*\}|<[^>]+>")

TEXT_OUTSIDE_OTHER_LANGUAGES = """(lang) => {
  const base = (l) => (l || "").toLowerCase().split(/[-_]/)[0];
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, noscript, code")) continue;  // codes (verification, ids) are no language
    const marked = el.closest("[lang]");
    if (base(marked && marked.getAttribute("lang")) === base(lang)) out.push(node.textContent);
  }
  for (const el of document.body.querySelectorAll("[aria-label], [alt], [placeholder], [title]")) {
    const marked = el.closest("[lang]");
    if (base(marked && marked.getAttribute("lang")) !== base(lang)) continue;
    for (const name of ["aria-label", "alt", "placeholder", "title"]) {
      if (el.hasAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out.join("\\n");
}"""


@lru_cache(maxsize=None)
def catalog_strings(language: str) -> tuple[str, ...]:
    """Every translation in a catalog (German: the msgids, which are the German text)."""
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        out.extend(ids if language == "de" else strings)
    return tuple(s for s in out if s)


@lru_cache(maxsize=None)
def own_text(language: str) -> str:
    return "\n".join(catalog_strings(language))


@lru_cache(maxsize=None)
def foreign_phrases(language: str) -> tuple[tuple[str, str], ...]:
    """(language, phrase) of the other catalogs: literal pieces of 12+ characters this catalog does not share."""
    mine = own_text(language)
    found = set()
    for other in INTERFACE_LANGUAGES:
        if other == language:
            continue
        for text in catalog_strings(other):
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;!?()„“\"'–-…·\n")
                if len(piece) >= 12 and piece not in mine:
                    found.add((other, piece))
    return tuple(sorted(found))


@lru_cache(maxsize=None)
def own_latin_words(language: str) -> frozenset[str]:
    return frozenset(re.findall(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß-]+", own_text(language)))


def check_language(page, language: str, where: str) -> None:
    assert page.evaluate("() => document.documentElement.lang") == language, where
    assert page.evaluate("() => document.documentElement.dir") == text_direction(language), where
    text = page.evaluate(TEXT_OUTSIDE_OTHER_LANGUAGES, language)
    assert text.strip(), f"{where}: no interface text in {language}"
    foreign = [(other, phrase) for other, phrase in foreign_phrases(language) if phrase in text]
    assert not foreign, f"{where} ({language}): text of another language: {foreign[:5]}"
    if language in NON_LATIN:
        words = set(re.findall(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß-]{3,}", text))
        stray = sorted(w for w in words - own_latin_words(language) - NAMES)
        assert not stray, f"{where} ({language}): Latin words outside the German content: {stray}"
    if language != "de":
        assert page.locator("main h1[lang='de']").count() + page.locator("main [lang='de']").count() > 0, where


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def launch(page, env, user: str = "lernende", module: str = "testmodul") -> None:
    page.goto(f"{env.platform.issuer}/lti/initiate?link=link-{module}&user={user}&window=1")
    page.wait_for_url(re.compile(rf"/module/{module}\?ls="))


def wait_for_focus_on_heading(page) -> None:
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'")


@pytest.mark.parametrize("language", INTERFACE_LANGUAGES)
def test_learner_journey_in_each_interface_language(browser, env, language):  # noqa: F811
    env.platform.locale = LOCALE_CLAIMS[language]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        launch(page, env)
        check_language(page, language, "module page")
        if language in ("ar", "fa"):
            shot(page, f"{language}-module")

        page.locator("main a.button-primary").first.click()
        page.wait_for_url(re.compile(r"/lesson/einfuehrung"))
        wait_for_focus_on_heading(page)
        check_language(page, language, "lesson page")
        assert page.locator(".plain-summary p[lang='de']" if language != "de" else ".plain-summary p").inner_text()
        if language != "de":
            translation = page.locator("#begriff-satzung .term-translation")
            assert translation.get_attribute("lang") == language
            assert translation.get_attribute("dir") == text_direction(language)
            page.locator("a.glossary-term").first.click()  # the pop-up shows the same translation
            assert page.locator(".glossary-popup .term-translation").inner_text() == translation.inner_text()
        if language in ("ar", "fa"):
            shot(page, f"{language}-lesson")

        page.locator(".lesson-done button[type=submit]").click()
        page.wait_for_url(re.compile(r"/module/testmodul\?"))
        page.wait_for_function("() => document.getElementById('live-status').textContent.includes('Einführung')")
        check_language(page, language, "module page after the lesson")

        page.locator("a[href*='/module/testmodul/quiz']").first.click()
        page.wait_for_url(re.compile(r"/quiz\?"))
        check_language(page, language, "quiz page")
        page.locator("form[action*='/quiz/start'] button").click()
        page.wait_for_url(re.compile(r"/quiz/attempt"))
        check_language(page, language, "quiz attempt")
        page.check("#q-vorstand-a")
        if language in ("ar", "fa"):
            shot(page, f"{language}-quiz")
        page.locator("button[name=action][value=submit]").click()
        page.wait_for_url(re.compile(r"/quiz/result/"))
        wait_for_focus_on_heading(page)
        check_language(page, language, "quiz result")

        page.goto(page.url.split("/quiz/result/")[0] + "?" + page.url.split("?", 1)[1])
        check_language(page, language, "module page with the certificate")
        pdf_link = page.locator("a[href*='/certificate']").first
        response = page.request.get(pdf_link.evaluate("a => a.href"))
        assert response.status == 200 and response.body()[:5] == b"%PDF-"
    finally:
        context.close()


def test_language_switch_overrides_the_launch_and_is_remembered(browser, env):  # noqa: F811
    env.platform.locale = "en-US"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        launch(page, env)
        assert page.evaluate("() => document.documentElement.lang") == "en"
        page.select_option("#language-select", "fa")
        page.locator(".language-switch button").click()
        page.wait_for_function("() => document.documentElement.lang === 'fa'")
        assert page.evaluate("() => document.documentElement.dir") == "rtl"
        assert re.search(r"/module/testmodul\?ls=", page.url)
        check_language(page, "fa", "module page after switching")
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # a new launch, another day
    page = context.new_page()
    try:
        launch(page, env)
        assert page.evaluate("() => document.documentElement.lang") == "fa", "the learner's choice is remembered"
        page.select_option("#language-select", "de")
        page.locator(".language-switch button").click()
        page.wait_for_function("() => document.documentElement.lang === 'de'")
    finally:
        context.close()


def test_reading_settings_are_kept_for_the_learner(browser, env):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        launch(page, env)
        page.locator("main a.button-primary").first.click()
        page.wait_for_url(re.compile(r"/lesson/einfuehrung"))
        before = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.lesson-body p')).fontSize)")
        page.locator(".reading-settings summary").click()
        page.check("#size-larger")
        page.check("#spacing-wide")
        page.check("#font-readable")
        page.locator(".reading-settings button.button-primary").click()
        page.wait_for_function("() => document.documentElement.classList.contains('read-size-larger')")
        after = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.lesson-body p')).fontSize)")
        assert after >= before * 1.3
        family = page.evaluate("() => getComputedStyle(document.body).fontFamily")
        assert "Atkinson Hyperlegible" in family
        # The font comes from our own static files (no CDN) and really loads.
        assert page.evaluate("async () => { await document.fonts.ready; return document.fonts.check('16px \"Atkinson Hyperlegible\"'); }")
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        launch(page, env)
        classes = page.evaluate("() => document.documentElement.className")
        assert {"read-size-larger", "read-spacing-wide", "read-font-readable"} <= set(classes.split())
    finally:
        context.close()
