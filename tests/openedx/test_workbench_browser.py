"""In the running XBlock SDK workbench (as `make workbench` starts it): a learner completes a lesson and passes
the quiz in a real browser; the state persists per `?student=` and another learner starts fresh."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser_support import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WHOLE_MODULE = "vamos_module.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def workbench(tmp_path_factory, content_dir):
    state = tmp_path_factory.mktemp("workbench")
    env = dict(os.environ, VAMOS_CONTENT_DIR=str(content_dir), VAMOS_WORKBENCH_DIR=str(state),
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
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
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
    expect(links).to_have_count(5)  # a condition, waited for: the index renders slowly on a loaded machine
    assert page.get_by_text("VAMOs whole module: Testmodul").count() == 1


def test_learner_completes_lesson_and_passes_quiz(workbench, page):
    url = f"{workbench}/scenario/{WHOLE_MODULE}/?student=alice"
    page.goto(url)
    progress = page.locator(".vamos-progress-area")
    assert "0 %" in progress.locator(".vamos-percent").inner_text()

    lessons = page.locator(".vamos-lesson")
    assert lessons.count() == 2
    first = lessons.nth(0)
    first.get_by_role("button", name="Als erledigt markieren").click()
    first.get_by_text("Sie haben diese Lektion als erledigt markiert.").wait_for()
    progress.locator(".vamos-percent", has_text="33 %").wait_for()  # the overview refreshed from the server (1 of 3 steps)
    lessons.nth(1).get_by_role("button", name="Als erledigt markieren").click()
    lessons.nth(1).get_by_text("Sie haben diese Lektion als erledigt markiert.").wait_for()

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
