"""Document ↔ module folder (YAML + Markdown), canonical both ways, and the content hash.

Serialising is deterministic, and parsing what it wrote gives the same document back (a fixed point), so a
module copied, exported as ZIP and imported again has the same content hash. The shipped modules' files are
written by hand and are not byte-identical to the canonical form; their *documents* are.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Callable, Mapping

import yaml

from ..yaml_lines import LineDict, LineList, load_yaml

LESSONS_DIR = "lessons"
MEDIA_DIR = "media"
QUIZ_FILE = "quiz.yaml"
GLOSSARY_FILE = "glossary.yaml"
MODULE_FILE = "module.yaml"
CONTENT_FILES = {MODULE_FILE, QUIZ_FILE, GLOSSARY_FILE}


class FolderError(ValueError):
    """A folder that cannot become a document at all (the loader's problems say why in detail)."""


# ---------------------------------------------------------------- document → files


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when available: ~10x faster
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    # Multi-line texts as literal blocks: readable in the ZIP and in diffs.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000,
                     default_flow_style=False)


@functools.lru_cache(maxsize=2048)
def _dump_json(key: str) -> str:
    return dump_yaml(json.loads(key))


def dump_document_yaml(data) -> str:
    """``dump_yaml`` of a part of an editor document (JSON values only), remembered per process by the part's
    JSON text: every save writes the whole module folder for its validation, and only one part changed. Keyed by
    content (key order included, which the YAML keeps), so an answer is never stale."""
    try:
        key = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        return dump_yaml(data)
    return _dump_json(key)


def normalise_text(text: str) -> str:
    """Browsers send CRLF from text areas; files and hashes use LF, no trailing blank lines."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").rstrip() if text else ""


def module_yaml(doc: dict) -> dict:
    """module.yaml as written: the document's module mapping with the lesson list in lesson order."""
    module = dict(doc["module"])
    ordered: dict = {}
    for key, value in module.items():
        ordered[key] = value
        if key == "objectives":
            ordered["lessons"] = [lesson["meta"].get("id") for lesson in doc["lessons"]]
    if "lessons" not in ordered:
        ordered["lessons"] = [lesson["meta"].get("id") for lesson in doc["lessons"]]
    quiz = dict(ordered.get("quiz") or {})
    quiz["file"] = QUIZ_FILE  # one canonical name in exports
    ordered["quiz"] = quiz
    return ordered


def lesson_text(lesson: dict) -> str:
    body = normalise_text(lesson.get("body", ""))
    return f"---\n{dump_document_yaml(lesson['meta'])}---\n{body}\n"


def text_files(doc: dict) -> dict[str, bytes]:
    """The text files of the module folder (paths relative to the folder)."""
    files = {
        MODULE_FILE: dump_document_yaml(module_yaml(doc)).encode(),
        QUIZ_FILE: dump_document_yaml(doc.get("quiz") or {"questions": []}).encode(),
        GLOSSARY_FILE: dump_document_yaml(doc.get("glossary") or {"terms": []}).encode(),
    }
    for lesson in doc["lessons"]:
        files[f"{LESSONS_DIR}/{lesson['meta'].get('id')}.md"] = lesson_text(lesson).encode()
    return files


def write_folder(doc: dict, target: Path, blob: Callable[[str], bytes]) -> Path:
    """Write the module folder ``target`` (text files + media, media bytes by sha256 from ``blob``)."""
    target.mkdir(parents=True, exist_ok=True)
    for relative, data in text_files(doc).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for relative, meta in doc.get("files", {}).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob(meta["sha256"]))
    return target


# ---------------------------------------------------------------- files → document


def _plain(value):
    """LineDict/LineList → dict/list (JSON-serialisable, line numbers dropped)."""
    if isinstance(value, (LineDict, dict)):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (LineList, list, tuple)):
        return [_plain(v) for v in value]
    return value


def _yaml_file(files: Mapping[str, bytes], name: str) -> dict:
    raw = files.get(name)
    if raw is None:
        raise FolderError(f"{name} fehlt")
    data = load_yaml(raw.decode("utf-8"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FolderError(f"{name} ist keine Zuordnung")
    return _plain(data)


def split_lesson(text: str) -> tuple[dict, str]:
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise FolderError("Lektion ohne Kopfbereich")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise FolderError("Kopfbereich der Lektion nicht geschlossen")
    meta = load_yaml("\n".join(lines[1:end])) or {}
    return _plain(meta), normalise_text("\n".join(lines[end + 1:]))


def document_from_files(files: Mapping[str, bytes], media_meta: Callable[[str, bytes], dict]) -> dict:
    """The document of a module folder given as {relative path: bytes}. Run the loader first: this
    assumes a folder that validates (it raises FolderError only for what it cannot represent at all)."""
    module = _yaml_file(files, MODULE_FILE)
    order = module.pop("lessons", []) or []
    quiz_name = (module.get("quiz") or {}).get("file") or QUIZ_FILE
    lessons = []
    for lesson_id in order:
        raw = files.get(f"{LESSONS_DIR}/{lesson_id}.md")
        if raw is None:
            raise FolderError(f"lessons/{lesson_id}.md fehlt")
        meta, body = split_lesson(raw.decode("utf-8"))
        lessons.append({"meta": meta, "body": body})
    quiz = _yaml_file(files, quiz_name) if quiz_name in files else {"questions": []}
    if isinstance(module.get("quiz"), dict):
        module["quiz"]["file"] = QUIZ_FILE
    glossary = _yaml_file(files, GLOSSARY_FILE) if GLOSSARY_FILE in files else {"terms": []}
    content = {MODULE_FILE, GLOSSARY_FILE, quiz_name} | {f"{LESSONS_DIR}/{i}.md" for i in order}
    # The format's files are module.yaml, lessons/, the quiz, glossary.yaml and media/; anything else beside them
    # (the sources downloads and templates are built from: media/src/, templates/) is not part of the module and does not travel with it.
    media = {path: media_meta(path, data) for path, data in sorted(files.items())
             if path not in content and path.startswith(MEDIA_DIR + "/") and not path.startswith(MEDIA_DIR + "/src/")}
    return {"module": module, "lessons": lessons, "quiz": quiz, "glossary": glossary, "files": media}


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every regular file below a module folder (no links followed), by relative POSIX path."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts:
            continue
        out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


# ---------------------------------------------------------------- identity


def content_hash(doc: dict) -> str:
    """SHA-256 of the content: everything but the module id and the version label (which name the content,
    they are not part of it), with media by their own hashes."""
    module = {k: v for k, v in module_yaml(doc).items() if k not in ("id", "version")}
    canonical = {
        "module": module,
        "lessons": [{"meta": lesson["meta"], "body": normalise_text(lesson.get("body", ""))} for lesson in doc["lessons"]],
        "quiz": doc.get("quiz") or {"questions": []},
        "glossary": doc.get("glossary") or {"terms": []},
        "files": {path: meta["sha256"] for path, meta in sorted(doc.get("files", {}).items())},
    }
    raw = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()
