"""Authoring in a real browser (Debian Chromium via Playwright), launched from the demo platform
(lti1p3platform over HTTP) — the two browser "must shows" of issue 13, on both storage backends:

* a trainer opens the Deep Linking catalogue, creates a module from scratch in the editor (2 lessons with
  text blocks, a source and a glossary term, 3 questions, 1 uploaded PNG with alt text), sees the problems
  of the new draft next to the fields, uses autosave and the live preview, previews as learner (nothing
  recorded), publishes with a change note, sees the history with a diff, places the module with Deep
  Linking; a learner launches the placed link, completes it and downloads the certificate PDF;
* a learner half-way through version 1 (one lesson done, one viewed, one quiz attempt) continues after
  version 2 (a lesson removed, a question added): the removed lesson drops out of their state, the percent
  is recomputed, the v1 attempt keeps its v1 grade and questions, a new attempt shows the new question.

The page's clock is Playwright's fake clock: autosave (every 10 s) and the live preview (600 ms after
typing) run exactly when the test advances time, never in the middle of a form submit.

With ``VAMOS_SCREENSHOTS=1`` the editor pages are saved as ``docs/images/authoring-*.png`` for
``docs/authoring.md`` (1280 px wide, palette PNG < 200 KB); CI leaves them alone.
"""
from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select

from lti_tool.authoring.service import Author
from lti_tool.models import AuthoredVersion, ModuleProgress, ProgressEvent
from tests.browser_support import browser  # noqa: F401 - shared fixture
from vamos_core.authoring import document
from vamos_core.content import default_content_dir

from .conftest import make_config, start_env

REPO = Path(__file__).resolve().parents[2]
DOC_IMAGES = REPO / "docs" / "images"
TITLE = "Neue Mitglieder gewinnen"
IMAGE_ALT = "Drei Personen stehen an einem Infostand des Vereins und sprechen mit Besucher*innen."
CLOCK_START = datetime(2026, 3, 2, 9, 0)
LAUNCH_TIMEOUT = 45000  # several HTTP round trips; generous for a loaded CI machine


@pytest.fixture
def env(tmp_path, backend):
    """Tool + demo platform on the parametrised backend, with the shipped VAMOs-Standard modules
    (the editor's list shows them as a trainer sees it)."""
    env = start_env(make_config(tmp_path, backend, content_dir=str(default_content_dir())))
    env.screenshots = os.environ.get("VAMOS_SCREENSHOTS") == "1" and backend["database_url"].startswith("sqlite")
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


# ---------------------------------------------------------------- helpers


def doc_shot(env, page, name: str, top: str | None = None, height: int = 900) -> None:
    """A screenshot for docs/authoring.md: 1280 px wide, from the element ``top`` (or the page top) down
    ``height`` px, reduced to a palette PNG so it stays small in the repository."""
    if not env.screenshots:
        return
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    y = 0
    if top:
        box = page.locator(top).first.bounding_box()
        y = max(0, int(box["y"] + page.evaluate("() => window.scrollY")) - 16)
    full = page.evaluate("() => document.documentElement.scrollHeight")
    clip = {"x": 0, "y": y, "width": 1280, "height": min(height, full - y)}
    raw = page.screenshot(full_page=True, clip=clip)
    path = DOC_IMAGES / f"authoring-{name}.png"
    Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    assert path.stat().st_size < 200_000, f"{path.name} is {path.stat().st_size} bytes"


def png_bytes() -> bytes:
    """A small picture (an information stand) made here, so the test needs no file from outside."""
    image = Image.new("RGB", (480, 270), "#e8f1f8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((140, 150, 340, 250), fill="#1d5b8f")
    draw.rectangle((120, 130, 360, 150), fill="#f2a900")
    for x, colour in ((80, "#c0392b"), (400, "#27ae60"), (240, "#8e44ad")):
        draw.ellipse((x - 18, 40, x + 18, 76), fill="#8d5524")
        draw.rectangle((x - 22, 78, x + 22, 140), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image_loaded(page, image) -> None:
    """The image is shown: scrolled to (lesson images load lazily) and decoded at the uploaded size."""
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=image.element_handle())


def trainer_deep_link(page, env) -> None:
    page.goto(f"{env.platform.issuer}/lti/initiate?deep_link=1&user=trainer&window=1")
    page.wait_for_url(re.compile(r"/deep-linking\?ls="), timeout=LAUNCH_TIMEOUT)


def learner_launch(page, env, link_id: str, module_id: str) -> str:
    page.goto(f"{env.platform.issuer}/lti/initiate?link={link_id}&user=lernende&window=1")
    page.wait_for_url(re.compile(rf"/module/{module_id}\?ls="), timeout=LAUNCH_TIMEOUT)
    return page.url


def submit(page, button: str, url: str | re.Pattern | None = None) -> None:
    """Click a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    if url is not None:
        page.wait_for_url(url)


def problems_text(page) -> str:
    return page.locator("section[aria-labelledby=pruefung]").inner_text()


def progress_text(page) -> str:
    return page.locator(".progress-text").inner_text()


def answer(page, correct: dict[str, list[str]]) -> None:
    """Tick the given options of every question shown on this page (ids, so shuffling does not matter)."""
    for question_id, options in correct.items():
        for option in options:
            box = page.locator(f"#q-{question_id}-{option}")
            if box.count():
                box.check()


def take_quiz(page, correct: dict[str, list[str]]) -> None:
    """From the quiz overview: a new attempt, every page answered, submitted; ends on the result page."""
    page.get_by_role("button", name=re.compile("Test beginnen|Neuen Versuch beginnen")).click()
    page.wait_for_url(re.compile(r"/quiz/attempt"))
    for _ in range(10):
        answer(page, correct)
        if page.get_by_role("button", name="Antworten abgeben").count():
            submit(page, "Antworten abgeben", re.compile(r"/quiz/result/"))
            return
        submit(page, "Weiter")
    pytest.fail("the quiz never offered „Antworten abgeben“")


# ---------------------------------------------------------------- 1. create, preview, publish, place, learn


LESSON_1 = """Viele Vereine suchen neue Mitglieder. Neue Menschen bringen Zeit, Ideen und Kontakte mit.

::: fall Der Kulturverein Sonnenblume
Der Verein hat 25 Mitglieder. Die meisten sind seit zehn Jahren dabei. Beim Sommerfest fragen drei junge
Frauen, wie sie mitmachen können. Niemand hat ein Formular dabei.
:::

![{alt}](media/infostand.png)

## Warum Menschen mitmachen

Menschen werden Mitglied, wenn sie sich willkommen fühlen und eine Aufgabe sehen, die zu ihnen passt.
Eine klare Satzung hilft dabei.

::: recht Rechtsgrundlage
Wer Mitglied werden kann, regelt die Satzung (§ 58 Nr. 1 BGB) [Q1].
:::
"""

LESSON_2 = """Ein Infostand ist ein guter erster Kontakt.

::: checkliste Checkliste für den Infostand
- [ ] Aufnahmeformular in einfacher Sprache
- [ ] Flyer in mehreren Sprachen
- [ ] Eine Person, die Fragen beantwortet
:::

::: aufgabe Aufgabe für Ihren Verein
Planen Sie einen Infostand für Ihr nächstes Fest. Wer macht was?
:::
"""

QUESTIONS = [  # (type, prompt, [(text, correct, feedback)], explanation)
    ("single", "Wo steht, wer Mitglied werden kann?",
     [("In der Satzung", True, "Richtig: Die Satzung regelt die Mitgliedschaft."),
      ("Im Protokoll der letzten Sitzung", False, "Das Protokoll hält nur Beschlüsse fest.")],
     "§ 58 Nr. 1 BGB: Die Satzung soll Eintritt und Austritt regeln."),
    ("multiple", "Was gehört an einen Infostand?",
     [("Ein Aufnahmeformular", True, "Ja, so kann man sofort Mitglied werden."),
      ("Flyer in mehreren Sprachen", True, "Ja, so erreichen Sie mehr Menschen."),
      ("Die Kassenbücher des Vereins", False, "Nein, die Kasse ist nicht öffentlich.")],
     "Formular und Flyer helfen neuen Menschen beim ersten Schritt."),
    ("single", "Was hilft neuen Mitgliedern am meisten?",
     [("Eine passende Aufgabe und ein herzlicher Empfang", True, "Richtig."),
      ("Ein hoher Mitgliedsbeitrag", False, "Ein hoher Beitrag schreckt eher ab.")],
     "Menschen bleiben, wenn sie sich willkommen fühlen."),
]


def fill_question(page, qtype: str, prompt: str, options, explanation: str) -> None:
    page.check(f"#type-{qtype}")
    page.locator("textarea[name=prompt]").fill(prompt)
    while page.locator("input[name$='-text'][name^=option-]").count() < len(options):
        submit(page, "Antwort hinzufügen")  # saves what is typed and shows one more option
    for i, (text, correct, feedback) in enumerate(options):
        page.fill(f"#option-{i}-text", text)
        page.set_checked(f"#option-{i}-correct", correct)
        page.fill(f"#option-{i}-feedback", feedback)
    page.locator("textarea[name=explanation]").fill(explanation)


def test_trainer_creates_previews_publishes_and_places_a_module_a_learner_completes_it(browser, env):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Autosave and the live preview run when the test advances the paused clock, never on their own.
    page.clock.install(time=CLOCK_START)
    page.clock.pause_at(CLOCK_START + timedelta(seconds=1))
    try:
        # -- Deep Linking catalogue → "Neues Modul erstellen"
        trainer_deep_link(page, env)
        page.get_by_role("link", name="Neues Modul erstellen").click()
        page.wait_for_url(re.compile(r"/authoring/\?ls="))
        assert page.get_by_role("heading", level=1).inner_text() == "Module bearbeiten"
        assert page.get_by_role("link", name="Zurück zur Auswahl der Lernmodule").is_visible()
        page.fill("#new-title", TITLE)
        submit(page, "Neues Modul erstellen", re.compile(r"/authoring/[a-z0-9-]+/\?ls="))
        module_id = re.search(r"/authoring/([a-z0-9-]+)/\?", page.url).group(1)
        assert module_id.startswith("neue-mitglieder-gewinnen-")
        edit_url = page.url

        # -- a new draft: its problems in plain German, next to the fields, publishing refused
        text = problems_text(page)
        assert "müssen vor dem Veröffentlichen behoben werden" in text
        for expected in ("Modul – Kurzbeschreibung: darf nicht leer sein", "Lernziel 1 – Text: darf nicht leer sein",
                         "die Lektion hat noch keinen Text", "Wissenstest: darf nicht leer sein"):
            assert expected in text, text
        summary = page.locator("#module-summary")
        assert summary.get_attribute("aria-invalid") == "true"
        assert "darf nicht leer sein" in page.locator("#err-module-summary").inner_text()
        doc_shot(env, page, "modul-probleme")
        page.fill("#note", "Erste Fassung")
        submit(page, "Neue Version veröffentlichen")
        assert "kann nicht veröffentlicht werden" in page.get_by_role("alert").first.inner_text()
        with env.db.session() as s:
            assert s.scalar(select(func.count()).select_from(AuthoredVersion)) == 0

        # -- module facts; autosave stores them without a click (the fake clock runs the 10 s timer)
        page.goto(edit_url)
        summary.fill("Wie Ihr Verein neue Mitglieder findet und gut aufnimmt.")
        page.fill("#module-target_group", "Vorstände und aktive Mitglieder von Migrant*innenorganisationen")
        page.fill("#objective-0", "Sie planen einen Infostand, der neue Mitglieder anspricht.")
        page.fill("#module-estimated_minutes", "25")
        page.clock.run_for(10_500)
        page.wait_for_function("() => document.getElementById('autosave-status').textContent.includes('automatisch gespeichert')")
        page.goto(edit_url)  # a fresh page load: the autosaved values are the stored draft
        assert page.locator("#module-summary").input_value().startswith("Wie Ihr Verein")
        assert "Lernziel 1" not in problems_text(page)

        # -- one source and one glossary term
        submit(page, "Quelle hinzufügen")
        page.fill("#source-0-title", "Bürgerliches Gesetzbuch (BGB), § 58, Stand 2026-01-01")
        page.fill("#source-0-url", "https://www.gesetze-im-internet.de/bgb/__58.html")
        submit(page, "Quellen speichern")
        submit(page, "Begriff hinzufügen")
        page.fill("input[name=term-0-term]", "Satzung")
        page.fill("textarea[name=term-0-definition]", "Die Regeln des Vereins: Name, Zweck, Mitgliedschaft, Vorstand.")
        submit(page, "Glossar speichern")

        # -- the image: refused without alt text, then uploaded with it
        page.set_input_files("#upload-file", {"name": "Infostand.png", "mimeType": "image/png", "buffer": png_bytes()})
        submit(page, "Hochladen")
        assert "Alternativtext" in page.get_by_role("alert").first.inner_text()
        page.set_input_files("#upload-file", {"name": "Infostand.png", "mimeType": "image/png", "buffer": png_bytes()})
        page.fill("#upload-text", IMAGE_ALT)
        submit(page, "Hochladen", re.compile(r"datei=media"))
        assert page.get_by_role("link", name="media/infostand.png").is_visible()

        # -- lesson 1: title, objective, Markdown with blocks, image, citation and glossary term; live preview
        page.get_by_role("link", name="Lektion 1", exact=True).click()
        page.wait_for_url(re.compile(r"/lessons/lektion-1\?"))
        page.fill("#lesson-0-title", "Warum neue Mitglieder wichtig sind")
        page.fill("#lesson-0-minutes", "8")
        page.check("#obj-ziel-1")
        body = page.locator("#lesson-0-body")
        body.fill(LESSON_1.format(alt=IMAGE_ALT))
        page.get_by_role("button", name="Info-Kasten").click()  # the toolbar inserts a block at the cursor
        assert "::: info" in body.input_value()
        body.fill(body.input_value().replace("Kurze Information.", "Mitglieder haben Rechte und Pflichten."))
        page.clock.run_for(700)  # the live preview asks the server 600 ms after typing stops
        preview = page.locator("#preview-output")
        preview.locator("figure, img").first.wait_for()
        assert preview.locator(f'img[alt="{IMAGE_ALT}"]').count() == 1
        assert "Der Kulturverein Sonnenblume" in preview.inner_text()
        submit(page, "Speichern und Vorschau zeigen")
        assert "Probleme in dieser Lektion" not in page.content()
        preview = page.locator("#preview-output")
        image_loaded(page, preview.locator(f'img[alt="{IMAGE_ALT}"]'))  # the draft's file, served to its editor
        assert "Bürgerliches Gesetzbuch" in preview.locator(".sources").inner_text()  # [Q1] cited
        assert "Satzung" in preview.locator(".glossary").inner_text()  # glossary term found in the text
        assert re.search(r"\d+ Wörter · Lesezeit etwa \d+ Minute", page.locator("#lesezeit").inner_text())
        doc_shot(env, page, "lektion-vorschau", top="label[for=lesson-0-body]", height=1500)

        # -- lesson 2, added from the module page
        page.goto(edit_url)
        page.fill("#new-lesson", "Ein Infostand beim Sommerfest")
        submit(page, "Lektion hinzufügen", re.compile(r"/lessons/ein-infostand-beim-sommerfest\?"))
        page.fill("#lesson-1-minutes", "7")
        page.check("#obj-ziel-1")
        page.fill("#lesson-1-body", LESSON_2)
        submit(page, "Speichern und Vorschau zeigen")
        assert page.locator("#preview-output .lesson-body").inner_text().count("Aufnahmeformular") == 1

        # -- three questions (single, multiple with three options, single)
        for index, (qtype, prompt, options, explanation) in enumerate(QUESTIONS):
            page.goto(edit_url)
            page.check(f"#new-{qtype}")
            submit(page, "Frage hinzufügen", re.compile(rf"/questions/frage-{index + 1}\?"))
            fill_question(page, qtype, prompt, options, explanation)
            if index == 1:
                page.select_option("#lesson", "ein-infostand-beim-sommerfest")
            submit(page, "Frage speichern")
            assert "Probleme in dieser Frage" not in page.content()
            if index == 1:
                doc_shot(env, page, "frage", height=1900)

        # -- the whole draft is clean
        page.goto(edit_url)
        assert "Keine Probleme gefunden" in problems_text(page)
        assert page.locator(".editor-list").nth(0).locator("li").count() == 2
        assert page.locator(".editor-list").nth(1).locator("li").count() == 3

        # -- preview as learner: lessons and quiz, graded, nothing recorded
        page.get_by_role("link", name="Vorschau als Lernende").click()
        assert "Nichts wird gespeichert" in page.locator("main").inner_text()
        page.get_by_role("link", name="Warum neue Mitglieder wichtig sind").click()
        image_loaded(page, page.locator(f'article img[alt="{IMAGE_ALT}"]'))
        page.get_by_role("link", name=re.compile("Nächste Lektion")).click()
        page.get_by_role("link", name="Zum Wissenstest").click()
        page.check("#q-frage-1-a")
        page.check("#q-frage-2-b")
        page.check("#q-frage-3-b")
        submit(page, "Antworten prüfen")
        feedback = page.locator(".feedback")
        assert [feedback.nth(i).locator("strong").inner_text() for i in range(3)] == [
            "richtig", "teilweise richtig", "nicht richtig"]
        with env.db.session() as s:
            assert s.scalar(select(func.count()).select_from(ProgressEvent)) == 0
            assert s.scalar(select(func.count()).select_from(ModuleProgress)) == 0

        # -- publish version 1 with a change note
        page.goto(edit_url)
        page.fill("#note", "Erste Fassung für das Sommerfest")
        submit(page, "Neue Version veröffentlichen", re.compile(r"veroeffentlicht=1"))
        assert "Version 1 ist veröffentlicht" in page.get_by_role("status").filter(has_text="veröffentlicht").inner_text()

        # -- a change after publishing: the history shows version 1 and the draft's diff; then version 2
        page.fill("#module-summary", "Wie Ihr Verein neue Mitglieder findet, gut aufnimmt und hält.")
        submit(page, "Angaben speichern")
        page.get_by_role("link", name="Versionen und Änderungen").click()
        page.wait_for_url(re.compile(r"/history\?"))
        row = page.get_by_role("row", name=re.compile("Erste Fassung für das Sommerfest"))
        assert "1 (aktuell)" in row.inner_text()
        assert page.locator(".diff-add", has_text="gut aufnimmt und hält").count() == 1
        assert page.locator(".diff-del", has_text="gut aufnimmt.").count() == 1
        doc_shot(env, page, "versionen", height=760)
        page.goto(edit_url)
        page.fill("#note", "Kurzbeschreibung ergänzt")
        submit(page, "Neue Version veröffentlichen", re.compile(r"veroeffentlicht=2"))

        # -- the module list of this platform
        page.get_by_role("link", name="Module bearbeiten", exact=True).first.click()
        page.wait_for_url(re.compile(r"/authoring/\?"))
        own = page.locator("section[aria-labelledby=eigene]").inner_text()
        assert TITLE in own and "veröffentlicht, Version 2 für Lernende" in own
        doc_shot(env, page, "modulliste", height=1000)

        # -- place it with Deep Linking
        page.get_by_role("link", name="Zurück zur Auswahl der Lernmodule").click()
        page.wait_for_url(re.compile(r"/deep-linking\?"))
        page.get_by_label(f"Ganzes Modul „{TITLE}“").check()
        page.get_by_role("button", name="Auswahl einfügen").click()
        page.wait_for_url(f"{env.platform.issuer}/lti/deep_link_return", timeout=LAUNCH_TIMEOUT)
        assert page.get_by_role("heading", level=1).inner_text() == "Eingefügt"
        placed = env.platform.deep_link_results[-1]
        assert [item["custom"]["module"] for item in placed["items"]] == [module_id]
        link_id = placed["links"][0]
    finally:
        context.close()

    # -- a learner launches the placed link, completes it and downloads the certificate
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        module_url = learner_launch(page, env, link_id, module_id)
        assert page.get_by_role("heading", level=1).inner_text() == TITLE
        assert "gut aufnimmt und hält" in page.locator(".summary").inner_text()  # version 2
        page.get_by_role("link", name="Modul beginnen").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Warum neue Mitglieder wichtig sind"
        image_loaded(page, page.locator(f'article img[alt="{IMAGE_ALT}"]'))  # the published module's media
        submit(page, "Lektion abgeschlossen")
        assert page.get_by_role("heading", level=1).inner_text() == "Ein Infostand beim Sommerfest"
        submit(page, "Lektion abgeschlossen")
        page.goto(module_url)
        assert page.locator(".lesson-list .state-done").count() == 2
        page.get_by_role("link", name="Zum Wissenstest").click()
        take_quiz(page, {"frage-1": ["a"], "frage-2": ["a", "b"], "frage-3": ["a"]})
        assert "Bestanden" in page.locator(".verdict").inner_text()
        page.goto(module_url)
        assert "100 % erledigt" in progress_text(page)
        assert "Sie haben dieses Modul abgeschlossen" in page.locator("main").inner_text()
        href = page.get_by_role("link", name="Zertifikat herunterladen (PDF)").get_attribute("href")
        pdf = context.request.get(urljoin(page.url, href))
        assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
        data = pdf.body()
        assert data.startswith(b"%PDF")
        text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
        assert TITLE in text and "Version 2" in text, text  # the version it was earned on
    finally:
        context.close()


# ---------------------------------------------------------------- 2. a learner across versions


def _author(env) -> Author:
    return Author(env.platform.issuer, "trainer", None, "test-trainer-pseudonym")


def _question(prompt: str, right: str, wrong: str) -> dict:
    return {"type": "single", "prompt": prompt, "explanation": "Siehe Lektion.", "options": [
        {"text": right, "correct": True, "feedback": "Richtig."},
        {"text": wrong, "correct": False, "feedback": "Nicht richtig."}]}


def _fill(doc: dict, questions: list[dict]) -> None:
    """Turn the skeleton into a publishable module: 3 lessons, the given questions, one source, one term."""
    module = doc["module"]
    module.update(summary="Ein Modul mit zwei Versionen.", target_group="Vorstände von Vereinen",
                  estimated_minutes=20)
    module["objectives"][0]["text"] = "Sie kennen die Schritte."
    module["quiz"]["display"] = "all_on_one_page"
    document.add_source(doc, "Beispielquelle, Stand 2026-01-01")
    document.add_term(doc, "Verein")["definition"] = "Eine Gruppe mit gemeinsamem Zweck."
    doc["lessons"][0]["meta"]["title"] = "Einstieg"
    for title in ("Planung", "Abschluss"):
        document.add_lesson(doc, title)
    for lesson in doc["lessons"]:
        lesson["body"] = f"Text der Lektion {lesson['meta']['title']} über den Verein [Q1]."
    for spec in questions:
        question = document.add_question(doc)
        question["prompt"], question["explanation"] = spec["prompt"], spec["explanation"]
        for option, given in zip(question["options"], spec["options"]):
            option.update(given)


def test_learner_half_way_through_version_1_continues_on_version_2(browser, env):  # noqa: F811
    service = env.tool_app.extensions["vamos"].authoring
    author = _author(env)
    module_id = service.create(author, "Zwei Versionen")
    draft = service.draft(author.issuer, module_id)
    saved = service.save(author, module_id, draft.revision, lambda doc: _fill(doc, [
        _question("Frage eins?", "Ja", "Nein"), _question("Frage zwei?", "Richtig", "Falsch")]))
    assert saved.result.ok, [str(p) for p in saved.result.problems]
    assert service.publish(author, module_id, saved.revision, "Version 1") == 1
    v1 = service.draft(author.issuer, module_id).doc
    lesson_ids = [lesson["meta"]["id"] for lesson in v1["lessons"]]
    assert lesson_ids == ["lektion-1", "planung", "abschluss"]
    env.platform.add_link("link-versionen", "Zwei Versionen", module_id)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # -- version 1: lesson 1 done, lesson 2 opened, one attempt with 1 of 2 right (50 %, not passed)
        module_url = learner_launch(page, env, "link-versionen", module_id)
        page.get_by_role("link", name="Modul beginnen").click()
        submit(page, "Lektion abgeschlossen")
        assert page.get_by_role("heading", level=1).inner_text() == "Planung"  # viewed, not done
        page.goto(module_url)
        assert "25 % erledigt" in progress_text(page)  # 1 of 4 steps (3 lessons + quiz)
        page.get_by_role("link", name="Zum Wissenstest").click()
        take_quiz(page, {"frage-1": ["a"], "frage-2": ["b"]})
        assert "Nicht bestanden" in page.locator(".verdict").inner_text()
        assert "das sind 50 %" in page.locator("main").inner_text()

        # -- version 2: lesson "Planung" removed, a third question added
        draft = service.draft(author.issuer, module_id)

        def change(doc: dict) -> None:
            doc["lessons"] = [lesson for lesson in doc["lessons"] if lesson["meta"]["id"] != "planung"]
            new = document.add_question(doc)
            new["prompt"], new["explanation"] = "Die neue Frage in Version 2?", "Neu."
            new["options"][0].update(text="Ja, neu", correct=True, feedback="Richtig.")
            new["options"][1].update(text="Nein", correct=False, feedback="Nicht richtig.")

        saved = service.save(author, module_id, draft.revision, change)
        assert saved.result.ok, [str(p) for p in saved.result.problems]
        assert service.publish(author, module_id, saved.revision, "Planung gestrichen, neue Frage") == 2

        # -- the learner comes back (a new launch, as the next day)
        learner_launch(page, env, "link-versionen", module_id)
        lessons = page.locator(".lesson-list li")
        assert lessons.count() == 2 and "Planung" not in page.locator(".lesson-list").inner_text()
        assert "erledigt" in lessons.nth(0).inner_text() and "noch nicht begonnen" in lessons.nth(1).inner_text()
        assert "33 % erledigt" in progress_text(page)  # 1 of 3 steps (2 lessons + quiz), recomputed
        assert "Noch nicht bestanden: 50 %" in page.locator("main").inner_text()  # the v1 attempt as graded on v1
        with env.db.session() as s:
            row = s.scalars(select(ModuleProgress).where(ModuleProgress.module_id == module_id)).one()
            assert json.loads(row.lessons_viewed) == ["lektion-1"]  # "planung" dropped out of the state
            assert json.loads(row.lessons_done) == ["lektion-1"]
            assert (row.content_version, row.percent, row.quiz_score, row.quiz_attempts) == ("2", 33, 50.0, 1)
        page.get_by_role("link", name="Weiter, wo Sie aufgehört haben").click()  # not the removed lesson
        assert page.get_by_role("heading", level=1).inner_text() == "Abschluss"  # the next lesson not done

        # -- the v1 attempt: its two questions and its 50 %, not re-graded against version 2
        page.goto(module_url)
        page.get_by_role("link", name="Zum Wissenstest").click()
        assert "3 Fragen" in page.locator(".facts").inner_text()
        page.get_by_role("link", name="Auswertung von Versuch 1").click()
        result = page.locator("main").inner_text()
        assert "1 von 2 Punkten" in result and "das sind 50 %" in result
        assert "Die neue Frage in Version 2?" not in result

        # -- a new attempt shows version 2, with the new question; passing it counts
        page.go_back()
        take_quiz(page, {"frage-1": ["a"], "frage-2": ["a"], "frage-3": ["a"]})
        result = page.locator("main").inner_text()
        assert "Die neue Frage in Version 2?" in result and "3 von 3 Punkten" in result
        page.goto(module_url)
        assert "66 % erledigt" in progress_text(page)  # 2 of 3 steps: lesson 1 and the passed quiz
        page.get_by_role("link", name="Abschluss", exact=True).click()
        submit(page, "Lektion abgeschlossen")
        page.goto(module_url)
        assert "100 % erledigt" in progress_text(page)
        assert "Sie haben dieses Modul abgeschlossen" in page.locator("main").inner_text()
    finally:
        context.close()


# ---------------------------------------------------------------- 3. two trainers, one draft


def test_two_trainers_edit_one_lesson_the_second_save_gets_the_conflict_page(browser, env):  # noqa: F811
    service = env.tool_app.extensions["vamos"].authoring
    author = _author(env)
    module_id = service.create(author, "Gemeinsam schreiben")
    draft = service.draft(author.issuer, module_id)
    service.save(author, module_id, draft.revision, lambda doc: _fill(doc, [_question("Frage?", "Ja", "Nein")]))

    def body() -> str:
        return service.draft(author.issuer, module_id).doc["lessons"][0]["body"]

    pages, contexts = [], []
    try:
        for _ in range(2):  # Aylin and Ben: two browsers, each with its own launch
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.clock.install(time=CLOCK_START)
            page.clock.pause_at(CLOCK_START + timedelta(seconds=1))
            trainer_deep_link(page, env)
            sid = re.search(r"[?&]ls=([^&#]+)", page.url).group(1)
            page.goto(f"{env.tool_url}/authoring/{module_id}/lessons/lektion-1?ls={sid}")
            contexts.append(context)
            pages.append(page)
        aylin, ben = pages

        aylin.fill("#lesson-0-body", "Fassung von Aylin: Der Vorstand lädt ein. [Q1]")
        submit(aylin, "Speichern und Vorschau zeigen")
        assert body() == "Fassung von Aylin: Der Vorstand lädt ein. [Q1]"

        # Ben still has the page from before Aylin's save: his save is refused, nothing is overwritten.
        ben.fill("#lesson-0-body", "Fassung von Ben: Die Mitgliederversammlung lädt ein. [Q1]")
        with ben.expect_navigation() as navigation:
            ben.get_by_role("button", name="Speichern und Vorschau zeigen").click()
        assert navigation.value.status == 409
        assert ben.get_by_role("heading", level=1).inner_text() == "Jemand anderes hat gleichzeitig gespeichert"
        assert "Ihre Änderungen wurden noch nicht gespeichert" in ben.get_by_role("alert").inner_text()
        assert ben.locator(".diff-del", has_text="Fassung von Aylin").count() == 1
        assert ben.locator(".diff-add", has_text="Fassung von Ben").count() == 1
        ben.get_by_text("Meine Eingaben zum Kopieren").click()
        assert "Fassung von Ben" in ben.locator("details").inner_text()
        assert body().startswith("Fassung von Aylin")
        doc_shot(env, ben, "konflikt", height=900)

        # Ben decides for his version.
        submit(ben, "Meine Fassung speichern (die andere überschreiben)", re.compile(r"/lessons/lektion-1\?"))
        assert ben.locator("#lesson-0-body").input_value().startswith("Fassung von Ben")
        assert body().startswith("Fassung von Ben")

        # Aylin keeps typing; her autosave is refused with a message, her text stays in her browser.
        aylin.fill("#lesson-0-body", "Fassung von Aylin, ergänzt. [Q1]")
        aylin.clock.run_for(10_500)
        aylin.wait_for_function(
            "() => document.getElementById('autosave-status').textContent.includes('inzwischen gespeichert')")
        assert aylin.locator("#lesson-0-body").input_value() == "Fassung von Aylin, ergänzt. [Q1]"
        assert body().startswith("Fassung von Ben")
    finally:
        for context in contexts:
            context.close()
