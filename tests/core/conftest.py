"""A small, valid module written to a temporary folder; tests break one thing at a time and expect exact lines."""
from __future__ import annotations

from pathlib import Path

import pytest

MODULE_YAML = """\
format: 1
id: testmodul
title: Testmodul
summary: Ein kleines Modul für Tests.
version: "2026.1"
language: de
target_group: Vorstände kleiner Vereine
estimated_minutes: 30
objectives:
  - id: ziel-eins
    text: Ziele formulieren
  - id: ziel-zwei
    text: Pläne machen
lessons:
  - erste-lektion
  - zweite-lektion
quiz:
  display: one_per_page
  max_attempts: 3
  scoring: best
completion:
  require_all_lessons: true
  require_quiz_pass: true
  passing_score: 70
sources:
  - id: g1
    title: BGB
    url: https://www.gesetze-im-internet.de/bgb/
disclaimer: Allgemeine Information, keine Rechts- oder Steuerberatung.
certificate:
  hours: 1.5
"""

LESSON_ONE = """\
---
id: erste-lektion
title: Erste Lektion
minutes: 10
objectives: [ziel-eins]
downloads:
  - file: media/vorlage.csv
    title: Vorlage
---

::: fall Brücke e. V.
Ein Verein plant ein Projekt.
:::

## Kernwissen

Text mit einem [Download](media/vorlage.csv) und einem Bild:

![Ein Diagramm des Projektzyklus](media/zyklus.png "Der Projektzyklus")

::: aufgabe
Schreiben Sie ein Ziel auf.
:::
"""

LESSON_TWO = """\
---
id: zweite-lektion
title: Zweite Lektion
minutes: 10
objectives: []
---

## Planen

| Schritt | Wer |
|---|---|
| Idee | Vorstand |
"""

QUIZ_YAML = """\
questions:
  - id: frage-eins
    type: single
    prompt: Was ist richtig?
    lesson: erste-lektion
    options:
      - id: a
        text: Das hier
        correct: true
        feedback: Richtig.
      - id: b
        text: Das nicht
        correct: false
        feedback: Falsch.
    explanation: Weil es so ist.
  - id: frage-zwei
    type: multiple
    points: 2
    prompt: Was stimmt?
    options:
      - id: a
        text: A
        correct: true
        feedback: Ja.
      - id: b
        text: B
        correct: true
        feedback: Ja.
      - id: c
        text: C
        correct: false
        feedback: Nein.
    explanation: A und B.
"""

GLOSSARY_YAML = """\
terms:
  - id: projekt
    term: Projekt
    aliases: [Projekte]
    definition: Ein einmaliges Vorhaben mit Ziel und Ende.
  - id: ziel
    term: Ziel
    definition: Was am Ende erreicht sein soll.
"""

FILES = {
    "module.yaml": MODULE_YAML,
    "lessons/erste-lektion.md": LESSON_ONE,
    "lessons/zweite-lektion.md": LESSON_TWO,
    "quiz.yaml": QUIZ_YAML,
    "glossary.yaml": GLOSSARY_YAML,
}


class ModuleFolder:
    def __init__(self, root: Path):
        self.root = root / "content" / "testmodul"
        for name, text in FILES.items():
            self.write(name, text)
        self.write_bytes("media/vorlage.csv", b"Schritt;Wer\n")
        self.write_bytes("media/zyklus.png", b"\x89PNG\r\n\x1a\n")

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def write_bytes(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def replace(self, name: str, old: str, new: str) -> None:
        text = (self.root / name).read_text(encoding="utf-8")
        assert old in text, f"fixture text {old!r} not in {name}"
        self.write(name, text.replace(old, new, 1))


@pytest.fixture
def module_folder(tmp_path: Path) -> ModuleFolder:
    return ModuleFolder(tmp_path)
