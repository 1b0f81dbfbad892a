"""``vamos_quiz``: the final quiz of a module, graded on the server by the core.

The browser sends only which options were chosen; points, feedback and the score come from
``vamos_core.grading``. The raw score (earned / possible points of the counting attempt, best or last as the
module says) is published as a ``grade`` event; the platform applies the block's ``weight``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Float, List, Scope, String
from xblock.scorable import Score, ScorableXBlockMixin

from vamos_core.grading import InvalidAnswer, QuizResult, attempts_left, counting_score, grade_quiz, meets
from vamos_core.model import Module, Question, QuestionType, Quiz, QuizDisplay
from vamos_core.option_order import option_order

from .base import EditableField, VamosBlockBase, module_choices, require_mapping
from .i18n import _
from .workbench import quiz_scenarios

MAX_SELECTED = 20


def _clean_answers(quiz: Quiz, answers: dict) -> dict[str, list[str]]:
    """Stored answers reduced to what the current content still knows (for regrading after content edits)."""
    cleaned = {}
    for question in quiz.questions:
        chosen = [o for o in answers.get(question.id, []) if question.option(o) is not None]
        if question.type is QuestionType.SINGLE and len(chosen) > 1:
            chosen = []
        cleaned[question.id] = chosen
    return cleaned


@XBlock.needs("i18n")
@XBlock.wants("user")
class QuizBlock(ScorableXBlockMixin, VamosBlockBase):
    """The module's final quiz: single and multiple choice, feedback per option, limited attempts."""

    icon_class = "problem"
    has_score = True

    display_name = String(
        display_name=_("Display name"),
        help=_("Name shown in the course navigation."),
        scope=Scope.settings,
        default=_("Final quiz"),
    )
    weight = Float(
        display_name=_("Problem weight"),
        help=_("How many points the quiz is worth in the course grade (the platform scales the raw score)."),
        scope=Scope.settings,
        default=1.0,
        values={"min": 0, "step": 0.1},
        enforce_type=True,
    )
    attempts = List(help=_("The learner's attempts: answers, points, percent, time."), scope=Scope.user_state, default=[])
    raw_earned = Float(help=_("Raw points of the counting attempt."), scope=Scope.user_state, default=None)
    raw_possible = Float(help=_("Raw points possible."), scope=Scope.user_state, default=None)

    editable_fields = (
        EditableField("display_name"),
        EditableField("module_id", "select", module_choices),
        EditableField("weight", "number"),
    )

    @staticmethod
    def workbench_scenarios():
        return quiz_scenarios()

    # --- scoring (ScorableXBlockMixin) ----------------------------------------------------------------------

    def max_score(self):
        module = self.get_module()
        return module.quiz.max_points if module else 0

    def has_submitted_answer(self):
        return bool(self.attempts)

    def get_score(self):
        if self.raw_earned is None:
            return Score(0.0, float(self.max_score()))
        return Score(self.raw_earned, self.raw_possible)

    def set_score(self, score):
        self.raw_earned = float(score.raw_earned)
        self.raw_possible = float(score.raw_possible)

    def calculate_score(self):
        """Regrade every stored attempt with the current content; the counting attempt's points are the score."""
        module = self.get_module()
        if module is None:
            return self.get_score()
        points = [grade_quiz(module.quiz, _clean_answers(module.quiz, a.get("answers", {}))).points for a in self.attempts]
        earned = counting_score(points, module.quiz.settings.scoring)
        return Score(float(earned or 0.0), float(module.quiz.max_points))

    # --- presentation ---------------------------------------------------------------------------------------

    def option_order(self, question: Question) -> list:
        """Options as shown: shuffled per learner and attempt (the next attempt = attempts stored so far)."""
        module = self.get_module()
        return option_order(question, f"{self.scope_ids.user_id}:{self.module_id}", str(len(self.attempts)),
                            bool(module and module.quiz.settings.shuffle_options))

    def attempts_left(self, module: Module) -> int | None:
        return attempts_left(len(self.attempts), module.quiz.settings.max_attempts)

    def result_context(self, module: Module, attempt: dict) -> dict:
        """What the learner sees after an attempt: per question, feedback on every chosen option."""
        result = grade_quiz(module.quiz, _clean_answers(module.quiz, attempt.get("answers", {})))
        questions = []
        for question, graded in zip(module.quiz.questions, result.results):
            chosen = [question.option(o) for o in attempt["answers"].get(question.id, []) if question.option(o)]
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
                "lesson": (module.lesson(question.lesson).title if question.lesson and module.lesson(question.lesson) else ""),
            })
        return {"questions": questions, **self.summary(module, result)}

    def summary(self, module: Module, last: QuizResult | None) -> dict:
        percents = [float(a["percent"]) for a in self.attempts]
        counting = counting_score(percents, module.quiz.settings.scoring)
        passing = module.completion.passing_score
        passed = counting is not None and meets(counting, passing)
        left = self.attempts_left(module)
        return {
            "last_percent": _num(round(last.percent, 1)) if last else None,
            "counting_percent": _num(round(counting, 1)) if counting is not None else None,
            "passing_score": _num(passing),
            "passed": passed,
            "attempts_used": len(self.attempts),
            "attempts_left": left,
            "can_retry": left is None or left > 0,
        }

    def strings(self, module: Module | None) -> dict:
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
            "not_available": self._("This quiz is not available. Please tell the course team."),
        }
        if module is not None:
            t["rule"] = self._("You pass with {score} % of the points.").format(score=_num(module.completion.passing_score))
            max_attempts = module.quiz.settings.max_attempts
            t["attempts_rule"] = (
                self._("Attempts: {max}.").format(max=max_attempts) if max_attempts else self._("Unlimited attempts.")
            )
        return t

    def student_view(self, context=None):  # pylint: disable=unused-argument
        module = self.get_module()
        t = self.strings(module)
        if module is None or not module.quiz.questions:
            html = self.render_template("templates/quiz.html", {"t": t, "available": False, "title": self.display_name})
            return self.fragment(html, None)
        questions = [
            {
                "id": q.id,
                "number": number,
                "prompt": q.prompt,
                "multiple": q.type is QuestionType.MULTIPLE,
                "options": [{"id": o.id, "text": o.text} for o in self.option_order(q)],
            }
            for number, q in enumerate(module.quiz.questions, start=1)
        ]
        result = self.result_context(module, self.attempts[-1]) if self.attempts else None
        summary = result or self.summary(module, None)
        html = self.render_template("templates/quiz.html", {
            "t": t,
            "available": True,
            "title": self.display_name,
            "lang": module.language,
            "questions": questions,
            "one_per_page": module.quiz.settings.display is QuizDisplay.ONE_PER_PAGE,
            "result_html": self.render_template("templates/quiz_result.html", {"t": t, "r": result}) if result else "",
            "can_submit": summary["can_retry"],
        })
        return self.fragment(html, "VamosQuizBlock", {
            "strings": t,
            "one_per_page": module.quiz.settings.display is QuizDisplay.ONE_PER_PAGE,
            "total": len(questions),
        })

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
        module = self.get_module()
        if module is None or not module.quiz.questions:
            raise JsonHandlerError(400, self._("This quiz is not available. Please tell the course team."))
        if self.attempts_left(module) == 0:
            raise JsonHandlerError(403, self._("You have used all attempts."))
        try:
            result = grade_quiz(module.quiz, answers)
        except InvalidAnswer as exc:
            raise JsonHandlerError(400, self._("Invalid answer: {detail}").format(detail=str(exc))) from None
        attempt = {
            "answers": {q.id: sorted(answers.get(q.id, [])) for q in module.quiz.questions},
            "points": result.points,
            "percent": result.percent,
            "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.attempts = self.attempts + [attempt]
        score = self.calculate_score()
        self.set_score(score)
        self._publish_grade(score)
        self.update_progress_record(attempts=[float(a["percent"]) for a in self.attempts])
        outcome = self.result_context(module, attempt)
        t = self.strings(module)
        return {**{k: v for k, v in outcome.items() if k != "questions"},
                "result_html": self.render_template("templates/quiz_result.html", {"t": t, "r": outcome})}

    # --- instructor report ----------------------------------------------------------------------------------

    def generate_report_data(self, user_state_iterator, limit_responses=None):
        """One row per learner and question of the learner's last attempt (Open edX "problem responses" report)."""
        module = self.get_module()
        if module is None:
            return
        count = 0
        for user_state in user_state_iterator:
            attempts = (user_state.state or {}).get("attempts") or []
            if not attempts:
                continue
            attempt = attempts[-1]
            answers = _clean_answers(module.quiz, attempt.get("answers", {}))
            result = grade_quiz(module.quiz, answers)
            for question, graded in zip(module.quiz.questions, result.results):
                if limit_responses is not None and count >= limit_responses:
                    return
                chosen = [question.option(o) for o in answers[question.id]]
                yield user_state.username, {
                    "Module": module.id,
                    "Question ID": question.id,
                    "Question": question.prompt,
                    "Answer ID": ", ".join(o.id for o in chosen),
                    "Answer": " | ".join(o.text for o in chosen),
                    "Correct Answer": " | ".join(o.text for o in question.options if o.correct),
                    "Points": _num(graded.points),
                    "Max Points": _num(graded.max_points),
                    "Attempt": len(attempts),
                    "Quiz Percent": _num(round(float(attempt.get("percent", 0.0)), 1)),
                    "Submitted At": attempt.get("submitted_at", ""),
                }
                count += 1

    # --- Studio ---------------------------------------------------------------------------------------------

    def validate_studio_values(self, values):
        errors = super().validate_studio_values(values)
        if not values.get("module_id"):
            errors.setdefault("module_id", self._("Choose the module of the quiz."))
        weight = values.get("weight")
        if weight is not None and not 0 <= float(weight) <= 1000:
            errors["weight"] = self._("The weight must be between 0 and 1000.")
        return errors


def _num(value: float) -> float | int:
    """2.0 → 2 for display and JSON; other values unchanged."""
    return int(value) if float(value).is_integer() else value
