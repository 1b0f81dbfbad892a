"""Reading aids and interface languages in the LTI tool (issue 17), over the test client, both backends.

The browser tests (``test_languages_browser.py``, ``test_a11y_everywhere_browser.py``) show the pages; these pin
the rules: what the lesson page carries, search and print view with the launch's access rules, the language switch
and reading settings as Post/Redirect/Get with CSRF and a same-site ``next``, and the language order
(choice → launch claim → Accept-Language).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from .test_learner import ALL_ON_ONE, ONE_PER_PAGE, Visitor, app  # noqa: F401 - the app fixture

FINANZIERUNG = "finanzierung"


def test_lesson_page_has_the_plain_summary_tools_and_translated_terms(app):  # noqa: F811
    visitor = Visitor(app, FINANZIERUNG, locale="ar")
    lesson = visitor.module.lessons[0]
    page = visitor.get(f"{visitor.base()}/lesson/{lesson.id}")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl"' in page.text
    assert 'id="plain-summary-title">' in page.text and lesson.plain_summary[:40] in page.text
    summary = re.search(r'<section class="plain-summary".*?</section>', page.text, re.S).group(0)
    assert 'lang="de" dir="ltr"' in summary  # the German summary inside the Arabic page
    term = next(t for t in visitor.module.glossary if f'id="begriff-{t.id}"' in page.text)
    assert f'<span class="term-translation" lang="ar" dir="rtl">{term.translation("ar")}</span>' in page.text
    assert f"/module/{FINANZIERUNG}/search?ls=" in page.text
    assert f"/module/{FINANZIERUNG}/lesson/{lesson.id}/print?ls=" in page.text
    assert 'class="reading-settings"' in page.text


def test_search_and_print_view_follow_the_launch_rules(app):  # noqa: F811
    visitor = Visitor(app, FINANZIERUNG)
    page = visitor.get(f"{visitor.base()}/search", q="zuwendungsbestaetigung")
    assert page.status_code == 200
    assert "<mark>Zuwendungsbestätigung</mark>" in page.text
    assert "Suche nach „zuwendungsbestaetigung“" in page.text  # a title of its own
    short = visitor.get(f"{visitor.base()}/search", q="x")
    assert short.status_code == 200 and 'role="alert"' in short.text
    hostile = visitor.get(f"{visitor.base()}/search", q='<script>alert(1)</script>')
    assert "<script>alert(1)" not in hostile.text
    lesson = visitor.module.lessons[1]
    printed = visitor.get(f"{visitor.base()}/lesson/{lesson.id}/print")
    assert printed.status_code == 200 and "data-print" in printed.text and visitor.module.disclaimer[:30] in printed.text
    # A learner launched into another module gets neither; without a session: 401.
    other = Visitor(app, ALL_ON_ONE)
    assert other.get(f"/module/{FINANZIERUNG}/search", q="Verein").status_code == 404
    assert other.get(f"/module/{FINANZIERUNG}/lesson/{lesson.id}/print").status_code == 404
    assert app.test_client().get(f"/module/{FINANZIERUNG}/search?q=Verein").status_code == 401


def test_language_switch_is_post_redirect_get_with_csrf_and_a_local_target(app):  # noqa: F811
    visitor = Visitor(app, ONE_PER_PAGE, locale="de-DE")
    target = f"{visitor.base()}?ls={visitor.sid}"
    r = visitor.post("/preferences/language", {"language": "uk", "return_to": target})
    assert r.status_code == 303 and r.location.endswith(target)
    page = visitor.get(visitor.base())
    assert '<html lang="uk" dir="ltr"' in page.text
    assert visitor.post("/preferences/language", {"language": "ar", "return_to": "/"}, csrf="wrong").status_code == 400
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = visitor.post("/preferences/language", {"language": "ar", "return_to": hostile})
        assert r.status_code == 303 and urlsplit(r.location).path == f"/module/{ONE_PER_PAGE}"  # not away
    r = visitor.post("/preferences/language", {"language": "xx", "return_to": target})
    assert r.status_code == 303
    assert '<html lang="ar" dir="rtl"' in visitor.get(visitor.base()).text  # "xx" changed nothing


def test_reading_settings_accept_only_known_values(app):  # noqa: F811
    visitor = Visitor(app, ONE_PER_PAGE)
    lesson = visitor.module.lessons[0]
    target = f"{visitor.base()}/lesson/{lesson.id}?ls={visitor.sid}"
    r = visitor.post("/preferences/reading", {"size": "larger", "spacing": "wide", "font": "readable", "return_to": target})
    assert r.status_code == 303
    page = visitor.get(f"{visitor.base()}/lesson/{lesson.id}")
    assert 'class="read-size-larger read-spacing-wide read-font-readable"' in page.text
    visitor.post("/preferences/reading", {"size": "9000px", "spacing": "wide", "font": "<b>", "return_to": target})
    assert 'class="read-spacing-wide"' in visitor.get(f"{visitor.base()}/lesson/{lesson.id}").text
    visitor.post("/preferences/reading", {"action": "reset", "return_to": target})
    assert "read-" not in re.search(r"<html[^>]*>", visitor.get(f"{visitor.base()}/lesson/{lesson.id}").text).group(0)


def test_visitors_without_a_launch_get_the_browser_language_or_their_choice(app):  # noqa: F811
    client = app.test_client()
    page = client.get("/verify", headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"})
    assert '<html lang="fa" dir="rtl"' in page.text
    r = client.post("/preferences/language", data={"language": "tr", "return_to": "/verify"})
    assert r.status_code == 303 and "vamos_lang=tr" in r.headers["Set-Cookie"]
    assert '<html lang="tr" dir="ltr"' in client.get("/verify", headers={"Accept-Language": "fa"}).text


def test_numbers_in_sentences_use_the_locale_digits(app):  # noqa: F811
    visitor = Visitor(app, ONE_PER_PAGE, locale="fa-IR")
    page = visitor.get(f"{visitor.base()}/lesson/{visitor.module.lessons[0].id}")
    meta = re.search(r'<p class="meta">(.*?)</p>', page.text, re.S).group(1)
    assert "۱" in meta and not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", meta))
