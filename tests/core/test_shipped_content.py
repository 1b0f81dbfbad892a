"""The six VAMOs modules as shipped: complete, structured as the didactic concept says, and current (2026)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vamos_core.content import load_catalog

ROOT = Path(__file__).resolve().parents[2]
MODULE_IDS = [
    "projektmanagement", "fuehrung-im-ehrenamt", "finanzierung", "kommunikation-im-verband",
    "vereinsgruendung-und-satzung", "verein-als-arbeitgeber",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "course_content")


def test_six_modules(catalog):
    assert sorted(catalog.modules) == sorted(MODULE_IDS)


@pytest.mark.parametrize("module_id", MODULE_IDS)
def test_module_is_complete(catalog, module_id):
    module = catalog.get(module_id)
    assert len(module.lessons) >= 6
    assert len(module.quiz.questions) >= 10
    assert any(q.type.value == "multiple" for q in module.quiz.questions)
    assert len(module.glossary) >= 10
    assert len(module.sources) >= 3
    assert len(module.objectives) >= 4
    assert "Allgemeine Information, keine Rechts- oder Steuerberatung" in module.disclaimer
    assert module.language == "de"
    # the estimate covers at least the lessons themselves
    assert module.estimated_minutes >= module.lesson_minutes


@pytest.mark.parametrize("module_id", MODULE_IDS)
def test_lessons_follow_the_didactic_structure(catalog, module_id):
    for lesson in catalog.get(module_id).lessons:
        body = lesson.body_markdown
        where = f"{module_id}/{lesson.id}"
        assert 400 <= lesson.word_count <= 1200, f"{where}: {lesson.word_count} words"
        assert re.search(r"^:::\s*fall\b", body, re.M), f"{where}: no case (::: fall)"
        assert re.search(r"^:::\s*(checkliste|vorlage)\b", body, re.M), f"{where}: no checklist or template"
        assert re.search(r"^:::\s*aufgabe\b", body, re.M), f"{where}: no transfer task (::: aufgabe)"
        assert re.search(r"^##\s", body, re.M), f"{where}: no section headings"


@pytest.mark.parametrize("module_id", MODULE_IDS)
def test_every_question_explains_itself(catalog, module_id):
    for question in catalog.get(module_id).quiz.questions:
        assert len(question.explanation) >= 20, question.id
        assert all(option.feedback for option in question.options), question.id
        assert question.lesson, f"{question.id}: no lesson to revisit"


def module_text(module) -> str:
    parts = [lesson.body_markdown for lesson in module.lessons]
    parts += [q.prompt + " " + q.explanation + " ".join(o.text + o.feedback for o in q.options) for q in module.quiz.questions]
    parts += [t.definition for t in module.glossary]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "module_id, facts",
    [
        ("fuehrung-im-ehrenamt", ["960", "3.300", "§ 31a"]),
        ("finanzierung", ["50.000", "100.000", "300"]),
        ("projektmanagement", ["SMART", "Verwendungsnachweis"]),
        ("kommunikation-im-verband", ["§ 5 DDG", "§ 25 TDDDG", "§ 38"]),
        ("vereinsgruendung-und-satzung", ["§ 57", "§ 58", "Anlage 1 zu § 60 AO", "§ 77 BGB", "§ 60a AO", "§ 20a GwG"]),
        ("verein-als-arbeitgeber", ["603 €", "633 €", "§ 8 Abs. 2 SGB IV", "3.300 €", "960 €", "§ 7a SGB IV", "§ 127 SGB IV"]),
    ],
)
def test_current_legal_figures(catalog, module_id, facts):
    text = module_text(catalog.get(module_id))
    for fact in facts:
        assert fact in text, f"{module_id} does not mention {fact}"


# (concept, amount valid only before 2026): a sentence naming both must say that the amount is old.
OUTDATED = [
    ("Ehrenamtspauschale", "720 €"), ("Ehrenamtspauschale", "840 €"), ("Übungsleiter", "3.000 €"),
    ("Übungsleiter", "2.400 €"), ("Haftung", "840 €"), ("Freigrenze", "45.000 €"), ("Mittelverwendung", "45.000 €"),
    ("Mindestlohn", "12,82 €"), ("Minijob", "556 €"), ("Zuwendungsbestätigung", "200 €"),
]
HISTORY_MARKERS = ("bis 2025", "vorher", "früher", "bisher", "bis ende 2025", "alt", "war", "erhöht", "angehoben", "statt", "veraltet", "seit 2026", "ab 2026")


@pytest.mark.parametrize("module_id", MODULE_IDS)
def test_outdated_figures_only_as_history_or_distractor(catalog, module_id):
    """Amounts valid before 2026 may appear in lessons only in a sentence that says they are old."""
    for lesson in catalog.get(module_id).lessons:
        for sentence in re.split(r"(?<=[.!?])\s+|\n", lesson.body_markdown):
            for concept, amount in OUTDATED:
                if concept in sentence and amount in sentence:
                    assert any(m in sentence.lower() for m in HISTORY_MARKERS), (
                        f"{module_id}/{lesson.id}: '{amount}' next to '{concept}' without saying it is old: {sentence}"
                    )


@pytest.mark.parametrize("module_id", MODULE_IDS)
def test_gender_inclusive_language(catalog, module_id):
    text = module_text(catalog.get(module_id))
    assert re.search(r"\w\\?\*innen", text), f"{module_id}: no gender-inclusive forms (…*innen)"
