"""Property-based tests (hypothesis) of quiz grading, attempt scoring and the module completion rule."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vamos_core.completion import is_complete, module_state
from vamos_core.grading import InvalidAnswer, counting_score, grade_question, grade_quiz
from vamos_core.model import (
    AttemptScoring, CompletionRule, Lesson, Module, MultipleScoring, Option, Question, QuestionType, Quiz, QuizSettings,
)

OPTION_IDS = list("abcdefgh")


@st.composite
def questions(draw, qtype=None):
    qtype = qtype or draw(st.sampled_from(list(QuestionType)))
    n = draw(st.integers(2, 8))
    if qtype is QuestionType.SINGLE:
        correct = {draw(st.integers(0, n - 1))}
    else:
        correct = set(draw(st.lists(st.integers(0, n - 1), min_size=1, unique=True)))
    options = tuple(Option(OPTION_IDS[i], f"Option {i}", i in correct, "fb") for i in range(n))
    scoring = draw(st.sampled_from(list(MultipleScoring)))
    points = draw(st.sampled_from([0.5, 1, 2, 3, 2.5]))
    return Question(f"q-{n}", qtype, "Frage?", options, "Erklärung", points=points, scoring=scoring)


def selections(question: Question):
    ids = [o.id for o in question.options]
    if question.type is QuestionType.SINGLE:
        return st.one_of(st.just(frozenset()), st.sampled_from(ids).map(lambda i: frozenset({i})))
    return st.frozensets(st.sampled_from(ids))


@given(st.data())
def test_score_is_between_zero_and_points(data):
    question = data.draw(questions())
    chosen = data.draw(selections(question))
    result = grade_question(question, chosen)
    assert 0 <= result.points <= question.points
    assert 0 <= result.fraction <= 1


@given(st.data())
def test_exact_answer_earns_full_points_and_only_it_is_correct(data):
    question = data.draw(questions())
    assert grade_question(question, question.correct_ids).points == question.points
    chosen = data.draw(selections(question))
    assert grade_question(question, chosen).correct == (chosen == question.correct_ids)


@given(questions(QuestionType.MULTIPLE))
def test_partial_credit_rule(question):
    """Stated rule: +1/C per chosen correct option, -1/W per chosen wrong option, clamped to [0, 1]."""
    question = Question(question.id, question.type, question.prompt, question.options, question.explanation,
                        question.points, scoring=MultipleScoring.PARTIAL)
    all_ids = frozenset(o.id for o in question.options)
    wrong = all_ids - question.correct_ids
    # choosing everything earns nothing when there is any wrong option (guessing does not pay)
    assert grade_question(question, all_ids).points == (0 if wrong else question.points)
    assert grade_question(question, frozenset()).points == 0
    # each correct option alone earns exactly 1/C
    for option_id in question.correct_ids:
        assert grade_question(question, {option_id}).fraction == Fraction(1, len(question.correct_ids))


@given(st.data())
def test_partial_credit_is_monotonic(data):
    """Adding a correct option never lowers the score; adding a wrong one never raises it."""
    question = data.draw(questions(QuestionType.MULTIPLE))
    question = Question(question.id, question.type, question.prompt, question.options, question.explanation,
                        question.points, scoring=MultipleScoring.PARTIAL)
    chosen = data.draw(selections(question))
    base = grade_question(question, chosen).fraction
    for option in question.options:
        more = grade_question(question, chosen | {option.id}).fraction
        assert (more >= base) if option.correct else (more <= base)


@given(questions(QuestionType.MULTIPLE), st.data())
def test_all_or_nothing(question, data):
    question = Question(question.id, question.type, question.prompt, question.options, question.explanation,
                        question.points, scoring=MultipleScoring.ALL_OR_NOTHING)
    chosen = data.draw(selections(question))
    assert grade_question(question, chosen).points in (0, question.points)


@given(questions(QuestionType.SINGLE))
def test_single_choice_refuses_two_answers_and_unknown_options(question):
    with pytest.raises(InvalidAnswer):
        grade_question(question, {"a", "b"})
    with pytest.raises(InvalidAnswer):
        grade_question(question, {"zz"})


@given(st.lists(questions(), min_size=1, max_size=6, unique_by=lambda q: q.id), st.data())
def test_quiz_percent_is_points_over_max(qs, data):
    quiz = Quiz(QuizSettings(), tuple(qs))
    answers = {q.id: data.draw(selections(q)) for q in qs}
    result = grade_quiz(quiz, answers)
    assert result.max_points == pytest.approx(sum(q.points for q in qs))
    assert result.percent == pytest.approx(100 * sum(r.points for r in result.results) / result.max_points)
    assert 0 <= result.percent <= 100


@given(st.lists(st.floats(0, 100), min_size=1, max_size=10))
def test_best_and_last_attempt(percents):
    assert counting_score(percents, AttemptScoring.BEST) == max(percents)
    assert counting_score(percents, AttemptScoring.LAST) == percents[-1]
    assert counting_score([], AttemptScoring.BEST) is None


# --- completion rule ----------------------------------------------------------------------------------------

def make_module(n_lessons: int, rule: CompletionRule, scoring=AttemptScoring.BEST) -> Module:
    lessons = tuple(Lesson(f"l{i}", f"Lektion {i}", 5, (), "Text", 1) for i in range(n_lessons))
    question = Question("q", QuestionType.SINGLE, "?", (Option("a", "A", True, "f"), Option("b", "B", False, "f")), "e")
    return Module(
        id="m", title="M", summary="S", version="1", language="de", target_group="T", estimated_minutes=10,
        objectives=(), lessons=lessons, quiz=Quiz(QuizSettings(scoring=scoring), (question,)), completion=rule,
        glossary=(), sources=(), disclaimer="keine Rechts- oder Steuerberatung", path=Path("."),
    )


rules = st.builds(CompletionRule, st.booleans(), st.booleans(), st.floats(0, 100))


@given(st.integers(1, 8), rules, st.data())
@settings(max_examples=200)
def test_completion_rule_matches_its_definition(n, rule, data):
    module = make_module(n, rule)
    done = data.draw(st.frozensets(st.sampled_from(module.lesson_ids)))
    score = data.draw(st.one_of(st.none(), st.floats(0, 100)))
    expected = (not rule.require_all_lessons or done == set(module.lesson_ids)) and (
        not rule.require_quiz_pass or (score is not None and score + 1e-9 >= rule.passing_score)
    )
    assert is_complete(module, done, score) == expected


@given(st.integers(1, 8), rules, st.data(), st.sampled_from(list(AttemptScoring)))
def test_module_state_is_consistent(n, rule, data, scoring):
    module = make_module(n, rule, scoring)
    done = data.draw(st.frozensets(st.sampled_from(module.lesson_ids + ("fremd",))))
    attempts = data.draw(st.lists(st.floats(0, 100), max_size=5))
    state = module_state(module, done, attempts)
    assert "fremd" not in state.lessons_done  # lessons of other modules never count
    assert state.completed == is_complete(module, state.lessons_done, state.quiz_score)
    assert (state.percent == 100) == state.completed
    assert 0 <= state.percent <= 100
    assert state.started == bool(state.lessons_done or attempts)


@given(st.integers(1, 8), st.data())
def test_more_progress_never_lowers_percent(n, data):
    module = make_module(n, CompletionRule())
    done = data.draw(st.frozensets(st.sampled_from(module.lesson_ids)))
    extra = data.draw(st.sampled_from(module.lesson_ids))
    attempts = data.draw(st.lists(st.floats(0, 100), max_size=3))
    assume(True)
    assert module_state(module, done | {extra}, attempts).percent >= module_state(module, done, attempts).percent
