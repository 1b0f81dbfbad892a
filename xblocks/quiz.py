"""``vamos_quiz``: the module's final quiz; questions, options, feedback and settings are fields of the block.

The browser sends only which options were chosen; points, feedback and the score come from
``vamos_core.grading`` over a quiz rebuilt from the fields. The raw score (earned / possible points of the counting
attempt, best or last as configured) is published as a ``grade`` event; the platform applies ``weight``.

**State that survives the instructor's tools.** Open edX's "reset attempts" writes ``state["attempts"] = 0`` into
the block's ``StudentModule`` row, "delete state" removes the row, "rescore" calls ``rescore(only_if_higher)``
(edx-platform ``lms/djangoapps/instructor/enrollment.py`` and ``instructor_task/tasks_helper/module_state.py``).
So ``attempts`` is the Integer count the platform expects (used attempts since the last reset), and the answers
live in a separately named ``attempt_history``. Scores are always regraded from that history with the current
questions, so ``get_score``, ``max_score`` and the percentage shown stay consistent after content changes.
"""
from __future__ import annotations

from datetime import datetime, timezone

from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Float, Integer, List, Scope, String
from xblock.scorable import Score, ScorableXBlockMixin

from vamos_core.block_fields import quiz_from_fields, quiz_problems
from vamos_core.grading import InvalidAnswer, QuizResult, attempts_left, counting_score, grade_quiz, meets
from vamos_core.model import Question, QuestionType, Quiz, QuizDisplay
from vamos_core.option_order import option_order

from .base import EditableField, VamosBlockBase, require_mapping
from .i18n import _
from .workbench import quiz_scenarios

MAX_SELECTED = 20


class AttemptCount(Integer):
    """The attempt counter Open edX resets. Tolerates state written by older versions (a list of attempts)."""

    def from_json(self, value):
        if isinstance(value, list):
            return len(value)
        try:
            return max(0, int(value or 0))
        except (TypeError, ValueError):
            return 0


def _clean_answers(quiz: Quiz, answers: dict) -> dict[str, list[str]]:
    """Stored answers reduced to what the current content still knows (for regrading after content edits)."""
    cleaned = {}
    for question in quiz.questions:
        chosen = [o for o in (answers or {}).get(question.id, []) if question.option(o) is not None]
        if question.type is QuestionType.SINGLE and len(chosen) > 1:
            chosen = []
        cleaned[question.id] = chosen
    return cleaned


def scoring_choices(block) -> list[tuple[str, str]]:
    return [("best", block._("Best attempt counts")), ("last", block._("Last attempt counts"))]


def display_choices(block) -> list[tuple[str, str]]:
    return [("one_per_page", block._("One question per page")), ("all_on_one_page", block._("All questions on one page"))]


@XBlock.needs("i18n")
@XBlock.wants("user")
class QuizBlock(ScorableXBlockMixin, VamosBlockBase):
    """The module's final quiz: single and multiple choice, feedback per option, limited attempts."""

    icon_class = "problem"
    has_score = True

    display_name = String(display_name=_("Display name"), help=_("Name shown in the course navigation."),
                          scope=Scope.settings, default=_("Final quiz"))
    weight = Float(display_name=_("Problem weight"),
                   help=_("How many points the quiz is worth in the course grade (the platform scales the raw score)."),
                   scope=Scope.settings, default=1.0, values={"min": 0, "step": 0.1}, enforce_type=True)
    max_attempts = Integer(display_name=_("Attempts"), help=_("How many attempts a learner has (0 = unlimited)."),
                           scope=Scope.settings, default=0)
    passing_score = Float(display_name=_("Passing score (%)"),
                          help=_("Percentage of the points needed to pass (0 to 100)."), scope=Scope.settings,
                          default=70.0)
    attempt_scoring = String(display_name=_("Counting attempt"), help=_("Which attempt counts for the score."),
                             scope=Scope.settings, default="best")
    quiz_display = String(display_name=_("Display"), help=_("How the questions are shown."), scope=Scope.settings,
                          default="one_per_page")
    shuffle_options = Boolean(display_name=_("Shuffle options"),
                              help=_("Show the options in a random order per learner and attempt."),
                              scope=Scope.settings, default=True)
    questions = List(help=_("The questions: prompt, options with feedback, explanation."), scope=Scope.content, default=[])
    lessons = List(help=_("The module's lessons (id and title), for 'revisit the lesson' hints."), scope=Scope.content,
                   default=[])

    attempts = AttemptCount(help=_("Attempts used since the last reset by the course team."), scope=Scope.user_state,
                            default=0)
    attempt_history = List(help=_("Every attempt: answers, points, percent, time (kept across resets)."),
                           scope=Scope.user_state, default=[])
    raw_earned = Float(help=_("Raw points of the counting attempt."), scope=Scope.user_state, default=None)
    raw_possible = Float(help=_("Raw points possible."), scope=Scope.user_state, default=None)

    editable_fields = (
        EditableField("display_name"),
        EditableField("weight", "number"),
        EditableField("max_attempts", "number"),
        EditableField("passing_score", "number"),
        EditableField("attempt_scoring", "select", scoring_choices),
        EditableField("quiz_display", "select", display_choices),
        EditableField("shuffle_options", "checkbox"),
    )
    extra_editable = ("questions",)

    @staticmethod
    def workbench_scenarios():
        return quiz_scenarios()

    # --- content --------------------------------------------------------------------------------------------

    def quiz(self) -> Quiz:
        return quiz_from_fields(self.content_values())

    def history(self) -> list[dict]:
        return [a for a in (self.attempt_history or []) if isinstance(a, dict)]

    def regraded(self, quiz: Quiz | None = None) -> list[QuizResult]:
        """Every stored attempt graded with the current questions (removed questions and options drop out)."""
        quiz = quiz or self.quiz()
        return [grade_quiz(quiz, _clean_answers(quiz, a.get("answers", {}))) for a in self.history()]

    def counting_percents(self) -> list[float]:
        """Percent of each attempt with the current content: what the module block's completion rule reads."""
        return [result.percent for result in self.regraded()]

    # --- scoring (ScorableXBlockMixin) ----------------------------------------------------------------------

    def max_score(self):
        return self.quiz().max_points

    def has_submitted_answer(self):
        return bool(self.history())

    def get_score(self):
        """The persisted score; never one computed against other questions than the current ones."""
        if self.raw_earned is None:
            return Score(0.0, float(self.max_score()))
        if self.raw_possible != float(self.max_score()):
            return self.calculate_score()  # content changed since the score was stored: regraded, consistent
        return Score(self.raw_earned, self.raw_possible)

    def set_score(self, score):
        self.raw_earned = float(score.raw_earned)
        self.raw_possible = float(score.raw_possible)

    def calculate_score(self):
        """Regrade every stored attempt with the current content; the counting attempt's points are the score."""
        quiz = self.quiz()
        points = [result.points for result in self.regraded(quiz)]
        earned = counting_score(points, quiz.settings.scoring)
        return Score(float(earned or 0.0), float(quiz.max_points))

    def rescore(self, only_if_higher):
        """Like the mixin (Open edX's rescore task calls it), but the block keeps the score the LMS keeps."""
        if not self.has_submitted_answer():
            raise ValueError(self._("Cannot rescore unanswered problem: {}").format(self.scope_ids.usage_id))
        new = self.calculate_score()
        old = self.get_score()
        keep_old = only_if_higher and old.raw_possible and new.raw_possible and (
            new.raw_earned / new.raw_possible <= old.raw_earned / old.raw_possible)
        if not keep_old:
            self.set_score(new)
        self._publish_grade(new, only_if_higher)

    # --- presentation ---------------------------------------------------------------------------------------

    def option_order(self, question: Question) -> list:
        """Options as shown: shuffled per learner and attempt (the next attempt = attempts in the history so far,
        which a reset by the course team does not shorten, so a reset still gives a new order)."""
        return option_order(question, f"{self.scope_ids.user_id}:{self.module_id}", str(len(self.history())),
                            bool(self.shuffle_options))

    def attempts_left(self, quiz: Quiz) -> int | None:
        return attempts_left(self.attempts or 0, quiz.settings.max_attempts)

    def lesson_title(self, lesson_id: str | None) -> str:
        return next((item.get("title", "") for item in self.lessons if item.get("id") == lesson_id), "") if lesson_id else ""

    def result_context(self, quiz: Quiz, attempt: dict) -> dict:
        """What the learner sees after an attempt: per question, feedback on every chosen option."""
        answers = _clean_answers(quiz, attempt.get("answers", {}))
        result = grade_quiz(quiz, answers)
        questions = []
        for question, graded in zip(quiz.questions, result.results):
            chosen = [question.option(o) for o in answers[question.id]]
            questions.append({
                "id": question.id,
                "prompt": question.prompt,
                "status": "correct" if graded.correct else ("partial" if graded.fraction > 0 else "incorrect"),
                "status_label": (self._("Correct") if graded.correct else
                                 self._("Partly correct") if graded.fraction > 0 else self._("Not correct")),
                "points": _num(graded.points),
                "max_points": _num(graded.max_points),
                "chosen": [{"text": o.text, "correct": o.correct, "feedback": o.feedback} for o in chosen],
                "explanation": question.explanation,
                "lesson": self.lesson_title(question.lesson),
            })
        return {"questions": questions, **self.summary(quiz, result)}

    def summary(self, quiz: Quiz, last: QuizResult | None) -> dict:
        percents = [result.percent for result in self.regraded(quiz)]
        counting = counting_score(percents, quiz.settings.scoring)
        passed = counting is not None and meets(counting, self.passing_score)
        left = self.attempts_left(quiz)
        return {
            "last_percent": _num(round(last.percent, 1)) if last else None,
            "counting_percent": _num(round(counting, 1)) if counting is not None else None,
            "passing_score": _num(self.passing_score),
            "passed": passed,
            "attempts_used": self.attempts or 0,
            "attempts_left": left,
            "can_retry": left is None or left > 0,
        }

    def strings(self) -> dict:
        t = {
            "submit": self._("Submit answers"),
            "next": self._("Next question"),
            "previous": self._("Previous question"),
            "retry": self._("Try again"),
            "unanswered": self._("Please answer every question."),
            "error": self._("Could not submit. Please try again."),
            "single_hint": self._("Choose one answer."),
            "multiple_hint": self._("Choose all correct answers."),
            "question_of": self._("Question {number} of {total}"),
            "your_result": self._("Your result"),
            "explanation": self._("Explanation"),
            "revisit": self._("Revisit the lesson:"),
            "passed": self._("Passed. Well done!"),
            "not_passed": self._("Not passed yet."),
            "no_attempts": self._("You have used all attempts."),
            "not_available": self._("This quiz has no questions yet. Please tell the course team."),
            "public": self._("Sign in and enrol to take the quiz."),
            "rule": self._("You pass with {score} percent of the points.").format(score=_num(self.passing_score)),
            "attempts_rule": (self._("Attempts: {max}.").format(max=self.max_attempts) if self.max_attempts
                              else self._("Unlimited attempts.")),
        }
        return t

    def question_items(self, quiz: Quiz) -> list[dict]:
        return [
            {"id": q.id, "number": number, "prompt": q.prompt, "multiple": q.type is QuestionType.MULTIPLE,
             "options": [{"id": o.id, "text": o.text} for o in self.option_order(q)]}
            for number, q in enumerate(quiz.questions, start=1)
        ]

    @XBlock.supports("multi_device")  # a view decorator: the mobile apps check student_view itself
    def student_view(self, context=None):  # pylint: disable=unused-argument
        quiz = self.quiz()
        t = self.strings()
        if not quiz.questions:
            html = self.render_template("templates/quiz.html", {"t": t, "available": False, "title": self.display_name,
                                                                **self.language_context()})
            return self.fragment(html, None)
        history = self.history()
        result = self.result_context(quiz, history[-1]) if history else None
        summary = result or self.summary(quiz, None)
        one_per_page = quiz.settings.display is QuizDisplay.ONE_PER_PAGE
        html = self.render_template("templates/quiz.html", {
            "t": t,
            "available": True,
            "title": self.display_name,
            **self.language_context(),
            "questions": self.question_items(quiz),
            "one_per_page": one_per_page,
            "result_html": self.render_template("templates/quiz_result.html", {"t": t, "r": result}) if result else "",
            "can_submit": summary["can_retry"],
        })
        return self.fragment(html, "VamosQuizBlock", {"strings": t, "one_per_page": one_per_page,
                                                      "total": len(quiz.questions)})

    def public_view(self, context=None):  # pylint: disable=unused-argument
        t = self.strings()
        html = self.render_template("templates/quiz.html", {"t": t, "available": False, "public": True,
                                                            "title": self.display_name, **self.language_context()})
        return self.fragment(html, None)

    def author_view(self, context=None):  # pylint: disable=unused-argument
        quiz = self.quiz()
        lines = [self._("{count} questions · {points} points · pass with {score} % · {attempts}").format(
            count=len(quiz.questions), points=_num(quiz.max_points), score=_num(self.passing_score),
            attempts=self.strings()["attempts_rule"])]
        lines += [f"{number}. {q.prompt}" for number, q in enumerate(quiz.questions, start=1)]
        return self.fragment(self.author_summary_html(self.display_name, lines), None)

    def student_view_data(self, context=None):  # pylint: disable=unused-argument
        """The quiz structure for the mobile apps: prompts and options, never which option is correct."""
        quiz = self.quiz()
        return {
            "type": "vamos_quiz",
            "module_id": self.module_id,
            "title": self.display_name,
            "passing_score": self.passing_score,
            "max_attempts": self.max_attempts,
            "attempt_scoring": quiz.settings.scoring.value,
            "display": quiz.settings.display.value,
            "max_points": quiz.max_points,
            "questions": [
                {"id": q.id, "type": q.type.value, "prompt": q.prompt, "points": q.points,
                 "options": [{"id": o.id, "text": o.text} for o in q.options]}
                for q in quiz.questions
            ],
        }

    def index_dictionary(self):
        quiz = self.quiz()
        text = " ".join(q.prompt + " " + " ".join(o.text for o in q.options) for q in quiz.questions)
        return {"content": {"display_name": self.display_name, "text": text}, "content_type": "CAPA"}

    # --- handlers -------------------------------------------------------------------------------------------

    @XBlock.json_handler
    def submit(self, data, suffix=""):  # pylint: disable=unused-argument
        """Grade one attempt on the server. Body: ``{"answers": {question_id: [option_id, …]}}``."""
        body = require_mapping(data, {"answers"}, self._)
        raw = body.get("answers")
        if not isinstance(raw, dict):
            raise JsonHandlerError(400, self._("'answers' must map question ids to lists of option ids."))
        answers: dict[str, list[str]] = {}
        for question_id, chosen in raw.items():
            if (not isinstance(chosen, list) or len(chosen) > MAX_SELECTED
                    or not all(isinstance(o, str) for o in chosen) or len(set(chosen)) != len(chosen)):
                raise JsonHandlerError(400, self._("'answers' must map question ids to lists of option ids."))
            answers[str(question_id)] = list(chosen)
        quiz = self.quiz()
        if not quiz.questions:
            raise JsonHandlerError(400, self._("This quiz has no questions yet. Please tell the course team."))
        if self.attempts_left(quiz) == 0:
            raise JsonHandlerError(403, self._("You have used all attempts."))
        try:
            result = grade_quiz(quiz, answers)
        except InvalidAnswer as exc:
            raise JsonHandlerError(400, self._("Invalid answer: {detail}").format(detail=str(exc))) from None
        attempt = {
            "answers": {q.id: sorted(answers.get(q.id, [])) for q in quiz.questions},
            "points": result.points,
            "percent": result.percent,
            "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.attempt_history = self.history() + [attempt]
        self.attempts = (self.attempts or 0) + 1
        score = self.calculate_score()
        self.set_score(score)
        # "last" may lower the score, so the platform must not keep the higher one; "best" never drops anyway.
        self._publish_grade(score, None)
        outcome = self.result_context(quiz, attempt)
        t = self.strings()
        return {**{k: v for k, v in outcome.items() if k != "questions"},
                "result_html": self.render_template("templates/quiz_result.html", {"t": t, "r": outcome})}

    # --- instructor report ----------------------------------------------------------------------------------

    def generate_report_data(self, user_state_iterator, limit_responses=None):
        """One row per learner and question of the learner's last attempt (Open edX "problem responses" report)."""
        quiz = self.quiz()
        count = 0
        for user_state in user_state_iterator:
            history = [a for a in (user_state.state or {}).get("attempt_history") or [] if isinstance(a, dict)]
            if not history:
                continue
            attempt = history[-1]
            answers = _clean_answers(quiz, attempt.get("answers", {}))
            result = grade_quiz(quiz, answers)
            for question, graded in zip(quiz.questions, result.results):
                if limit_responses is not None and count >= limit_responses:
                    return
                chosen = [question.option(o) for o in answers[question.id]]
                yield user_state.username, {
                    "Module": self.module_id,
                    "Question ID": question.id,
                    "Question": question.prompt,
                    "Answer ID": ", ".join(o.id for o in chosen),
                    "Answer": " | ".join(o.text for o in chosen),
                    "Correct Answer": " | ".join(o.text for o in question.options if o.correct),
                    "Points": _num(graded.points),
                    "Max Points": _num(graded.max_points),
                    "Attempt": len(history),
                    "Quiz Percent": _num(round(result.percent, 1)),
                    "Submitted At": attempt.get("submitted_at", ""),
                }
                count += 1

    # --- Studio ---------------------------------------------------------------------------------------------

    def studio_extra_html(self) -> str:
        lessons = [("", "—")] + [(item.get("id", ""), item.get("title", "")) for item in self.lessons]
        blank = {"is_template": True, "id": "", "type": "single", "points": 1, "prompt": "", "explanation": "",
                 "options": [{"id": "", "text": "", "correct": False, "feedback": ""}]}
        items = [{**q, "points": str(_num(float(q.get("points", 1))))} for q in self.questions if isinstance(q, dict)]
        return self.render_template("templates/quiz_editor.html", {
            "items": items + [blank], "lessons": lessons, "t": self.editor_strings()})

    def editor_strings(self) -> dict:
        return {
            "questions": self._("Questions"), "question": self._("Question"), "id": self._("Id"),
            "prompt": self._("Question text"), "type": self._("Type"), "single": self._("Single choice"),
            "multiple": self._("Multiple choice"), "points": self._("Points"), "lesson": self._("Lesson"),
            "scoring": self._("Scoring (multiple choice)"), "partial": self._("Partial credit"),
            "all_or_nothing": self._("All or nothing"), "options": self._("Options"), "option": self._("Option"),
            "text": self._("Text"), "correct": self._("Correct"), "feedback": self._("Feedback"),
            "explanation": self._("Explanation"), "add_question": self._("Add question"),
            "add_option": self._("Add option"),
            "q_up": self._("Move question up"), "q_down": self._("Move question down"),
            "q_remove": self._("Remove question"), "o_up": self._("Move option up"),
            "o_down": self._("Move option down"), "o_remove": self._("Remove option"),
        }

    def validate_studio_values(self, values):
        errors = super().validate_studio_values(values)
        weight = values.get("weight")
        if weight is not None and not 0 <= float(weight) <= 1000:
            errors["weight"] = self._("The weight must be between 0 and 1000.")
        lesson_ids = [item.get("id") for item in values.get("lessons") or self.lessons]
        for name, message in quiz_problems(values, lesson_ids).items():
            errors.setdefault(name, self.translate_problem(message))
        return errors


def _num(value: float) -> float | int:
    """2.0 → 2 for display and JSON; other values unchanged."""
    return int(value) if float(value).is_integer() else value
