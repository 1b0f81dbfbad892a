"""Trainers and coordinators at work, in Chromium from the demo platform (issue 15):

* the staff header on every page a launch reaches: a trainer reaches roster, scores, placement (and editing,
  when the authoring blueprint is installed) from it, by keyboard; a coordinator every coordination page; a
  learner never sees a staff link; the same header in English;
* a learner uses all three attempts of "Kommunikation im Verband", is told to ask the trainer, the trainer grants
  one more from the roster, the learner sees the change, passes and gets the certificate, and the audit log shows
  the grant.
"""
from __future__ import annotations

import re

import pytest

from tests.browser_support import browser  # noqa: F401 - shared fixture

from .test_learner_browser import MODULE, answer_all, launch, module_of, shot, tab_to
from .test_learner_browser import fixture_module_env as env  # noqa: F401 - shared fixture (SQLite, fixture module)
from .test_learner_browser import shipped_env  # noqa: F401 - shared fixture (the shipped modules)

TRAINER_LINKS = ["Lernende-Ansicht", "Teilnehmende", "Bewertungen", "Module platzieren"]
COORDINATION_LINKS = {"Übersicht": "Abschlüsse", "Berichte": "Abschlüsse", "Organisationen": "Organisationen",
                      "Zertifikate": "Zertifikate", "Datenschutz": "Datenschutz", "Protokoll": "Protokoll"}


def staff_nav(page, name: str):
    return page.get_by_role("navigation", name=name)


def test_trainer_reaches_roster_scores_placement_and_editing_from_the_header_by_keyboard(browser, env):  # noqa: F811
    page = browser.new_page()
    try:
        launch(page, env, module="testmodul", user="trainer")
        course = staff_nav(page, "Kurs")
        names = [a.inner_text() for a in course.get_by_role("link").all()]
        authoring = "authoring.index" in env.tool_app.view_functions
        assert names == TRAINER_LINKS + (["Module bearbeiten"] if authoring else [])
        assert course.get_by_role("link", name="Lernende-Ansicht").get_attribute("aria-current") == "page"
        assert staff_nav(page, "Koordination").count() == 0  # trainers are not coordinators
        expected = {"Teilnehmende": "Teilnehmende und Fortschritt", "Bewertungen": "Bewertungsübertragung",
                    "Module platzieren": "Module platzieren", "Lernende-Ansicht": "Testmodul Vereinsarbeit"}
        if authoring:
            expected["Module bearbeiten"] = ""
        for label, heading in expected.items():
            tab_to(page, label)  # keyboard only: Tab to the link, Enter
            page.keyboard.press("Enter")
            page.wait_for_function("(label) => [...document.querySelectorAll('.staff-nav a[aria-current=page]')]"
                                   ".some(a => a.textContent.trim() === label)", arg=label)
            assert heading in page.get_by_role("heading", level=1).inner_text()
            assert staff_nav(page, "Kurs").get_by_role("link").count() == len(expected)  # the header stays
        shot(page, "staff-header-trainer")
    finally:
        page.close()


def test_coordinator_reaches_every_coordination_page_from_the_header(browser, env):  # noqa: F811
    page = browser.new_page()
    try:
        launch(page, env, module="testmodul", user="koordination")
        assert staff_nav(page, "Kurs").get_by_role("link").count() >= 4  # coordinators may do what trainers do
        coordination = staff_nav(page, "Koordination")
        assert [a.inner_text() for a in coordination.get_by_role("link").all()] == list(COORDINATION_LINKS)
        for label, heading in COORDINATION_LINKS.items():
            staff_nav(page, "Koordination").get_by_role("link", name=label, exact=True).click()
            page.wait_for_load_state()
            assert page.get_by_role("heading", level=1).inner_text().startswith(heading), (label, page.url)
            if label == "Berichte":
                assert page.url.endswith("#export")
                assert page.locator("#export").is_visible()
        shot(page, "staff-header-coordinator")
    finally:
        page.close()


def test_learner_never_sees_staff_links(browser, env):  # noqa: F811
    page = browser.new_page()
    try:
        launch(page, env, module="testmodul", user="lernende")
        for step in (None, "Modul beginnen", "Zur Modulübersicht", "Zum Wissenstest"):
            if step:
                page.get_by_role("link", name=step).first.click()
                page.wait_for_load_state()
            assert page.locator(".staff-nav").count() == 0, page.url
            for label in TRAINER_LINKS[1:] + list(COORDINATION_LINKS):
                assert page.get_by_role("link", name=label, exact=True).count() == 0, (label, page.url)
    finally:
        page.close()


def test_staff_header_in_english(browser, env):  # noqa: F811
    env.platform.locale = "en"
    page = browser.new_page()
    try:
        launch(page, env, module="testmodul", user="koordination")
        course = [a.inner_text() for a in staff_nav(page, "Course").get_by_role("link").all()]
        assert course[:4] == ["Learner view", "Participants", "Scores", "Place modules"]
        coordination = [a.inner_text() for a in staff_nav(page, "Coordinator").get_by_role("link").all()]
        assert coordination == ["Overview", "Reports", "Organisations", "Certificates", "Data protection", "Log"]
    finally:
        page.close()


def fail_quiz(page, module) -> None:
    page.get_by_role("button", name=re.compile("Test beginnen|Neuen Versuch beginnen")).click()
    answer_all(page, module, correct=False)
    page.get_by_role("button", name="Antworten abgeben").click()
    page.locator(".verdict", has_text="Nicht bestanden").wait_for()


def test_learner_locked_out_trainer_grants_an_attempt_learner_passes_and_gets_the_certificate(
        browser, shipped_env):  # noqa: F811
    env = shipped_env
    module = module_of(env)  # Kommunikation im Verband: 3 attempts, all questions on one page
    assert module.quiz.settings.max_attempts == 3
    learner = browser.new_context().new_page()
    trainer = browser.new_context().new_page()
    try:
        launch(learner, env, user="lernende")
        learner.get_by_role("link", name="Modul beginnen").click()
        for _ in module.lessons:
            learner.get_by_role("button", name="Lektion abgeschlossen").click()
            learner.wait_for_load_state()
        learner.goto(learner.url.split("?")[0].split("/lesson/")[0] + "/quiz?" + learner.url.split("?")[1])
        for _ in range(3):
            fail_quiz(learner, module)
        # The dead end is gone: the page says what to do, and whom to ask.
        assert "Neuen Versuch beginnen" not in learner.content()
        notice = learner.locator(".notice", has_text="alle erlaubten Versuche verbraucht").inner_text()
        assert "Trainerin oder Ihren Trainer" in notice and "weiteren Versuch" in notice
        shot(learner, "interventions-1-used-up")

        launch(trainer, env, user="trainer")
        staff_nav(trainer, "Kurs").get_by_role("link", name="Teilnehmende").click()
        trainer.get_by_role("heading", level=1, name=re.compile("Teilnehmende")).wait_for()
        trainer.get_by_role("link", name=re.compile(r"^Versuche verwalten\s*: Lea Lernende$")).click()
        section = trainer.get_by_role("region", name=module.title)
        assert "Noch 0 Versuche übrig" in section.inner_text()
        section.get_by_label("Weitere Versuche").select_option("1")
        section.get_by_role("button", name="Versuche freigeben").click()
        assert "freigegeben" in trainer.get_by_role("status").inner_text()
        section = trainer.get_by_role("region", name=module.title)
        assert "Noch 1 Versuch übrig (von 4)" in section.inner_text()
        shot(trainer, "interventions-2-granted")

        launch(learner, env, user="lernende")  # the next day, from the LMS
        learner.get_by_role("link", name="Zum Wissenstest").click()
        assert "Sie haben 1 weiteren Versuch bekommen." in learner.get_by_role("status").inner_text()
        learner.get_by_role("button", name="Neuen Versuch beginnen").click()
        answer_all(learner, module, correct=True)
        learner.get_by_role("button", name="Antworten abgeben").click()
        assert "Bestanden" in learner.locator(".verdict").inner_text()
        learner.get_by_role("link", name="Zur Modulübersicht").first.click()
        assert learner.get_by_role("link", name="Zertifikat herunterladen (PDF)").is_visible()
        shot(learner, "interventions-3-certificate")

        coordinator = browser.new_context().new_page()
        launch(coordinator, env, user="koordination")
        staff_nav(coordinator, "Koordination").get_by_role("link", name="Protokoll").click()
        row = coordinator.locator("tr", has_text="Weitere Testversuche freigegeben")
        assert row.count() == 1
        assert module.title in row.inner_text() and "Versuche hinzugefügt: 1" in row.inner_text()
        assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", row.inner_text())  # German local time, not UTC codes
        coordinator.context.close()
    finally:
        learner.context.close()
        trainer.context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violations_on_the_new_staff_and_quiz_pages(browser, shipped_env, width):  # noqa: F811
    from .test_learner_browser import AXE, axe_violations, no_horizontal_scroll

    if not AXE.is_file():
        pytest.fail("axe-core missing: run `npm ci` (make test does)")
    env, module = shipped_env, module_of(shipped_env)
    learner = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    trainer = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    found = {}
    try:
        launch(learner, env, user="lernende")
        learner.get_by_role("link", name="Zum Wissenstest").click()
        learner.get_by_role("button", name="Test beginnen").click()
        learner.get_by_role("button", name="Antworten abgeben").click()  # nothing answered: refused
        learner.get_by_role("alert").wait_for()
        learner.wait_for_load_state()
        no_horizontal_scroll(learner)
        found["quiz refused"] = axe_violations(learner)
        answer_all(learner, module, correct=False)
        learner.get_by_role("button", name="Antworten abgeben").click()
        learner.locator(".verdict").wait_for()

        launch(trainer, env, user="trainer")
        found["module with staff header"] = axe_violations(trainer)
        staff_nav(trainer, "Kurs").get_by_role("link", name="Module platzieren").click()
        trainer.wait_for_load_state()  # measured with the style sheet applied
        no_horizontal_scroll(trainer)
        found["placement"] = axe_violations(trainer)
        staff_nav(trainer, "Kurs").get_by_role("link", name="Teilnehmende").click()
        trainer.get_by_role("link", name=re.compile(r"^Versuche verwalten\s*: Lea Lernende$")).click()
        trainer.get_by_role("button", name="Versuche freigeben").click()
        trainer.get_by_role("status").wait_for()
        trainer.wait_for_load_state()
        no_horizontal_scroll(trainer)
        found["interventions"] = axe_violations(trainer)
        shot(trainer, f"interventions-{width}px")
    finally:
        learner.context.close()
        trainer.context.close()
    assert {page: v for page, v in found.items() if v} == {}
