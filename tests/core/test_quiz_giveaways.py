"""Quiz quality of the shipped modules: the form of a question must not give its answer away.

The reviewer of issue 18 found the correct option was the longest in most single-choice questions and sat
in one position in most questions of a module. These tests measure both on the authored quizzes, so the
patterns fail the build if they come back, and check that options are shown shuffled by default.
"""
from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest

from vamos_core.content import load_catalog
from vamos_core.model import QuestionType, QuizSettings
from vamos_core.option_order import option_order

ROOT = Path(__file__).resolve().parents[2]

# With 4 options, chance alone makes the correct option the strictly longest in ~25 % of questions.
MAX_LONGEST_SHARE_PER_MODULE = 0.30
MAX_LONGEST_SHARE_OVERALL = 0.25
# No authored position may hold more than this share of a module's correct answers.
MAX_SAME_POSITION_SHARE = 0.40
# Median length of the correct option ÷ mean length of the wrong options, per module.
MAX_MEDIAN_LENGTH_RATIO = 1.15


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "course_content")


def single_choice(module):
    return [q for q in module.quiz.questions if q.type is QuestionType.SINGLE]


def correct_index(question) -> int:
    return next(i for i, o in enumerate(question.options) if o.correct)


def correct_is_longest(question) -> bool:
    lengths = [len(o.text) for o in question.options]
    longest = max(lengths)
    return lengths[correct_index(question)] == longest and lengths.count(longest) == 1


def length_ratio(question) -> float:
    right = len(question.options[correct_index(question)].text)
    wrong = [len(o.text) for o in question.options if not o.correct]
    return right / (sum(wrong) / len(wrong))


def module_ids(catalog):
    return sorted(catalog.modules)


def test_measures_catch_the_old_patterns():
    """The measures themselves: a quiz where the answer is always the long option in place b fails them."""
    from vamos_core.model import Option, Question

    def q(n):
        return Question(id=f"q{n}", type=QuestionType.SINGLE, prompt="?", explanation="…", points=1, lesson=None,
                        options=(Option("a", "kurz", False, "f"), Option("b", "eine lange, genaue Antwort", True, "f"),
                                 Option("c", "kürzer", False, "f")))
    questions = [q(n) for n in range(5)]
    assert all(correct_is_longest(x) for x in questions)
    assert Counter(correct_index(x) for x in questions).most_common(1)[0][1] / len(questions) > MAX_SAME_POSITION_SHARE
    assert statistics.median(length_ratio(x) for x in questions) > MAX_MEDIAN_LENGTH_RATIO


def test_correct_option_is_rarely_the_longest(catalog):
    shares, total, longest = {}, 0, 0
    for module_id in module_ids(catalog):
        questions = single_choice(catalog.get(module_id))
        hits = [q.id for q in questions if correct_is_longest(q)]
        shares[module_id] = (len(hits), len(questions), hits)
        total += len(questions)
        longest += len(hits)
    too_many = {m: v for m, v in shares.items() if v[1] and v[0] / v[1] > MAX_LONGEST_SHARE_PER_MODULE}
    assert not too_many, f"correct option is the longest too often: {too_many}"
    assert longest / total <= MAX_LONGEST_SHARE_OVERALL, f"{longest} of {total} single-choice questions"


def test_correct_option_is_not_much_longer_than_the_others(catalog):
    for module_id in module_ids(catalog):
        ratios = [length_ratio(q) for q in single_choice(catalog.get(module_id))]
        if ratios:
            assert statistics.median(ratios) <= MAX_MEDIAN_LENGTH_RATIO, (module_id, round(statistics.median(ratios), 2))


def test_correct_positions_are_spread(catalog):
    for module_id in module_ids(catalog):
        questions = single_choice(catalog.get(module_id))
        if len(questions) < 4:
            continue
        positions = Counter(correct_index(q) for q in questions)
        position, count = positions.most_common(1)[0]
        assert count / len(questions) <= MAX_SAME_POSITION_SHARE, (
            f"{module_id}: option {position + 1} is correct in {count} of {len(questions)} questions")
        assert len(positions) >= 3, f"{module_id}: correct answers use only positions {sorted(positions)}"


def test_options_are_shuffled_by_default(catalog):
    assert QuizSettings().shuffle_options is True
    for module_id in module_ids(catalog):
        assert catalog.get(module_id).quiz.settings.shuffle_options, f"{module_id} shows options unshuffled"


def test_a_module_with_other_quiz_settings_tells_learners(catalog):
    """KV differs (all questions on one page, three attempts); learners read that in the module summary."""
    settings = {m: catalog.get(m).quiz.settings for m in module_ids(catalog)}
    usual = Counter((s.display, s.max_attempts) for s in settings.values()).most_common(1)[0][0]
    for module_id, s in settings.items():
        summary = catalog.get(module_id).summary
        if s.display != usual[0]:
            assert "auf einer Seite" in summary or "einzeln" in summary, f"{module_id}: display differs, summary silent"
        if s.max_attempts != usual[1]:
            assert "Versuch" in summary, f"{module_id}: attempts differ, summary silent"


def test_shuffle_is_stable_per_learner_and_attempt_and_varies_between_them(catalog):
    question = max((q for m in module_ids(catalog) for q in catalog.get(m).quiz.questions), key=lambda q: len(q.options))
    first = option_order(question, "learner-1", "attempt-1")
    assert first == option_order(question, "learner-1", "attempt-1")  # reload: same order
    assert sorted(o.id for o in first) == sorted(o.id for o in question.options)
    attempts = {tuple(o.id for o in option_order(question, "learner-1", f"attempt-{n}")) for n in range(30)}
    learners = {tuple(o.id for o in option_order(question, f"learner-{n}", "attempt-1")) for n in range(30)}
    assert len(attempts) > 1 and len(learners) > 1
    assert option_order(question, "learner-1", "attempt-1", shuffle=False) == list(question.options)


def test_correct_answer_lands_in_every_position_across_learners(catalog):
    """Shuffled, the correct option of every single-choice question appears first, second, … for someone."""
    for module_id in module_ids(catalog):
        for question in single_choice(catalog.get(module_id)):
            seen = {next(i for i, o in enumerate(option_order(question, f"l{n}", "1")) if o.correct) for n in range(60)}
            assert seen == set(range(len(question.options))), (module_id, question.id, seen)


def test_no_fact_is_asked_in_three_modules(catalog):
    """The 633 € Minijob limit (2027) was asked in PM, FE and FI. An amount, period or paragraph that a question
    asks for (prompt or correct option) may be asked in at most two modules."""
    import re
    from collections import defaultdict

    fact = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*(?:,\d+)? ?(?:€|%|Jahre|Personen)|§ ?\d+\w* \w+|Art\. \d+ \w+")
    asked = defaultdict(set)
    for module_id in module_ids(catalog):
        for q in catalog.get(module_id).quiz.questions:
            for found in fact.findall(q.prompt + " " + " ".join(o.text for o in q.options if o.correct)):
                asked[found].add(module_id)
    assert "633 €" in asked  # the measure sees the fact the reviewer named
    repeated = {f: sorted(m) for f, m in asked.items() if len(m) > 2}
    assert not repeated, repeated
