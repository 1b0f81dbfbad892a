"""Broken content: each case must yield the expected file:line: field message, and no partial load."""
from __future__ import annotations

import pytest

from vamos_core.content import ContentError, load_module, validate_paths

M = "module.yaml"
L1 = "lessons/erste-lektion.md"
Q = "quiz.yaml"
G = "glossary.yaml"

CASES = [
    # (name, file, old text, new text, expected file, line, field, message fragment)
    ("bad yaml", M, "title: Testmodul\n", "title: [Testmodul\n", M, 4, "yaml", "YAML syntax error"),
    ("unknown key", M, "language: de\n", "language: de\ncolour: blau\n", M, 7, "colour", "unknown key"),
    ("missing required", M, "summary: Ein kleines Modul für Tests.\n", "", M, 1, "summary", "required field is missing"),
    ("wrong type", M, "estimated_minutes: 30", "estimated_minutes: dreißig", M, 8, "estimated_minutes", "must be whole number"),
    ("id differs from folder", M, "id: testmodul", "id: anderes-modul", M, 2, "id", "must equal the folder name"),
    ("bad id", M, "  - id: ziel-zwei", "  - id: Ziel Zwei", M, 12, "objectives[1].id", "not a valid id"),
    ("duplicate objective id", M, "  - id: ziel-zwei", "  - id: ziel-eins", M, 12, "objectives[1].id", "duplicate id"),
    ("duplicate lesson id", M, "  - zweite-lektion\n", "  - zweite-lektion\n  - erste-lektion\n", M, 17, "lessons[2]", "duplicate lesson id"),
    ("missing lesson file", M, "  - zweite-lektion\n", "  - zweite-lektion\n  - dritte-lektion\n", M, 17, "lessons[2]", "does not exist"),
    ("bad passing score", M, "passing_score: 70", "passing_score: 170", M, 24, "completion.passing_score", "between 0 and 100"),
    ("disclaimer missing phrase", M, "Allgemeine Information, keine Rechts- oder Steuerberatung.", "Alles ohne Gewähr.", M, 29, "disclaimer", "keine Rechts- oder Steuerberatung"),
    ("unknown quiz scoring", M, "scoring: best", "scoring: average", M, 20, "quiz.scoring", "not one of"),
    ("missing correct answer", Q, "        correct: true\n        feedback: Richtig.", "        correct: false\n        feedback: Richtig.", Q, 6, "questions[0].options", "no correct answer"),
    ("two correct in single", Q, "        correct: false\n        feedback: Falsch.", "        correct: true\n        feedback: Falsch.", Q, 6, "questions[0].options", "exactly one correct"),
    ("duplicate question id", Q, "  - id: frage-zwei", "  - id: frage-eins", Q, 16, "questions[1].id", "duplicate id"),
    ("duplicate option id", Q, "      - id: b\n        text: Das nicht", "      - id: a\n        text: Das nicht", Q, 11, "questions[0].options[1].id", "duplicate id"),
    ("missing feedback", Q, "        feedback: Nein.\n", "", Q, 29, "questions[1].options[2].feedback", "required field is missing"),
    ("unknown question type", Q, "type: multiple", "type: essay", Q, 17, "questions[1].type", "not one of"),
    ("question names unknown lesson", Q, "lesson: erste-lektion", "lesson: keine-lektion", Q, 5, "questions[0].lesson", "unknown lesson"),
    ("duplicate glossary term", G, "term: Ziel", "term: projekt", G, 7, "terms[1].term", "duplicate term"),
    ("script tag in markdown", L1, "Ein Verein plant ein Projekt.", "Ein Verein <script>alert(1)</script> plant.", L1, 12, "html", "<script> is not allowed"),
    ("event handler", L1, "Ein Verein plant ein Projekt.", 'Bild <abbr title="x" onmouseover="alert(1)">e. V.</abbr>', L1, 12, "html", "event handler"),
    ("javascript link", L1, "[Download](media/vorlage.csv)", "[Download](javascript:alert(1))", L1, 17, "link", "javascript:"),
    ("dangling media link", L1, "[Download](media/vorlage.csv)", "[Download](media/fehlt.csv)", L1, 17, "link", "does not exist"),
    ("media outside module", L1, "[Download](media/vorlage.csv)", "[Download](../../geheim.txt)", L1, 17, "link", "outside the module folder"),
    ("dangling image", L1, "media/zyklus.png", "media/fehlt.png", L1, 19, "image", "does not exist"),
    ("image without alt", L1, "![Ein Diagramm des Projektzyklus]", "![]", L1, 19, "image", "no alternative text"),
    ("dangling download", L1, "  - file: media/vorlage.csv", "  - file: media/weg.csv", L1, 7, "downloads[0].file", "does not exist"),
    ("unknown callout", L1, "::: aufgabe", "::: quiz", L1, 21, "callout", "unknown callout type"),
    ("unclosed callout", L1, "Schreiben Sie ein Ziel auf.\n:::\n", "Schreiben Sie ein Ziel auf.\n", L1, 21, "callout", "not closed"),
    ("unknown objective", L1, "objectives: [ziel-eins]", "objectives: [ziel-drei]", L1, 5, "objectives[0]", "unknown objective"),
    ("lesson id mismatch", L1, "id: erste-lektion", "id: erste", L1, 2, "id", "must equal the file name"),
    ("unknown front matter key", L1, "minutes: 10\n", "minutes: 10\nauthor: Ayşe\n", L1, 5, "author", "unknown key"),
    ("no front matter", L1, "---\nid: erste-lektion", "id: erste-lektion", L1, 1, "front matter", "must start"),
    ("unknown citation", L1, "Ein Verein plant ein Projekt.", "Siehe [G1] und [Q99].", L1, 12, "citation", "[Q99] is not in module.yaml sources"),
    ("http link", L1, "[Download](media/vorlage.csv)", "[Download](http://example.org)", L1, 17, "link", "https://"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_content_is_reported_with_file_and_line(module_folder, case):
    _, file, old, new, expected_file, line, field, fragment = case
    module_folder.replace(file, old, new)

    with pytest.raises(ContentError) as raised:
        load_module(module_folder.root)

    expected_prefix = f"{module_folder.root / expected_file}:{line}: {field}: "
    messages = [str(p) for p in raised.value.problems]
    assert any(m.startswith(expected_prefix) and fragment in m for m in messages), "\n".join(messages)
    # no partial load: the module is not handed out at all
    modules, problems = validate_paths([module_folder.root.parent])
    assert modules == [] and problems


def test_valid_fixture_loads(module_folder):
    module = load_module(module_folder.root)
    assert module.lesson_ids == ("erste-lektion", "zweite-lektion")
    assert [q.id for q in module.quiz.questions] == ["frage-eins", "frage-zwei"]
    assert module.quiz.max_points == 3
    assert module.completion.passing_score == 70
    assert module.certificate.hours == 1.5
    assert module.lessons[0].downloads[0].file == "media/vorlage.csv"


def test_all_problems_are_reported_not_just_the_first(module_folder):
    module_folder.replace(M, "language: de\n", "language: de\ncolour: blau\n")
    module_folder.replace(Q, "type: multiple", "type: essay")
    module_folder.replace(L1, "Ein Verein plant ein Projekt.", "<script>x</script>")
    with pytest.raises(ContentError) as raised:
        load_module(module_folder.root)
    files = {p.file.rsplit("/", 1)[-1] for p in raised.value.problems}
    assert {"module.yaml", "quiz.yaml", "erste-lektion.md"} <= files


def test_unlisted_lesson_file_is_reported(module_folder):
    module_folder.write("lessons/vergessen.md", "---\nid: vergessen\ntitle: X\nminutes: 1\nobjectives: []\n---\nText\n")
    with pytest.raises(ContentError) as raised:
        load_module(module_folder.root)
    assert any("vergessen.md:1: id: lesson 'vergessen' is not listed" in str(p) for p in raised.value.problems)


def test_duplicate_module_ids_across_roots(module_folder, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(module_folder.root, other / "testmodul")
    modules, problems = validate_paths([module_folder.root.parent, other])
    assert len(modules) == 1
    assert any("module id 'testmodul' also used" in p.message for p in problems)
