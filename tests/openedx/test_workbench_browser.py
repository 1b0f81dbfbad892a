"""In the running XBlock SDK workbench (as `make workbench` starts it), in a real browser: a learner works through
the module and passes the quiz; the state persists per `?student=`; a course author edits a lesson and a question
in `studio_view` and learners see the change; an invalid edit is refused with the field named."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_support import skip_or_fail
from tests.core.conftest import ModuleFolder
from tests.core.test_lesson_media import write_media_lesson

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WHOLE_MODULE = "vamos_module.0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def workbench(tmp_path_factory):
    state = tmp_path_factory.mktemp("workbench")
    # the test module with its second lesson carrying a video and a check (issue 18)
    media = write_media_lesson(ModuleFolder(tmp_path_factory.mktemp("workbench-content")))
    env = dict(os.environ, VAMOS_CONTENT_DIR=str(media.root.parent), VAMOS_WORKBENCH_DIR=str(state),
               VAMOS_WORKBENCH_LANGUAGE="de", DJANGO_SETTINGS_MODULE="vamos_xblocks.workbench_settings",
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("VAMOS_WORKBENCH_MODULE", None)
    try:
        import workbench  # noqa: F401
    except ImportError:
        skip_or_fail("xblock-sdk (the workbench) is not installed")
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], cwd=state, env=env, check=True,
                   timeout=120)
    port = _free_port()
    log = open(state / "server.out", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                # The first request loads the scenarios (every field one SQL write): wait for it instead of
                # sending a second request that would start loading them again in another thread.
                with urllib.request.urlopen(base + "/", timeout=120) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("workbench did not start:\n" + (state / "server.out").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def page(browser):  # noqa: F811 - the shared fixture from tests.browser_support
    context = browser.new_context(locale="de-DE")
    page = context.new_page()  # waits up to the shared ceiling (tests.browser_support.DEFAULT_TIMEOUT_MS)
    yield page
    context.close()


def test_index_lists_the_vamos_scenarios(workbench, page):
    from playwright.sync_api import expect

    page.goto(workbench + "/")
    links = page.locator("a[href^='/scenario/vamos_']")
    expect(links).to_have_count(3)  # a condition, waited for: the index renders slowly on a loaded machine
    assert page.get_by_text("VAMOs whole module: Testmodul").count() == 1


def test_learner_completes_lesson_and_passes_quiz(workbench, page):
    url = f"{workbench}/scenario/{WHOLE_MODULE}/?student=alice"
    page.goto(url)
    progress = page.locator(".vamos-progress-area")
    assert "0 %" in progress.locator(".vamos-percent").inner_text()
    module = page.locator(".vamos-module")
    module.get_by_text("Teil 1 von 3").wait_for()  # one part at a time

    lessons = page.locator(".vamos-lesson")
    assert lessons.count() == 2 and lessons.nth(1).is_hidden()
    first = lessons.nth(0)
    first.get_by_role("button", name="Als erledigt markieren").click()
    first.get_by_text("Sie haben diese Lektion als erledigt markiert.").wait_for()
    progress.locator(".vamos-percent", has_text="33 %").wait_for()  # the overview refreshed from the server (1 of 3 steps)
    module.get_by_role("button", name="Nächster Teil").click()
    module.get_by_text("Teil 2 von 3").wait_for()
    # the second lesson's video (captions on by default) and its check, answered by the server through the script
    second = lessons.nth(1)
    assert second.locator("video[controls] track[kind='captions'][default]").count() == 1
    second.get_by_text("Text zum Video (Transkript)").click()
    second.get_by_text("Ein Projekt hat ein Ziel, einen Anfang").first.wait_for()
    second.get_by_label("Keinen festen Zeitraum").check()
    second.get_by_role("button", name="Antwort prüfen").click()
    second.get_by_text("Doch, Projekte sind befristet.").wait_for()
    second.get_by_label("Ein Ziel und ein Ende").check()
    second.get_by_role("button", name="Antwort prüfen").click()
    second.get_by_text("Richtig!").wait_for()
    progress.locator(".vamos-percent", has_text="33 %").wait_for()  # the check counts for nothing
    lessons.nth(1).get_by_role("button", name="Als erledigt markieren").click()
    lessons.nth(1).get_by_text("Sie haben diese Lektion als erledigt markiert.").wait_for()
    module.locator(".vamos-contents").get_by_role("link", name="Abschlusstest").click()  # the table of contents

    quiz = page.locator(".vamos-quiz")
    quiz.get_by_text("Frage 1 von 2").wait_for()
    quiz.get_by_label("Das hier").check()
    quiz.get_by_role("button", name="Nächste Frage").click()
    quiz.get_by_label("A", exact=True).check()
    quiz.get_by_label("B", exact=True).check()
    quiz.get_by_role("button", name="Antworten absenden").click()
    result = quiz.locator(".vamos-result")
    result.get_by_text("Bestanden. Gut gemacht!").wait_for()
    assert "100 %" in result.inner_text() and "Richtig." in result.inner_text()
    progress.get_by_text("Sie haben dieses Modul abgeschlossen.").wait_for()
    assert "100 %" in progress.locator(".vamos-percent").inner_text()
    download = progress.get_by_role("link", name="Zertifikat herunterladen (PDF)")
    with page.expect_download() as info:
        download.click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and info.value.suggested_filename == "zertifikat-testmodul.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workbench-module-passed.png"), full_page=True)

    # the state is on the server: a reload shows the same
    page.goto(url)
    assert "100 %" in page.locator(".vamos-progress-area .vamos-percent").inner_text()
    assert page.locator(".vamos-mark-done[disabled]").count() == 2
    assert "Bestanden. Gut gemacht!" in page.locator(".vamos-quiz .vamos-result").inner_text()

    # another learner starts fresh
    page.goto(f"{workbench}/scenario/{WHOLE_MODULE}/?student=bob")
    assert "0 %" in page.locator(".vamos-progress-area .vamos-percent").inner_text()
    assert page.locator(".vamos-mark-done:not([disabled])").count() == 2
    assert page.locator(".vamos-quiz .vamos-result").count() == 0


def test_wrong_answers_do_not_pass(workbench, page):
    page.goto(f"{workbench}/scenario/vamos_quiz.0/?student=carla")
    quiz = page.locator(".vamos-quiz")
    quiz.get_by_role("button", name="Nächste Frage").click()
    quiz.get_by_text("Frage 2 von 2").wait_for()
    quiz.get_by_label("C", exact=True).check()
    quiz.get_by_role("button", name="Antworten absenden").click()
    quiz.get_by_text("Bitte beantworten Sie jede Frage.").wait_for()  # question 1 is still open
    quiz.get_by_text("Frage 1 von 2").wait_for()
    quiz.get_by_label("Das nicht").check()
    quiz.get_by_role("button", name="Nächste Frage").click()
    quiz.get_by_role("button", name="Antworten absenden").click()
    result = quiz.locator(".vamos-result")
    result.get_by_text("Noch nicht bestanden.").wait_for()
    assert "0 %" in result.inner_text() and "Falsch." in result.inner_text() and "Nein." in result.inner_text()
    result.get_by_role("button", name="Noch einmal versuchen").click()
    quiz.get_by_text("Frage 1 von 2").wait_for()


# The editing tests come last: content is shared by every learner of a scenario (as in a course).
def assert_saved(editor) -> None:
    status = editor.locator(".vamos-status")
    expect(status).not_to_have_text("")
    errors = [text for text in editor.locator(".vamos-field-error").all_inner_texts() if text.strip()]
    assert status.inner_text() == "Gespeichert.", errors


def test_author_edits_lesson_in_studio_view_and_learners_see_it(workbench, page):
    page.goto(f"{workbench}/scenario/vamos_lesson.0/studio_view/?student=autorin")
    editor = page.locator(".vamos-studio")
    markdown = editor.get_by_label("Lektionstext (Markdown)")
    text = markdown.input_value()
    assert "Ein Verein plant ein Projekt." in text

    # invalid: raw HTML is refused next to the field, nothing is saved
    markdown.fill(text + "\n<script>alert(1)</script>\n")
    editor.get_by_role("button", name="Speichern").click()
    error = editor.locator(".vamos-field[data-field='markdown'] .vamos-field-error")
    error.get_by_text("<script>", exact=False).wait_for()
    assert editor.locator(".vamos-field[data-field='markdown']").get_attribute("class").count("vamos-invalid") == 1
    assert editor.get_by_label("Lektionstext (Markdown)").get_attribute("aria-invalid") == "true"
    editor.locator(".vamos-status", has_text="Bitte korrigieren Sie die markierten Felder.").wait_for()

    # preview by the core, then save
    markdown.fill(text.replace("Ein Verein plant ein Projekt.", "Ein Verein plant ein Sommerfest."))
    editor.get_by_role("button", name="Vorschau").click()
    editor.locator(".vamos-preview", has_text="Ein Verein plant ein Sommerfest.").wait_for()
    editor.get_by_label("Titel", exact=True).fill("Erste Lektion (neu)")
    editor.get_by_role("button", name="Speichern").click()
    assert_saved(editor)
    assert error.inner_text() == ""

    page.goto(f"{workbench}/scenario/vamos_lesson.0/?student=dora")
    lesson = page.locator(".vamos-lesson")
    lesson.get_by_text("Ein Verein plant ein Sommerfest.").wait_for()
    assert "Erste Lektion (neu)" in lesson.locator(".vamos-title").inner_text()
    assert "Ein Verein plant ein Projekt." not in lesson.inner_text()


def test_author_edits_a_question_in_studio_view_and_learners_see_it(workbench, page):
    page.goto(f"{workbench}/scenario/vamos_quiz.0/studio_view/?student=autorin")
    editor = page.locator(".vamos-studio")
    first = editor.locator(".vamos-q-item").nth(0)
    assert first.get_by_label("Fragetext").input_value() == "Was ist richtig?"

    # invalid: a single choice question without a correct option; the error is shown at that question's options
    first.locator(".vamos-o-item").nth(0).get_by_label("Richtig").uncheck()
    editor.get_by_role("button", name="Speichern").click()
    options_error = first.locator(".vamos-q-error[data-error='options']")
    options_error.get_by_text("keine richtige Antwort", exact=False).wait_for()
    second_errors = editor.locator(".vamos-q-item").nth(1).locator(".vamos-field-error")
    assert all(text == "" for text in second_errors.all_inner_texts())  # only the faulty question is marked

    # an empty option text is named at that option
    first.locator(".vamos-o-item").nth(0).get_by_label("Richtig").check()
    first.get_by_role("button", name="Antwort hinzufügen").click()
    editor.get_by_role("button", name="Speichern").click()
    new_option = first.locator(".vamos-o-item").nth(2)
    new_option.locator(".vamos-o-error[data-error='text']").get_by_text("darf nicht leer sein").wait_for()
    new_option.get_by_role("button", name="Antwort entfernen").click()

    # a valid edit: new prompt text, questions reordered, a new question added
    first.get_by_label("Fragetext").fill("Was ist hier richtig?")
    editor.locator(".vamos-q-item").nth(1).get_by_role("button", name="Frage nach oben").click()
    editor.get_by_role("button", name="Frage hinzufügen").click()
    added = editor.locator(".vamos-q-item").nth(2)
    added.get_by_label("Fragetext").fill("Ist das neu?")
    added.get_by_label("Erklärung").fill("Ja, in Studio ergänzt.")
    for index, (text, correct) in enumerate([("Ja", True), ("Nein", False)]):
        option = added.locator(".vamos-o-item").nth(index)
        option.get_by_label("Text", exact=True).fill(text)
        option.get_by_label("Rückmeldung").fill("Richtig." if correct else "Falsch.")
        if correct:
            option.get_by_label("Richtig").check()
    editor.get_by_label("Versuche").fill("5")
    editor.get_by_role("button", name="Speichern").click()
    assert_saved(editor)

    page.goto(f"{workbench}/scenario/vamos_quiz.0/?student=emil")
    quiz = page.locator(".vamos-quiz")
    quiz.get_by_text("Frage 1 von 3").wait_for()
    assert "Was stimmt?" in quiz.locator(".vamos-question").nth(0).inner_text()  # reordered
    assert "Was ist hier richtig?" in quiz.locator(".vamos-question").nth(1).inner_text()
    assert "Ist das neu?" in quiz.locator(".vamos-question").nth(2).inner_text()
    assert "Versuche: 5." in quiz.locator(".vamos-meta").inner_text()
