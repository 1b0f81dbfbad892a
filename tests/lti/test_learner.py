"""The learner experience with Flask's test client, on the shipped modules (both storage backends):
progress rules, quiz flows, resume, i18n and bad input (4xx in German, nothing stored, never a 500)."""
from __future__ import annotations

import json
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from lti_tool import progress
from lti_tool.app import create_app
from lti_tool.config import ToolConfig
from lti_tool.models import ModuleProgress, ProgressEvent
from vamos_core.content import default_content_dir

from .conftest import error_code

ALL_ON_ONE = "kommunikation-im-verband"  # all_on_one_page, max 3 attempts, best counts
ONE_PER_PAGE = "finanzierung"  # one_per_page, unlimited attempts


@pytest.fixture
def app(tmp_path, backend):
    config = ToolConfig(
        instance_dir=tmp_path / "instance", content_dir=str(default_content_dir()), secret_key="test",
        log_level="WARNING", **backend,
    )
    config.finish()
    app = create_app(config)
    yield app
    app.extensions["vamos"].db.dispose()


class Visitor:
    """A launched learner: the server-side session is put into the launch cache as a launch would."""

    def __init__(self, app, module_id: str, sub: str = "lea", role: str = "learner", locale: str | None = None,
                 issuer: str = "https://lms.example.org"):
        self.app, self.module_id = app, module_id
        self.client = app.test_client()
        self.sid = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.issuer, self.sub = issuer, sub
        app.extensions["vamos"].cache.set("session:" + self.sid, {
            "role": role, "module_id": module_id, "issuer": issuer, "sub": sub, "csrf": self.csrf,
            "locale": locale, "resource_link_pk": None,
        }, 3600)

    @property
    def module(self):
        return self.app.extensions["vamos"].catalog.get(self.module_id)

    @property
    def learner(self):
        return progress.Learner(self.issuer, self.sub)

    def get(self, path: str, **params):
        return self.client.get(path, query_string={"ls": self.sid, **params})

    def post(self, path: str, data: dict | list | None = None, csrf: str | None = None):
        form = [("ls", self.sid), ("csrf", self.csrf if csrf is None else csrf)]
        form += list(data.items()) if isinstance(data, dict) else list(data or [])
        return self.client.post(path, data=_multi(form))

    def base(self) -> str:
        return f"/module/{self.module_id}"

    def start_quiz(self) -> str:
        r = self.post(self.base() + "/quiz/start")
        assert r.status_code == 303, r.text[:500]
        page = self.client.get(r.location)
        return re.search(r'name="attempt" value="([^"]+)"', page.text).group(1)

    def answers(self, correct: bool) -> list[tuple[str, str]]:
        form = []
        for q in self.module.quiz.questions:
            ids = sorted(q.correct_ids) if correct else sorted({o.id for o in q.options} - q.correct_ids)[:1]
            form += [(f"q-{q.id}", i) for i in ids]
        return form

    def state(self) -> ModuleProgress | None:
        return progress.get_progress(self.app.extensions["vamos"].db, self.learner, self.module_id)


def _multi(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def count(app, model=ProgressEvent) -> int:
    with app.extensions["vamos"].db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def assert_german_refusal(response, status: int, code: str):
    assert response.status_code == status, response.text[:400]
    assert error_code(response) == code
    assert '<html lang="de" dir="ltr">' in response.text
    assert "Was können Sie tun?" in response.text


# ------------------------------------------------------------------ module page and lessons


def test_module_page_shows_lessons_states_progress_and_continue(app):
    v = Visitor(app, ALL_ON_ONE)
    page = v.get(v.base())
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "Modul beginnen" in page.text and 'value="0"' in page.text
    assert page.text.count("noch nicht begonnen") == len(v.module.lessons)
    first, second = v.module.lessons[0], v.module.lessons[1]

    lesson = v.get(f"{v.base()}/lesson/{first.id}")
    assert lesson.status_code == 200 and "Lektion abgeschlossen" in lesson.text
    assert 'class="glossary-term"' in lesson.text and 'id="begriff-' in lesson.text  # explained on the page
    assert "Vorlagen zum Herunterladen" in lesson.text  # this lesson has downloads
    page = v.get(v.base())
    assert "begonnen" in page.text and "Weiter, wo Sie aufgehört haben" in page.text
    assert f"/lesson/{first.id}?" in re.search(r'button-primary" href="([^"]+)"', page.text).group(1)

    done = v.post(f"{v.base()}/lesson/{first.id}/done")
    assert done.status_code == 303 and f"/lesson/{second.id}" in done.location
    page = v.get(v.base())
    assert "✓</span> erledigt" in page.text
    assert f"/lesson/{second.id}?" in re.search(r'button-primary" href="([^"]+)"', page.text).group(1)
    state = v.state()
    assert json.loads(state.lessons_done) == [first.id] and state.percent == 100 // 7


def test_download_and_media_stay_inside_the_module(app):
    v = Visitor(app, ALL_ON_ONE)
    lesson = next(lesson for lesson in v.module.lessons if lesson.downloads)
    r = v.client.get(f"/media/{v.module_id}/{lesson.downloads[0].file}?download=1")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    for bad in ("../module.yaml", "media/../../finanzierung/module.yaml", "%2e%2e/module.yaml", "nicht-da.png"):
        assert_german_refusal(v.client.get(f"/media/{v.module_id}/{bad}"), 404, "not_found")


def test_lesson_done_twice_counts_once_and_recompute_equals_stored(app):
    v = Visitor(app, ONE_PER_PAGE)
    lesson = v.module.lessons[2].id
    v.get(f"{v.base()}/lesson/{lesson}")
    v.get(f"{v.base()}/lesson/{lesson}")  # a second view adds no event
    for _ in range(2):
        assert v.post(f"{v.base()}/lesson/{lesson}/done").status_code == 303
    assert count(app) == 2  # viewed once, completed once
    stored = v.state()
    rebuilt = progress.recompute(app.extensions["vamos"].db, v.learner, v.module)
    columns = ("lessons_viewed", "lessons_done", "quiz_attempts", "quiz_score", "passed", "completed", "percent")
    assert {c: getattr(rebuilt, c) for c in columns} == {c: getattr(stored, c) for c in columns}


def test_reading_position_is_saved_and_offered_on_return(app):
    v = Visitor(app, ONE_PER_PAGE)
    lesson = v.module.lessons[1].id
    v.get(f"{v.base()}/lesson/{lesson}")
    assert v.post(f"{v.base()}/lesson/{lesson}/position", {"position": "0.42"}).status_code == 204
    assert v.state().last_position == pytest.approx(0.42)
    again = v.get(f"{v.base()}/lesson/{lesson}")
    assert 'data-resume="0.42"' in again.text
    for bad in ("1.5", "-0.1", "abc", ""):
        assert_german_refusal(v.post(f"{v.base()}/lesson/{lesson}/position", {"position": bad}), 400, "bad_form")
    assert v.state().last_position == pytest.approx(0.42)


# ------------------------------------------------------------------ quiz


def test_quiz_all_on_one_page_fail_retry_pass_best_counts_and_limit(app):
    v = Visitor(app, ALL_ON_ONE)
    overview = v.get(f"{v.base()}/quiz")
    assert "Test beginnen" in overview.text and "16 Fragen" in overview.text
    token = v.start_quiz()
    attempt = v.client.get(f"{v.base()}/quiz/attempt", query_string={"ls": v.sid})
    assert attempt.text.count("<fieldset") == 16 and "<legend>" in attempt.text
    assert "Richtig" not in attempt.text  # no feedback (and no hint at the key) before submitting

    failed = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(False))
    result = v.client.get(failed.location)
    assert "Nicht bestanden" in result.text and "mindestens 70 %" in result.text
    assert "Erklärung:" in result.text and "Lektion wiederholen:" in result.text
    assert "Noch 2 Versuche übrig" in result.text

    token = v.start_quiz()
    passed = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(True))
    result = v.client.get(passed.location)
    assert "Bestanden" in result.text and "16 von 16 Punkten" in result.text
    state = v.state()
    assert (state.quiz_attempts, state.quiz_score, state.passed) == (2, 100.0, True)
    assert not state.completed  # lessons are still missing
    assert "Für den Abschluss des Moduls fehlen noch diese Lektionen" in result.text

    token = v.start_quiz()  # third and last attempt: worse, but the best counts
    v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(False))
    assert v.state().quiz_score == 100.0 and v.state().passed
    events = count(app)
    assert_german_refusal(v.post(f"{v.base()}/quiz/start"), 409, "attempt_limit")
    assert "alle erlaubten Versuche verbraucht" in v.get(f"{v.base()}/quiz").text
    assert count(app) == events


def test_quiz_one_per_page_keeps_draft_server_side_and_shows_one_question(app):
    v = Visitor(app, ONE_PER_PAGE)
    questions = v.module.quiz.questions
    token = v.start_quiz()
    first = v.get(f"{v.base()}/quiz/attempt", frage=1)
    assert first.text.count("<fieldset") == 1 and f"Frage 1 von {len(questions)}" in first.text
    q = questions[0]
    r = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("frage", "1"), ("action", "next")]
               + [(f"q-{q.id}", i) for i in q.correct_ids])
    assert r.status_code == 303 and "frage=2" in r.location
    back = v.get(f"{v.base()}/quiz/attempt", frage=1)
    assert "checked" in back.text  # the draft answer is kept on the server
    # The module page offers to continue the attempt; nothing is graded yet.
    assert "Test fortsetzen" in v.get(v.base()).text and count(app, ProgressEvent) == 0
    for n, q in enumerate(questions, 1):
        action = "submit" if n == len(questions) else "next"
        v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("frage", str(n)), ("action", action)]
               + [(f"q-{q.id}", i) for i in q.correct_ids])
    state = v.state()
    assert (state.quiz_attempts, state.quiz_score, state.passed) == (1, 100.0, True)


def test_shuffle_is_deterministic_per_learner_and_attempt():
    from lti_tool.views.learn import shuffled_options
    from vamos_core.content import load_catalog

    question = load_catalog().get(ONE_PER_PAGE).quiz.questions[0]
    lea, max_ = progress.Learner("i", "lea"), progress.Learner("i", "max")
    orders = {tuple(o.id for o in shuffled_options(question, lea, f"t{n}", True)) for n in range(20)}
    assert len(orders) > 1
    assert shuffled_options(question, lea, "t1", True) == shuffled_options(question, lea, "t1", True)
    assert {o.id for o in shuffled_options(question, max_, "t1", True)} == {o.id for o in question.options}
    assert shuffled_options(question, lea, "t1", False) == list(question.options)


def test_concurrent_submissions_of_the_same_attempt_count_once(app):
    v = Visitor(app, ALL_ON_ONE)
    token = v.start_quiz()
    form = [("ls", v.sid), ("csrf", v.csrf), ("attempt", token), ("action", "submit")] + v.answers(True)
    barrier = threading.Barrier(4)

    def submit(_):
        client = app.test_client()
        barrier.wait()
        return client.post(f"{v.base()}/quiz/attempt", data=_multi(form))

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(submit, range(4)))
    assert all(r.status_code == 303 for r in responses), [r.status_code for r in responses]
    assert len({r.location.split("?")[0] for r in responses}) == 1  # all see the same result
    assert count(app) == 1
    assert v.state().quiz_attempts == 1


def test_concurrent_events_of_one_learner_are_serialised(app):
    """Different events at the same moment: none is lost from the derived state."""
    v = Visitor(app, ONE_PER_PAGE)
    db = app.extensions["vamos"].db
    lessons = v.module.lessons

    def complete(lesson):
        return progress.record(db, v.learner, v.module, ProgressEvent.LESSON_COMPLETED,
                               v.learner.key("done", v.module_id, lesson.id), lesson_id=lesson.id)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(complete, list(lessons) * 2))
    assert count(app) == len(lessons)
    assert sorted(json.loads(v.state().lessons_done)) == sorted(lesson.id for lesson in lessons)


def test_progress_is_per_person_and_module_across_courses(app):
    """The same learner from a second course (another launch, same issuer and sub) sees one progress."""
    first = Visitor(app, ALL_ON_ONE)
    lesson = first.module.lessons[0].id
    first.post(f"{first.base()}/lesson/{lesson}/done")
    second_course = Visitor(app, ALL_ON_ONE)  # a new launch session, same person
    assert "✓</span> erledigt" in second_course.get(second_course.base()).text
    other_person = Visitor(app, ALL_ON_ONE, sub="max")
    assert "erledigt" not in other_person.get(other_person.base()).text.replace("% erledigt", "")
    other_platform = Visitor(app, ALL_ON_ONE, issuer="https://anderes-lms.example.org")
    assert other_platform.state() is None


# ------------------------------------------------------------------ bad input


def test_bad_input_gets_german_4xx_and_stores_nothing(app):
    v = Visitor(app, ALL_ON_ONE)
    other = Visitor(app, ALL_ON_ONE, sub="max")
    token = other.start_quiz()
    other_result = other.post(f"{other.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + other.answers(False))
    foreign_id = other_result.location.split("/result/")[1].split("?")[0]
    events = count(app)
    rows = count(app, ModuleProgress)
    lesson = v.module.lessons[0].id

    # Foreign quiz attempt, unknown attempt ids.
    assert_german_refusal(v.get(f"{v.base()}/quiz/result/{foreign_id}"), 404, "attempt_not_found")
    assert_german_refusal(v.get(f"{v.base()}/quiz/result/99999"), 404, "attempt_not_found")
    assert_german_refusal(v.get(f"{v.base()}/quiz/result/abc"), 404, "attempt_not_found")
    # A lesson of another module, another module for a learner, unknown module.
    other_lesson = Visitor(app, ONE_PER_PAGE).module.lessons[0].id
    assert_german_refusal(v.get(f"{v.base()}/lesson/{other_lesson}"), 404, "lesson_not_found")
    assert_german_refusal(v.post(f"{v.base()}/lesson/{other_lesson}/done"), 404, "lesson_not_found")
    assert_german_refusal(v.get(f"/module/{ONE_PER_PAGE}"), 404, "not_found")
    # Missing or wrong CSRF token.
    assert_german_refusal(v.post(f"{v.base()}/lesson/{lesson}/done", csrf=""), 400, "form_expired")
    assert_german_refusal(v.post(f"{v.base()}/quiz/start", csrf="falsch"), 400, "form_expired")
    # Expired or unknown session, no session at all.
    r = v.client.post(f"{v.base()}/lesson/{lesson}/done", data={"ls": "x" * 43, "csrf": v.csrf})
    assert_german_refusal(r, 401, "session_missing")
    assert_german_refusal(app.test_client().get(v.base()), 401, "session_missing")
    # Tampered quiz forms: unknown question, unknown option, two answers to a single choice, other token.
    token = v.start_quiz()
    single = next(q for q in v.module.quiz.questions if q.type.value == "single")
    tampered = [
        [("attempt", token), ("q-erfunden", "a")],
        [("attempt", token), (f"q-{single.id}", "zz")],
        [("attempt", token)] + [(f"q-{single.id}", o.id) for o in single.options[:2]],
        [("attempt", token), ("action", "hack")],
    ]
    for form in tampered:
        assert_german_refusal(v.post(f"{v.base()}/quiz/attempt", form), 400, "bad_form")
    assert_german_refusal(v.post(f"{v.base()}/quiz/attempt", [("attempt", "fremd")]), 409, "no_attempt")
    assert_german_refusal(v.post(f"{v.base()}/quiz/attempt", [("attempt", token)], csrf="x"), 400, "form_expired")
    assert_german_refusal(v.client.get(f"{v.base()}/quiz/attempt/x"), 404, "not_found")
    assert_german_refusal(v.client.put(f"{v.base()}/quiz/attempt"), 405, "method_not_allowed")
    assert count(app) == events and count(app, ModuleProgress) == rows
    # The attempt is still open and can be submitted properly afterwards.
    ok = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(True))
    assert ok.status_code == 303 and count(app) == events + 1


def test_one_per_page_rejects_answers_to_other_pages_and_bad_page_numbers(app):
    v = Visitor(app, ONE_PER_PAGE)
    token = v.start_quiz()
    q2 = v.module.quiz.questions[1]
    r = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("frage", "1"), (f"q-{q2.id}", "a")])
    assert_german_refusal(r, 400, "bad_form")
    for page in ("0", "999", "eins"):
        assert_german_refusal(v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("frage", page)]), 400, "bad_form")
        assert_german_refusal(v.get(f"{v.base()}/quiz/attempt", frage=page), 400, "bad_form")
    assert count(app) == 0


def test_double_submit_after_the_result_shows_the_same_result(app):
    v = Visitor(app, ALL_ON_ONE)
    token = v.start_quiz()
    form = [("attempt", token), ("action", "submit")] + v.answers(True)
    first = v.post(f"{v.base()}/quiz/attempt", form)
    again = v.post(f"{v.base()}/quiz/attempt", form)  # the browser's back button and submit again
    assert again.status_code == 303 and again.location == first.location
    assert count(app) == 1


# ------------------------------------------------------------------ language and roles


def test_interface_language_from_launch_locale(app):
    en = Visitor(app, ALL_ON_ONE, locale="en-US")
    page = en.get(en.base())
    assert '<html lang="en" dir="ltr">' in page.text and "Start the module" in page.text
    assert "Lessons" in page.text and "Lektionen</h2>" not in page.text
    error = en.get(f"{en.base()}/lesson/gibt-es-nicht")
    assert error.status_code == 404 and "What can you do?" in error.text
    for locale in ("de-DE", "fr-FR", None, "xx"):
        v = Visitor(app, ALL_ON_ONE, locale=locale)
        assert '<html lang="de" dir="ltr">' in v.get(v.base()).text


def test_right_to_left_direction_follows_the_language():
    from lti_tool.i18n import match_locale, text_direction

    assert text_direction("ar") == "rtl" and text_direction("fa_IR") == "rtl" and text_direction("de") == "ltr"
    assert match_locale("en-GB", ["de", "en"]) == "en"
    assert match_locale("ar-SY", ["ar", "de", "en"]) == "ar"
    assert match_locale("ar-SY", ["de", "en"]) == "de"


def test_catalogs_are_complete_and_compiled():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from lti_tool.i18n import TRANSLATIONS

    pot_ids = {m.id for m in read_po(open(TRANSLATIONS / "messages.pot", "rb")) if m.id}
    for language in ("de", "en"):
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        po = read_po(open(folder / "messages.po", "rb"))
        mo = read_mo(open(folder / "messages.mo", "rb"))
        ids = {m.id for m in po if m.id}
        assert ids == pot_ids, f"run pybabel update for {language}"
        untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy or not all(m.string))]
        assert not untranslated, f"{language}: {untranslated}"
        def table(catalog):
            return {_key(m.id): _key(m.string) for m in catalog if m.id}

        assert table(mo) == table(po), "run pybabel compile"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_trainer_may_preview_every_module(app):
    trainer = Visitor(app, ALL_ON_ONE, sub="tarek", role="trainer")
    page = trainer.get(f"/module/{ONE_PER_PAGE}")
    assert page.status_code == 200 and "Trainerin oder Trainer" in page.text
    lesson = trainer.module.lessons[0].id
    assert trainer.get(f"{trainer.base()}/lesson/{lesson}").status_code == 200


def test_locale_claim_of_a_real_launch_sets_the_language(lti_env):
    lti_env.platform.locale = "en-US"
    page = lti_env.launch(lti_env.start_login(user="lernende"))
    assert page.status_code == 200
    assert '<html lang="en" dir="ltr">' in page.text and "Signed in as: Learner" in page.text
    assert '<h1 lang="de" dir="ltr">Testmodul Vereinsarbeit</h1>' in page.text  # the module text stays German


# ------------------------------------------------------------------ unanswered questions (issue 15)


def test_submission_with_unanswered_questions_is_refused_listed_and_uses_no_attempt(app):
    v = Visitor(app, ALL_ON_ONE)
    questions = v.module.quiz.questions
    token = v.start_quiz()
    first = questions[0]
    given = [(f"q-{first.id}", i) for i in sorted(first.correct_ids)]
    r = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + given)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    # Announced to screen readers, every unanswered question linked to its fieldset, the answer given kept.
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S).group(0)
    for number, q in enumerate(questions[1:], 2):
        assert f'href="#frage-{q.id}"' in summary and f"Frage {number}" in summary
        assert f'id="frage-{q.id}"' in page
    assert f'href="#frage-{first.id}"' not in summary
    assert f"{len(questions) - 1} Fragen sind noch nicht beantwortet" in summary
    assert "Es wurde kein Versuch verbraucht" in summary
    assert re.search(rf'id="q-{first.id}-{sorted(first.correct_ids)[0]}" checked', page)
    assert count(app, ProgressEvent) == 0 and (v.state() is None or v.state().quiz_attempts == 0)
    # Nothing answered at all: refused the same way.
    assert v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")]).status_code == 422
    # Completing the form then counts as the first attempt.
    done = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("action", "submit")] + v.answers(True))
    assert done.status_code == 303 and v.state().quiz_attempts == 1


def test_one_per_page_submission_with_gaps_links_to_the_missing_pages(app):
    v = Visitor(app, ONE_PER_PAGE)
    questions = v.module.quiz.questions
    token = v.start_quiz()
    last = len(questions)
    q = questions[-1]
    r = v.post(f"{v.base()}/quiz/attempt", [("attempt", token), ("frage", str(last)), ("action", "submit")]
               + [(f"q-{q.id}", i) for i in sorted(q.correct_ids)])
    assert r.status_code == 422
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', r.get_data(as_text=True), re.S).group(0)
    assert "frage=1" in summary and f"frage={last}" not in summary
    assert count(app, ProgressEvent) == 0
