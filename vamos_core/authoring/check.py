"""The core's validator run on an editor document, and its findings explained next to the right field.

The document is written to a temporary module folder and loaded by ``vamos_core.loader`` — the very rules the
files get. Each ``Problem`` (file, line, field, message) becomes a ``FieldProblem``: where it belongs in the
editor (module, a lesson, a question, the glossary), a German label a trainer understands ("Frage 3 –
Antwortmöglichkeiten") and a German message ("keine richtige Antwort markiert").
"""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..loader import load_module
from ..model import Module
from ..problems import ContentError, Problem
from .folder import GLOSSARY_FILE, MODULE_FILE, QUIZ_FILE, write_folder
from .messages import field_label, german


@dataclass(frozen=True)
class FieldProblem:
    section: str  # "module" | "lesson" | "question" | "glossary" | "files"
    item: int | None  # index of the lesson, question or term in the document (None for the module)
    field: str  # the format's field path inside the item, e.g. "options" or "body"
    label: str  # German: where, e.g. "Frage 3 – Antwortmöglichkeiten"
    message: str  # German: what is wrong
    raw: Problem  # the loader's finding (file:line: field: message), for the ZIP import and logs

    @property
    def anchor(self) -> str:
        """The id of the form element in the editor that this problem belongs to."""
        base = self.field.split("[")[0].split(".")[0] or "datei"
        return f"{self.section}-{self.item}-{base}" if self.item is not None else f"{self.section}-{base}"

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


@dataclass(frozen=True)
class CheckResult:
    module: Module | None  # the loaded module when there is no problem
    problems: tuple[FieldProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def for_section(self, section: str, item: int | None = None) -> list[FieldProblem]:
        return [p for p in self.problems if p.section == section and (item is None or p.item == item)]


_RESULTS: "OrderedDict[str, CheckResult]" = OrderedDict()
_RESULTS_MAX = 64
_RESULTS_LOCK = threading.Lock()


def document_key(doc: dict) -> str | None:
    """The SHA-256 of a document's JSON: its text files and (by their SHA-256) its media. None if not JSON."""
    try:
        return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    except (TypeError, ValueError):
        return None


def check_document(doc: dict, blob: Callable[[str], bytes]) -> CheckResult:
    """Validate a document with the core loader; never raises for content problems.

    The result is remembered per process by the document's content (``document_key``: every text and the hash
    of every media file), so it can never be stale: the editor page after an autosave, or the publish of a draft
    just checked, does not validate the same draft again. Inside, the loader's parts are remembered by content
    too (``yaml_lines.load_yaml``, the lesson parse in ``markdown``, SVG checks in ``figures``), so a save that
    changed one lesson validates that lesson and reuses the rest."""
    key = document_key(doc)
    if key is not None:
        with _RESULTS_LOCK:
            found = _RESULTS.get(key)
            if found is not None:
                _RESULTS.move_to_end(key)
                return found
    result = _check(doc, blob)
    if key is not None:
        with _RESULTS_LOCK:
            _RESULTS[key] = result
            if len(_RESULTS) > _RESULTS_MAX:
                _RESULTS.popitem(last=False)
    return result


def _check(doc: dict, blob: Callable[[str], bytes]) -> CheckResult:
    module_id = str(doc["module"].get("id") or "modul")
    with tempfile.TemporaryDirectory(prefix="vamos-check-") as tmp:
        folder = write_folder(doc, Path(tmp) / module_id, blob)
        try:
            module = load_module(folder)
        except ContentError as exc:
            return CheckResult(None, tuple(explain(p, doc, folder) for p in exc.problems))
    return CheckResult(module, ())


_INDEX = re.compile(r"^(\w+)\[(\d+)\]\.?(.*)$")


def explain(problem: Problem, doc: dict, folder: Path | None = None) -> FieldProblem:
    """Place one loader finding in the editor and say it in German."""
    path = Path(problem.file)
    name = path.relative_to(folder).as_posix() if folder is not None and path.is_absolute() else path.as_posix()
    message = german(problem.message)
    lesson_ids = [lesson["meta"].get("id") for lesson in doc["lessons"]]
    if name.startswith("lessons/"):
        lesson_id = Path(name).stem
        index = lesson_ids.index(lesson_id) if lesson_id in lesson_ids else None
        field = problem.field
        where = _lesson_label(index, doc)
        if field in ("body", "citation", "image", "link", "html", "callout") or field not in _LESSON_FIELDS:
            body_line = _body_line(problem.line, doc, index)
            label = f"{where} – Text" + (f", Zeile {body_line}" if body_line else "")
            return FieldProblem("lesson", index, "body", label, message, problem)
        return FieldProblem("lesson", index, field, f"{where} – {field_label(field)}", message, problem)
    if name == QUIZ_FILE or name.endswith("/" + QUIZ_FILE) or name == (doc["module"].get("quiz") or {}).get("file"):
        match = _INDEX.match(problem.field)
        if match and match.group(1) == "questions":
            index = int(match.group(2))
            rest = match.group(3) or "frage"
            return FieldProblem("question", index, rest, f"Frage {index + 1} – {_question_field(rest)}", message, problem)
        return FieldProblem("question", None, problem.field, "Wissenstest", message, problem)
    if name == GLOSSARY_FILE:
        match = _INDEX.match(problem.field)
        if match and match.group(1) == "terms":
            index = int(match.group(2))
            term = _item(doc["glossary"].get("terms"), index).get("term") or f"Begriff {index + 1}"
            return FieldProblem("glossary", index, match.group(3) or "term", f"Glossar „{term}“ – {field_label(match.group(3))}", message, problem)
        return FieldProblem("glossary", None, problem.field, "Glossar", message, problem)
    if name == MODULE_FILE:
        match = _INDEX.match(problem.field)
        if match and match.group(1) == "lessons":
            index = int(match.group(2))
            return FieldProblem("lesson", index, "id", _lesson_label(index, doc), message, problem)
        if match and match.group(1) in ("objectives", "sources"):
            index = int(match.group(2))
            noun = "Lernziel" if match.group(1) == "objectives" else "Quelle"
            return FieldProblem("module", None, problem.field, f"{noun} {index + 1} – {field_label(match.group(3))}", message, problem)
        return FieldProblem("module", None, problem.field, f"Modul – {field_label(problem.field)}", message, problem)
    return FieldProblem("files", None, problem.field, f"Datei {name}", message, problem)


_LESSON_FIELDS = {"id", "title", "minutes", "plain_summary", "objectives", "downloads", "front matter", "file"}


def _item(items, index: int) -> dict:
    return items[index] if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict) else {}


def _lesson_label(index: int | None, doc: dict) -> str:
    if index is None:
        return "Lektion"
    title = _item(doc["lessons"], index).get("meta", {}).get("title")
    return f"Lektion {index + 1}" + (f" „{title}“" if title else "")


def _body_line(file_line: int, doc: dict, index: int | None) -> int | None:
    """The line inside the lesson text (what the trainer sees in the editor), from the file's line."""
    if index is None:
        return None
    from .folder import dump_yaml

    header = 2 + dump_yaml(doc["lessons"][index]["meta"]).count("\n")  # "---", front matter, "---"
    line = file_line - header
    return line if line >= 1 else None


def _question_field(rest: str) -> str:
    match = _INDEX.match(rest)
    if match and match.group(1) == "options":
        return f"Antwort {int(match.group(2)) + 1}: {field_label(match.group(3) or 'option')}"
    return field_label(rest)
