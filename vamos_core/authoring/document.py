"""The editor's document: a module folder as plain, JSON-serialisable data.

Shape (close to the files, so unknown keys written by hand or by a newer format survive a round trip)::

    {"module":   {...module.yaml without the lesson list...},
     "lessons":  [{"meta": {...front matter...}, "body": "Markdown"}, ...],   # in module order
     "quiz":     {...quiz.yaml, i.e. {"questions": [...]}...},
     "glossary": {...glossary.yaml, i.e. {"terms": [...]}...},
     "files":    {"media/bild.png": {"sha256": "...", "size": 123, "type": "image/png", "alt": "..."}}}

Ids of lessons, questions and options are generated once, when the item is created, and never derived again
(a title change keeps the id): learner progress, attempts and Open edX url_names hang on them.
"""
from __future__ import annotations

import copy
import re
import secrets
import unicodedata

from ..loader import DISCLAIMER_PHRASE, FORMAT_VERSION

DEFAULT_DISCLAIMER = (
    f"Allgemeine Information, {DISCLAIMER_PHRASE}. Für Ihren Einzelfall fragen Sie eine Beratungsstelle, "
    "eine Steuerberaterin oder einen Anwalt."
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slug(text: str, fallback: str = "modul", length: int = 40) -> str:
    """A readable id from a title: lowercase ASCII letters, digits and hyphens."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:length].strip("-")
    return value or fallback


def unique_id(base: str, taken: set[str] | list[str]) -> str:
    """``base`` if free, else ``base-2``, ``base-3`` … (ids stay within the format's 63 characters)."""
    taken = set(taken)
    base = base[:56]
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def random_suffix() -> str:
    return secrets.token_hex(2)


def new_module_id(title: str, taken: set[str]) -> str:
    """Module ids are unique across all platforms and the shipped modules: a slug plus a short random part."""
    while True:
        candidate = f"{slug(title)[:50]}-{random_suffix()}"
        if candidate not in taken:
            return candidate


def new_document(module_id: str, title: str) -> dict:
    """A new module with one empty lesson and one question skeleton: the shape the editor starts from."""
    doc = {
        "module": {
            "format": FORMAT_VERSION, "id": module_id, "title": title, "summary": "", "version": "Entwurf",
            "language": "de", "target_group": "", "estimated_minutes": 30,
            "objectives": [{"id": "ziel-1", "text": ""}],
            "quiz": {"file": "quiz.yaml", "display": "one_per_page", "max_attempts": 0, "scoring": "best",
                     "shuffle_options": True},
            "completion": {"require_all_lessons": True, "require_quiz_pass": True, "passing_score": 70},
            "sources": [],
            "disclaimer": DEFAULT_DISCLAIMER,
            "certificate": {"hours": 0.5, "show_score": True},
        },
        "lessons": [],
        "quiz": {"questions": []},
        "glossary": {"terms": []},
        "files": {},
    }
    add_lesson(doc, "Lektion 1")
    return doc


def with_id(doc: dict, module_id: str) -> dict:
    """A copy of the document under another module id (copying a module to adapt it)."""
    out = copy.deepcopy(doc)
    out["module"]["id"] = module_id
    return out


# ---------------------------------------------------------------- items with ids born once


def lesson_ids(doc: dict) -> list[str]:
    return [lesson["meta"].get("id") for lesson in doc["lessons"]]


def add_lesson(doc: dict, title: str) -> dict:
    lesson_id = unique_id(slug(title, "lektion"), lesson_ids(doc))
    lesson = {"meta": {"id": lesson_id, "title": title, "minutes": 10, "objectives": []}, "body": ""}
    doc["lessons"].append(lesson)
    return lesson


def questions(doc: dict) -> list[dict]:
    return doc["quiz"].setdefault("questions", [])


def add_question(doc: dict, qtype: str = "single") -> dict:
    taken = {q.get("id") for q in questions(doc)}
    question = {
        "id": unique_id(f"frage-{len(taken) + 1}", taken), "type": qtype, "prompt": "",
        "options": [new_option([]), None], "explanation": "",
    }
    question["options"][1] = new_option(question["options"][:1])
    questions(doc).append(question)
    return question


def new_option(existing: list[dict]) -> dict:
    """Option ids are letters a, b, c … in creation order; a deleted letter is never reused while the others live."""
    taken = {o.get("id") for o in existing if o}
    letters = "abcdefghijklmnopqrstuvwxyz"
    option_id = next((c for c in letters if c not in taken), None) or unique_id("option", taken)
    return {"id": option_id, "text": "", "correct": False, "feedback": ""}


def terms(doc: dict) -> list[dict]:
    return doc["glossary"].setdefault("terms", [])


def add_term(doc: dict, term: str) -> dict:
    entry = {"id": unique_id(slug(term, "begriff"), {t.get("id") for t in terms(doc)}), "term": term, "definition": ""}
    terms(doc).append(entry)
    return entry


def add_source(doc: dict, title: str) -> dict:
    sources = doc["module"].setdefault("sources", [])
    taken = {s.get("id") for s in sources}
    entry = {"id": unique_id(f"q{len(sources) + 1}", taken), "title": title}
    sources.append(entry)
    return entry


def add_objective(doc: dict) -> dict:
    objectives = doc["module"].setdefault("objectives", [])
    entry = {"id": unique_id(f"ziel-{len(objectives) + 1}", {o.get("id") for o in objectives}), "text": ""}
    objectives.append(entry)
    return entry


def move(items: list, index: int, delta: int) -> bool:
    """Move one item up (-1) or down (+1); False when it is already at that end."""
    target = index + delta
    if not (0 <= index < len(items) and 0 <= target < len(items)):
        return False
    items[index], items[target] = items[target], items[index]
    return True
