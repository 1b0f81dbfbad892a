"""Quiz grading on the server. The browser only says which options were chosen; it never sends a score.

Partial credit for multiple choice (stated in course_content/README.md):
each chosen correct option earns 1/C, each chosen wrong option costs 1/W (C correct, W wrong options),
clamped to [0, 1] and multiplied by the question's points. Choosing everything therefore earns 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

from .model import AttemptScoring, MultipleScoring, Question, QuestionType, Quiz


class InvalidAnswer(ValueError):
    """The submitted answer does not fit the question (unknown option, two answers to a single choice…)."""


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    selected: frozenset[str]
    fraction: Fraction  # 0..1 of the question's points
    points: float
    max_points: float

    @property
    def correct(self) -> bool:
        return self.fraction == 1


@dataclass(frozen=True)
class QuizResult:
    results: tuple[QuestionResult, ...]
    points: float
    max_points: float

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    def passed(self, passing_score: float) -> bool:
        return meets(self.percent, passing_score)


def meets(percent: float, passing_score: float) -> bool:
    # A tiny tolerance: 2/3 of 3 points must count as 66.67 %, not fail on float noise.
    return percent + 1e-9 >= passing_score


def grade_question(question: Question, selected: Sequence[str] | frozenset[str]) -> QuestionResult:
    chosen = frozenset(selected)
    known = {o.id for o in question.options}
    unknown = chosen - known
    if unknown:
        raise InvalidAnswer(f"unknown option(s) {sorted(unknown)} for question '{question.id}'")
    correct = question.correct_ids
    if question.type is QuestionType.SINGLE:
        if len(chosen) > 1:
            raise InvalidAnswer(f"question '{question.id}' takes exactly one answer")
        fraction = Fraction(1) if chosen and chosen <= correct else Fraction(0)
    elif question.scoring is MultipleScoring.ALL_OR_NOTHING:
        fraction = Fraction(1) if chosen == correct else Fraction(0)
    else:
        wrong_total = len(known) - len(correct)
        earned = Fraction(len(chosen & correct), len(correct))
        penalty = Fraction(len(chosen - correct), wrong_total) if wrong_total else Fraction(0)
        fraction = min(Fraction(1), max(Fraction(0), earned - penalty))
    return QuestionResult(question.id, chosen, fraction, float(fraction * Fraction(str(question.points))), question.points)


def grade_quiz(quiz: Quiz, answers: Mapping[str, Sequence[str]]) -> QuizResult:
    """Grade a whole attempt. Unanswered questions score 0; answers to unknown questions are refused."""
    unknown = set(answers) - {q.id for q in quiz.questions}
    if unknown:
        raise InvalidAnswer(f"unknown question(s) {sorted(unknown)}")
    results = tuple(grade_question(q, answers.get(q.id, ())) for q in quiz.questions)
    return QuizResult(results, sum(r.points for r in results), quiz.max_points)


def counting_score(attempt_percents: Sequence[float], scoring: AttemptScoring) -> float | None:
    """The score that counts for the module: best or last attempt (None before any attempt)."""
    if not attempt_percents:
        return None
    return max(attempt_percents) if scoring is AttemptScoring.BEST else attempt_percents[-1]


def attempts_left(used: int, max_attempts: int, extra: int = 0) -> int | None:
    """Remaining attempts, or None for unlimited. ``extra``: attempts a trainer granted on top of the
    module's ``max_attempts`` (never changes an unlimited quiz)."""
    return None if max_attempts == 0 else max(0, max_attempts + extra - used)
