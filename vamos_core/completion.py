"""The module completion rule and the derived module state (percent, completed, passed)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .grading import counting_score, meets
from .model import Module


@dataclass(frozen=True)
class ModuleState:
    lessons_done: frozenset[str]
    lessons_total: int
    quiz_score: float | None  # the counting score in percent, None before any attempt
    quiz_attempts: int
    passed: bool  # quiz score reaches the passing score
    completed: bool  # the module's completion rule holds
    percent: int  # overall progress 0..100 for progress bars

    @property
    def started(self) -> bool:
        return bool(self.lessons_done) or self.quiz_attempts > 0


def module_state(module: Module, lessons_done: Iterable[str], attempt_percents: Sequence[float]) -> ModuleState:
    """Derive the state from facts (done lessons, attempt scores in order). Lessons not in the module are ignored."""
    done = frozenset(lessons_done) & set(module.lesson_ids)
    score = counting_score(attempt_percents, module.quiz.settings.scoring)
    passed = score is not None and meets(score, module.completion.passing_score)
    completed = is_complete(module, done, score)
    # Progress counts each lesson and the passed quiz as one step each.
    steps_total = len(module.lessons) + (1 if module.quiz.questions else 0)
    steps_done = len(done) + (1 if passed and module.quiz.questions else 0)
    percent = 100 if completed else min(99, (100 * steps_done) // steps_total) if steps_total else 0
    return ModuleState(done, len(module.lessons), score, len(attempt_percents), passed, completed, percent)


def is_complete(module: Module, lessons_done: Iterable[str], quiz_score: float | None) -> bool:
    rule = module.completion
    done = set(lessons_done)
    if rule.require_all_lessons and not set(module.lesson_ids) <= done:
        return False
    if rule.require_quiz_pass and module.quiz.questions:
        return quiz_score is not None and meets(quiz_score, rule.passing_score)
    return True
