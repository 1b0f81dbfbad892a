"""What learners see every day: the module page, lessons, the quiz and its result.

Thin over ``vamos_core``: lessons are rendered by ``render_lesson``, answers graded by ``grading``,
module state derived by ``completion.module_state`` (through ``lti_tool.progress``).

* Every page works without JavaScript; ``static/vamos.js`` only enhances (glossary in place,
  reading position, ``lti.frameResize``).
* Every POST carries the launch session id (``ls``) and a CSRF token bound to that server-side
  session; cookies may be missing in the LMS iframe.
* Learners may open only the module their link points to; trainers and coordinators may open every
  module (preview). Everybody's progress is stored under their own (issuer, sub).
* Bad input (tampered forms, foreign ids, lessons of other modules, expired sessions) gets a 4xx page
  that says what to do, and stores nothing.
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy.orm import object_session

from vamos_core.grading import InvalidAnswer, attempts_left, grade_question, grade_quiz, meets
from vamos_core.lesson_checks import CheckFeedback, answer_check, render_checks
from vamos_core.model import Module, Question, QuizDisplay
from vamos_core.option_order import option_order
from vamos_core.rendering import render_lesson

from .. import interventions, progress
from ..errors import PageError
from ..i18n import number as format_number
from ..models import ModuleProgress, ProgressEvent, utcnow
from ..progress import Learner
from ..roles import COORDINATOR, LEARNER
from ..sessions import session_url
from .pages import ROLE_LABELS

bp = Blueprint("learn", __name__)
log = logging.getLogger(__name__)

DRAFTS = "quiz_drafts"  # session key: module id -> the attempt in progress (token, answers)
NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"


def tool():
    return current_app.extensions["vamos"]


# ---------------------------------------------------------------- access


@dataclass
class Visit:
    module: Module
    learner: Learner
    role: str

    @property
    def db(self):
        return tool().db


def visit(module_id: str) -> Visit:
    """The launched session for this module, or a refusal (401 no session, 404 not this module)."""
    if not session.get("role") or not session.get("issuer") or not session.get("sub"):
        raise PageError("session_missing", 401, "no launch session")
    module = tool().catalog_for(session["issuer"]).get(module_id)
    # Learners see the module their link points to; trainers and coordinators may browse (preview).
    if module is None or (session["role"] == LEARNER and session.get("module_id") != module_id):
        raise PageError("not_found", 404, "module not available for this launch")
    return Visit(module, Learner(session["issuer"], session["sub"]), session["role"])


def check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.form.get("csrf", "")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageError("form_expired", 400, "csrf token missing or wrong")


def _record(*args, **kwargs) -> progress.Recorded:
    """``progress.record`` (with the xAPI statements when an LRS is configured), then wake the workers of the
    outboxes the event wrote to (AGS scores, xAPI statements)."""
    t = tool()
    recorded = progress.record(*args, xapi=t.xapi, **kwargs)
    if recorded.scores:
        t.scores_enqueued()
    if recorded.statements:
        t.statements_enqueued()
    return recorded


def lesson_of(v: Visit, lesson_id: str):
    lesson = v.module.lesson(lesson_id)
    if lesson is None:
        raise PageError("lesson_not_found", 404, "lesson not in this module")
    return lesson


# ---------------------------------------------------------------- module page


def lesson_states(module: Module, row: ModuleProgress | None) -> dict[str, str]:
    viewed, done = progress.lessons(row)
    return {
        lesson.id: DONE if lesson.id in done else IN_PROGRESS if lesson.id in viewed else NOT_STARTED
        for lesson in module.lessons
    }


def continue_target(v: Visit, row: ModuleProgress | None, states: dict[str, str]) -> tuple[str, str]:
    """The one "continue where you stopped" link: (url, label)."""
    module = v.module
    if _draft(module.id) is not None:
        return session_url("learn.attempt", module_id=module.id), _l("Test fortsetzen")
    if row is None or all(state == NOT_STARTED for state in states.values()) and not row.quiz_attempts:
        return session_url("learn.lesson", module_id=module.id, lesson_id=module.lessons[0].id), _l("Modul beginnen")
    last = row.last_lesson_id
    if last in states and states[last] != DONE:
        return session_url("learn.lesson", module_id=module.id, lesson_id=last), _l("Weiter, wo Sie aufgehört haben")
    # After the last place: the next lesson not done, in module order from there on, then from the start.
    ids = list(module.lesson_ids)
    start = ids.index(last) + 1 if last in ids else 0
    for lesson_id in ids[start:] + ids[:start]:
        if states[lesson_id] != DONE:
            return session_url("learn.lesson", module_id=module.id, lesson_id=lesson_id), _l("Weiter, wo Sie aufgehört haben")
    if module.quiz.questions and not row.passed:
        return session_url("learn.quiz", module_id=module.id), _l("Weiter zum Test")
    return session_url("learn.lesson", module_id=module.id, lesson_id=module.lessons[0].id), _l("Modul wiederholen")


def quiz_summary(module: Module, row: ModuleProgress | None) -> dict:
    settings = module.quiz.settings
    used = row.quiz_attempts if row else 0
    extra = _extra(row)
    return {
        "questions": len(module.quiz.questions),
        "used": used,
        "left": attempts_left(used, settings.max_attempts, extra),
        "max_attempts": settings.max_attempts + extra if settings.max_attempts else 0,
        "score": row.quiz_score if row else None,
        "passed": bool(row and row.passed),
        "passing_score": module.completion.passing_score,
        "scoring": settings.scoring.value,
        "in_progress": _draft(module.id) is not None,
    }


@bp.route("/module/<module_id>")
def module(module_id: str):
    return render_module(visit(module_id))


def render_module(v: Visit, name_error: bool = False) -> str:
    row = progress.fresh(v.db, v.learner, v.module, progress.get_progress(v.db, v.learner, v.module.id))
    states = lesson_states(v.module, row)
    url, label = continue_target(v, row, states)
    certificate, failed = _certificate(v, row)
    return render_template(
        "module.html",
        module=v.module,
        role_label=ROLE_LABELS[v.role],
        row=row,
        states=states,
        percent=row.percent if row else 0,
        continue_url=url,
        continue_label=label,
        quiz=quiz_summary(v.module, row),
        certificate=certificate,
        certificate_failed=failed,
        name_error=name_error,
        name_value=request.form.get("name", "") if name_error else "",
        is_coordinator=v.role == COORDINATOR,
    )


def _certificate(v: Visit, row: ModuleProgress | None):
    """(certificate or None, failed): issuing must never cost the learner the page or their progress."""
    from .certificates import for_visit  # views.certificates builds on this module

    try:
        return for_visit(v, row), False
    except Exception:  # noqa: BLE001 - logged with traceback; the learner sees "being prepared"
        log.exception("certificate could not be issued module=%s", v.module.id)
        return None, True


def issue_if_completed(v: Visit, recorded: progress.Recorded) -> None:
    """Issue the certificate as soon as the completion rule holds (after the event's transaction)."""
    if recorded.row is not None and recorded.row.completed:
        _certificate(v, recorded.row)


# ---------------------------------------------------------------- lessons


@bp.route("/module/<module_id>/lesson/<lesson_id>")
def lesson(module_id: str, lesson_id: str):
    v = visit(module_id)
    lesson = lesson_of(v, lesson_id)
    module = v.module
    # Opening a lesson makes it the resume point (works without JavaScript) and, the first time,
    # records that the learner started it (an event). Later views only move the resume point, in the
    # transaction that reads the row. A view changes neither "done" nor the percent, so the row read
    # before it serves the page.
    row = progress.fresh(v.db, v.learner, module, progress.open_lesson(v.db, v.learner, module.id, lesson.id))
    resume = row.last_position if row and row.last_lesson_id == lesson.id else None
    if lesson.id not in progress.lessons(row)[0]:
        _record(
            v.db, v.learner, module, ProgressEvent.LESSON_VIEWED, v.learner.key("viewed", module.id, lesson.id),
            lesson_id=lesson.id, resource_link_pk=session.get("resource_link_pk"), position=(lesson.id, resume),
        )
    return _lesson_page(v, lesson, row, resume)


def _lesson_page(v: Visit, lesson, row, resume, feedback: CheckFeedback | None = None, missing: str | None = None) -> str:
    module = v.module
    rendered = render_lesson(module, lesson, f"{request.script_root}/media/{module.id}")
    index = module.lesson_index(lesson.id)
    objectives = {o.id: o.text for o in module.objectives}
    return render_template(
        "lesson.html",
        module=module,
        lesson=lesson,
        rendered=rendered,
        checks_html=_checks_html(v, lesson, feedback, missing),
        number=index + 1,
        total=len(module.lessons),
        previous=module.lessons[index - 1] if index > 0 else None,
        following=module.lessons[index + 1] if index + 1 < len(module.lessons) else None,
        objectives=[objectives[o] for o in lesson.objectives if o in objectives],
        done=lesson_states(module, row)[lesson.id] == DONE,
        resume=resume,
        percent=row.percent if row else 0,
    )


def _checks_html(v: Visit, lesson, feedback: CheckFeedback | None, missing: str | None) -> str:
    # The same hidden inputs as the ``session_fields`` macro (launch session id and CSRF token).
    fields = (f'<input type="hidden" name="ls" value="{escape(getattr(session, "sid", None) or "")}">'
              f'<input type="hidden" name="csrf" value="{escape(session.get("csrf") or "")}">')
    action = lambda check_id: session_url(  # noqa: E731
        "learn.lesson_check", module_id=v.module.id, lesson_id=lesson.id, check_id=check_id)
    return render_checks(lesson, action, fields, feedback, missing)


def _check_answered(v: Visit, lesson_id: str, feedback: CheckFeedback) -> None:
    """xAPI "answered" for an in-lesson check (docs/xapi.md): the only record of it, nothing else is stored."""
    t = tool()
    if t.xapi is None:
        return
    with v.db.session() as s:
        t.xapi.enqueue(s, v.learner.issuer, v.learner.sub, [t.xapi.builder.check_answered(
            v.learner.issuer, v.learner.sub, v.module, lesson_id, feedback.check, sorted(feedback.selected),
            feedback.correct, utcnow(), uuid.uuid4().hex)])
    t.statements_enqueued()


@bp.route("/module/<module_id>/lesson/<lesson_id>/check/<check_id>", methods=["POST"])
def lesson_check(module_id: str, lesson_id: str, check_id: str):
    """An in-lesson check: immediate feedback, nothing stored, nothing counted (vamos_core.lesson_checks).

    Without JavaScript the lesson page comes back with the feedback at the check; ``vamos.js`` sends
    ``X-Vamos-Fragment: 1`` and swaps in the returned checks section."""
    v = visit(module_id)
    lesson = lesson_of(v, lesson_id)
    check_csrf()
    check = lesson.check(check_id)
    if check is None:
        raise PageError("not_found", 404, "check not in this lesson")
    selected = request.form.getlist("option")
    feedback, missing = None, None
    if not selected:
        missing = check.id
    else:
        try:
            feedback = answer_check(check, selected)
        except InvalidAnswer:
            raise PageError("bad_form", 400, "answer does not fit the check") from None
        _check_answered(v, lesson.id, feedback)
    if request.headers.get("X-Vamos-Fragment") == "1":
        return _checks_html(v, lesson, feedback, missing)
    row = progress.get_progress(v.db, v.learner, v.module.id)
    return _lesson_page(v, lesson, row, None, feedback, missing)


@bp.route("/module/<module_id>/lesson/<lesson_id>/done", methods=["POST"])
def lesson_done(module_id: str, lesson_id: str):
    v = visit(module_id)
    lesson = lesson_of(v, lesson_id)
    check_csrf()
    module = v.module
    recorded = _record(
        v.db, v.learner, module, ProgressEvent.LESSON_COMPLETED, v.learner.key("done", module.id, lesson.id),
        lesson_id=lesson.id, resource_link_pk=session.get("resource_link_pk"),
    )
    issue_if_completed(v, recorded)
    index = module.lesson_index(lesson.id)
    # The German title inside a right-to-left sentence is isolated (FSI … PDI: <bdi> for plain text).
    flash(_("Lektion „%(title)s“ abgeschlossen.", title=f"\u2068{lesson.title}\u2069"), "status")
    if index + 1 < len(module.lessons):
        return redirect(session_url("learn.lesson", module_id=module.id, lesson_id=module.lessons[index + 1].id), 303)
    return redirect(session_url("learn.module", module_id=module.id), 303)


@bp.route("/module/<module_id>/lesson/<lesson_id>/position", methods=["POST"])
def lesson_position(module_id: str, lesson_id: str):
    """Reading position beacon (JavaScript): the scroll fraction 0..1 of the lesson."""
    v = visit(module_id)
    lesson = lesson_of(v, lesson_id)
    check_csrf()
    try:
        fraction = float(request.form.get("position", ""))
    except ValueError:
        raise PageError("bad_form", 400, "position not a number") from None
    if not 0.0 <= fraction <= 1.0:
        raise PageError("bad_form", 400, "position out of range")
    progress.save_position(v.db, v.learner, v.module, lesson.id, round(fraction, 4))
    return "", 204


@bp.route("/media/<module_id>/<path:relative>")
def media(module_id: str, relative: str):
    """Images and downloads of a module: teaching material, served without a session (so cached
    lesson HTML works for everyone); only files inside the module folder (``Module.media_path``)."""
    module = tool().modules.get_public(module_id)
    path = module.media_path(relative) if module else None
    if path is None:
        raise PageError("not_found", 404, "media not found")
    response = send_file(path, as_attachment=request.args.get("download") == "1", max_age=3600)
    response.headers["Cache-Control"] = "public, max-age=3600"
    # Opened on its own (e.g. an SVG figure in a new tab) a media file is an inert document: no scripts.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


# ---------------------------------------------------------------- quiz


def _drafts() -> dict:
    drafts = session.get(DRAFTS)
    return drafts if isinstance(drafts, dict) else {}


def _draft(module_id: str) -> dict | None:
    draft = _drafts().get(module_id)
    return draft if isinstance(draft, dict) and isinstance(draft.get("token"), str) else None


def _set_draft(module_id: str, draft: dict | None) -> None:
    drafts = dict(_drafts())
    if draft is None:
        drafts.pop(module_id, None)
    else:
        drafts[module_id] = draft
    session[DRAFTS] = drafts  # reassigned, so the server-side session is saved


def shuffled_options(question: Question, learner: Learner, token: str, shuffle: bool):
    """The options in the order shown: as authored, or shuffled deterministically per learner and attempt."""
    return option_order(question, f"{learner.issuer}\x00{learner.sub}", token, shuffle)


def _extra(row) -> int:
    """Attempts trainers granted (``interventions``), read with the progress row (``progress.get_progress``)."""
    return int(getattr(row, "extra_attempts", 0) or 0) if row is not None else 0


def _left(v: Visit, used: int, extra: int) -> int | None:
    return attempts_left(used, v.module.quiz.settings.max_attempts, extra)


def _check_limit(v: Visit):
    def check(row: ModuleProgress) -> None:
        # Under the row lock: a grant and this attempt are serialised (interventions.act locks the same row).
        extra = interventions.extra_attempts(object_session(row), v.learner, v.module.id)
        if _left(v, row.quiz_attempts, extra) == 0:
            raise PageError("attempt_limit", 409, "no attempts left")

    return check


@bp.route("/module/<module_id>/quiz")
def quiz(module_id: str):
    v = visit(module_id)
    row = progress.fresh(v.db, v.learner, v.module, progress.get_progress(v.db, v.learner, v.module.id))
    past = progress.attempts(v.db, v.learner, v.module.id)
    return render_template(
        "quiz.html",
        module=v.module,
        quiz=quiz_summary(v.module, row),
        attempts=[(e.id, json.loads(e.data or "{}"), e.created_at) for e in past],
        changes=interventions.history(v.db, v.learner, v.module.id) if _extra(row) else [],
    )


@bp.route("/module/<module_id>/quiz/start", methods=["POST"])
def quiz_start(module_id: str):
    v = visit(module_id)
    check_csrf()
    if not v.module.quiz.questions:
        raise PageError("not_found", 404, "module has no quiz")
    if _draft(v.module.id) is None:
        row = progress.get_progress(v.db, v.learner, v.module.id)
        if _left(v, row.quiz_attempts if row else 0, _extra(row)) == 0:
            raise PageError("attempt_limit", 409, "no attempts left")
        # A token per attempt: the idempotency key of its event, so a double submit counts once.
        # The version travels with the attempt: it is graded against the questions it showed, even if a
        # trainer publishes a new version meanwhile.
        _set_draft(v.module.id, {"token": secrets.token_urlsafe(16), "answers": {}, "version": v.module.version})
    return redirect(session_url("learn.attempt", module_id=v.module.id), 303)


def _page(module: Module, raw) -> int:
    total = len(module.quiz.questions)
    try:
        page = int(raw or 1)
    except (TypeError, ValueError):
        raise PageError("bad_form", 400, "page not a number") from None
    if not 1 <= page <= total:
        raise PageError("bad_form", 400, "page out of range")
    return page


def attempt_module(v: Visit, version: str | None) -> Module:
    """The module version an attempt was started on (or, for older attempts without one, the current)."""
    if not version or version == v.module.version:
        return v.module
    return tool().catalog_for(v.learner.issuer).get(v.module.id, version=version) or v.module


@bp.route("/module/<module_id>/quiz/attempt")
def attempt(module_id: str):
    v = visit(module_id)
    draft = _draft(v.module.id)
    if draft is None:
        return redirect(session_url("learn.quiz", module_id=v.module.id), 303)
    shown_module = attempt_module(v, draft.get("version"))
    page = None if shown_module.quiz.settings.display is QuizDisplay.ALL_ON_ONE_PAGE else _page(shown_module, request.args.get("frage"))
    return _attempt_page(v, draft, page)


def _attempt_page(v: Visit, draft: dict, page: int | None, missing: list | None = None) -> str:
    """The attempt form (questions of the version the attempt started on); ``missing`` lists the unanswered
    questions of a refused submission (linked)."""
    shown_module = attempt_module(v, draft.get("version"))
    settings = shown_module.quiz.settings
    questions = shown_module.quiz.questions
    if page is None:
        shown = list(enumerate(questions, 1))
    else:
        shown = [(page, questions[page - 1])]
    return render_template(
        "quiz_attempt.html",
        module=shown_module,
        shown=[(n, q, shuffled_options(q, v.learner, draft["token"], settings.shuffle_options)) for n, q in shown],
        page=page,
        total=len(questions),
        token=draft["token"],
        answers=draft.get("answers", {}),
        unanswered=sum(1 for q in questions if not draft.get("answers", {}).get(q.id)),
        missing=missing or [],
    )


def _answers_from_form(v: Visit, allowed: list[Question]) -> dict[str, list[str]]:
    """Chosen option ids per question, validated against the questions shown on the page."""
    by_id = {q.id: q for q in allowed}
    answers: dict[str, list[str]] = {}
    for name in request.form:
        if not name.startswith("q-"):
            continue
        question = by_id.get(name[2:])
        if question is None:
            raise PageError("bad_form", 400, "answer to a question not on this page")
        chosen = [value for value in request.form.getlist(name) if isinstance(value, str)]
        try:
            grade_question(question, chosen)  # refuses unknown options and two answers to a single choice
        except InvalidAnswer:
            raise PageError("bad_form", 400, "invalid answer") from None
        answers[question.id] = sorted(set(chosen))
    return answers


@bp.route("/module/<module_id>/quiz/attempt", methods=["POST"])
def attempt_post(module_id: str):
    v = visit(module_id)
    check_csrf()
    module = v.module
    token = request.form.get("attempt", "")
    draft = _draft(module.id)
    if draft is None or not hmac.compare_digest(str(token).encode(), draft["token"].encode()):
        # Sent twice (the first submit already graded it)? Then show that result.
        if isinstance(token, str) and token:
            done = progress.find_event(v.db, v.learner.key("attempt", module.id, token))
            if done is not None and done.sub == v.learner.sub and done.issuer == v.learner.issuer:
                return redirect(session_url("learn.result", module_id=module.id, attempt_id=done.id), 303)
        raise PageError("no_attempt", 409, "attempt token unknown")

    current = module
    module = attempt_module(v, draft.get("version"))  # grade against the version the attempt showed
    questions = module.quiz.questions
    action = request.form.get("action", "submit")
    if module.quiz.settings.display is QuizDisplay.ALL_ON_ONE_PAGE:
        if action != "submit":
            raise PageError("bad_form", 400, "unknown action")
        answers = _answers_from_form(v, list(questions))
    else:
        page = _page(module, request.form.get("frage"))
        question = questions[page - 1]
        given = _answers_from_form(v, [question])
        answers = dict(draft.get("answers", {}))
        if given.get(question.id):
            answers[question.id] = given[question.id]
        else:
            answers.pop(question.id, None)
        _set_draft(module.id, {**draft, "answers": answers})
        if given.get(question.id):
            flash(_("Ihre Antwort auf Frage %(number)s ist gespeichert.", number=format_number(page)), "status")
        if action in ("next", "prev"):
            target = page + 1 if action == "next" else page - 1
            target = min(max(target, 1), len(questions))
            return redirect(session_url("learn.attempt", module_id=module.id, frage=target), 303)
        if action != "submit":
            raise PageError("bad_form", 400, "unknown action")

    missing = [(n, q) for n, q in enumerate(questions, 1) if not answers.get(q.id)]
    if missing:
        # Refused before anything is recorded: no attempt used. The answers given are kept in the draft.
        _set_draft(module.id, {**draft, "answers": answers})
        return _attempt_page(v, {**draft, "answers": answers}, None if not request.form.get("frage") else page,
                             missing=missing), 422

    result = grade_quiz(module.quiz, answers)  # graded here; the browser never sends a score
    data = {
        "token": draft["token"],
        "answers": {q: sorted(a) for q, a in answers.items()},
        "points": result.points,
        "max_points": result.max_points,
        "percent": round(result.percent, 4),
        "fractions": {r.question_id: str(r.fraction) for r in result.results},
        "passed": result.passed(module.completion.passing_score),
        "version": module.version,
    }
    recorded = _record(
        v.db, v.learner, current, ProgressEvent.QUIZ_ATTEMPT, v.learner.key("attempt", module.id, draft["token"]),
        data=data, resource_link_pk=session.get("resource_link_pk"), check=_check_limit(v),
    )
    _set_draft(module.id, None)
    issue_if_completed(v, recorded)
    flash(_("Ihre Antworten sind abgegeben und ausgewertet."), "status")
    return redirect(session_url("learn.result", module_id=module.id, attempt_id=recorded.event_id), 303)


@bp.route("/module/<module_id>/quiz/result/<attempt_id>")
def result(module_id: str, attempt_id: str):
    v = visit(module_id)
    module = v.module
    event = progress.attempt(v.db, int(attempt_id)) if attempt_id.isdigit() and len(attempt_id) < 12 else None
    if (
        event is None
        or event.kind != ProgressEvent.QUIZ_ATTEMPT
        or event.module_id != module.id
        or (event.issuer, event.sub) != (v.learner.issuer, v.learner.sub)
    ):
        raise PageError("attempt_not_found", 404, "attempt of another learner or module")
    data = json.loads(event.data or "{}")
    module = attempt_module(v, data.get("version"))  # the questions this attempt answered
    answers = data.get("answers", {})
    fractions = data.get("fractions", {})
    items = []
    for number, question in enumerate(module.quiz.questions, 1):
        chosen = set(answers.get(question.id, []))
        fraction = fractions.get(question.id, "0")
        status = "correct" if fraction == "1" else "wrong" if fraction == "0" else "partial"
        options = shuffled_options(question, v.learner, data.get("token", ""), module.quiz.settings.shuffle_options)
        items.append({"number": number, "question": question, "chosen": chosen, "status": status, "options": options,
                      "lesson": module.lesson(question.lesson) if question.lesson else None})
    row = progress.fresh(v.db, v.learner, v.module, progress.get_progress(v.db, v.learner, module.id))
    summary = quiz_summary(v.module, row)
    passed = meets(float(data.get("percent", 0.0)), module.completion.passing_score)
    _, done = progress.lessons(row)
    return render_template(
        "quiz_result.html",
        module=module,
        data=data,
        attempt_at=event.created_at,
        passed=passed,
        items=items,
        quiz=summary,
        lessons_missing=[lesson for lesson in v.module.lessons if lesson.id not in done],
        completed=bool(row and row.completed),
        percent=row.percent if row else 0,
    )
