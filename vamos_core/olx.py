"""OLX export: one Open edX course per module, as a directory and a ``.tar.gz`` ready for Studio import.

**The content travels in the course.** Every lesson's Markdown, objectives, downloads, glossary and sources are
written into its ``vamos_lesson`` element, every question (options, correct flags, feedback, explanation) and the
quiz settings into the ``vamos_quiz`` element, the overview and completion rule into ``vamos_module``
(:mod:`vamos_core.block_fields` gives the values, :func:`write_block_element` / :func:`read_block_element` the XML —
the blocks' ``parse_xml``/``add_xml_to_node`` use the same two functions, so a Studio export reads back the same).
Media files the lessons use are copied to ``static/media/…`` and referenced as ``/static/media/…``, which Open edX
rewrites to the course's asset URLs. A course imported into Studio therefore needs nothing of the content
inside the Python package; the package brings code, templates and translations only.

Pure Python and deterministic: the same module gives byte-identical files and archives (sorted entries, no
timestamps, fixed owner and modes), so a rebuild changes nothing unless the sources changed.

Course layout for module ``m`` (``url_name``s are built from content ids only, so a re-import of a newer content
version updates the blocks in place and learners keep their state):

==========================  ==============================================  ======================================
part                        url_name                                        contents
==========================  ==============================================  ======================================
chapter                     ``m``                                           the module
sequential / vertical       ``m.seq`` / ``m.unit``                          graded (assignment type Abschlusstest)
block                       ``m.overview``                                  ``vamos_module``: overview, progress,
                                                                            certificate; parent of:
block                       ``m.lesson.<lesson-id>`` (one per lesson)       ``vamos_lesson``
block                       ``m.quiz``                                      ``vamos_quiz``
==========================  ==============================================  ======================================
"""
from __future__ import annotations

import gzip
import html
import io
import json
import os
import shutil
import struct
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

from .block_fields import lesson_fields, module_fields, quiz_fields
from .model import Module

DEFAULT_ORG = "VAMOs"
DEFAULT_RUN = "selfpaced"
COURSE_START = "2026-01-01T00:00:00Z"
COURSE_END = "2099-12-31T00:00:00Z"  # self-paced and open-ended; Open edX and olxcleaner want an end date
GRADER_TYPE = "Abschlusstest"
COURSE_IMAGE = "vamos-course-image.png"
XBLOCK_TAGS = ("vamos_lesson", "vamos_module", "vamos_quiz")
ARCHIVE_MTIME = 0  # 1970-01-01: archives carry no build time


@dataclass(frozen=True)
class OlxCourse:
    module_id: str
    directory: Path
    archive: Path
    files: tuple[str, ...]


def url_names(module: Module) -> dict[str, str]:
    """Stable url_names of the course parts, keyed by role (``overview``, ``lesson:<id>``, ``quiz``)."""
    names = {"chapter": module.id, "sequential": f"{module.id}.seq", "vertical": f"{module.id}.unit",
             "overview": f"{module.id}.overview"}
    names.update({f"lesson:{lesson.id}": f"{module.id}.lesson.{lesson.id}" for lesson in module.lessons})
    names["quiz"] = f"{module.id}.quiz"
    return names


# --- block elements: the same XML for the builder and the blocks' parse_xml / add_xml_to_node -------------------

# Scalar fields are attributes; their kind decides how an attribute string is read back.
SCALARS: dict[str, dict[str, type]] = {
    "vamos_module": {
        "display_name": str, "module_id": str, "version": str, "language": str, "estimated_minutes": int,
        "require_all_lessons": bool, "require_quiz_pass": bool, "passing_score": float,
        "certificate_hours": float, "certificate_show_score": bool,
    },
    "vamos_lesson": {
        "display_name": str, "module_id": str, "lesson_id": str, "module_version": str, "language": str, "minutes": int,
    },
    "vamos_quiz": {
        "display_name": str, "module_id": str, "weight": float, "max_attempts": int, "attempt_scoring": str,
        "quiz_display": str, "shuffle_options": bool, "passing_score": float,
    },
}
# Long texts are child elements (Markdown keeps its line breaks there).
TEXTS = {
    "vamos_module": ("title", "summary", "target_group", "disclaimer", "advice", "legal_status"),
    "vamos_lesson": ("plain_summary", "markdown", "video_transcript"),
    "vamos_quiz": (),
}


def _attr(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read(kind: type, text: str):
    if kind is bool:
        return text.strip().lower() == "true"
    if kind is int:
        return int(float(text))
    if kind is float:
        return float(text)
    return text


def _children(node, tag: str) -> list:
    return [child for child in node if isinstance(child.tag, str) and child.tag == tag]


def _text(node, tag: str) -> str | None:
    found = _children(node, tag)
    return (found[0].text or "") if found else None


def write_block_element(node, tag: str, values: dict) -> None:
    """Fill ``node`` (an xml.etree or lxml element: Studio exports with lxml) with a block's field values."""
    node.tag = tag
    for name, kind in SCALARS[tag].items():
        value = values.get(name)
        if value is not None and value != "":
            node.set(name, _attr(value))

    def child(parent, name: str, text: str | None = None, **attrs):
        element = parent.makeelement(name, {})
        parent.append(element)
        for key, value in attrs.items():
            if value not in (None, ""):
                element.set(key, _attr(value))
        if text is not None:
            element.text = text
        return element

    for name in TEXTS[tag]:
        if values.get(name):
            child(node, name, values[name])
    for objective in values.get("objectives") or ():
        child(node, "objective", objective["text"], id=objective["id"])
    for download in values.get("downloads") or ():
        child(node, "download", file=download["file"], title=download["title"])
    for path in values.get("media") or ():
        child(node, "media", file=path)
    for source in values.get("sources") or ():
        child(node, "source", id=source["id"], title=source["title"], url=source.get("url"))
    for term in values.get("glossary") or ():
        element = child(node, "term", id=term["id"], term=term["term"])
        child(element, "definition", term["definition"])
        for alias in term.get("aliases") or ():
            child(element, "alias", alias)
        for language, text in (term.get("translations") or {}).items():
            child(element, "translation", text, lang=language)
    for lesson in values.get("lessons") or ():
        child(node, "lesson", id=lesson["id"], title=lesson["title"])
    # The lesson's video: <lesson_video> (not <video>, which is Open edX's own video block in OLX).
    video = values.get("video") or {}
    if video.get("title"):
        element = child(node, "lesson_video", title=video["title"], url=video.get("url"), poster=video.get("poster"),
                        captions=video.get("captions"), captions_language=video.get("captions_language"),
                        transcript=video.get("transcript"), duration_seconds=video.get("duration_seconds"))
        for name in video.get("files") or ():
            child(element, "file", name)
    # Questions of the quiz and the lesson's ungraded checks have the same form.
    for tag_name, key in (("question", "questions"), ("check", "checks")):
        for question in values.get(key) or ():
            element = child(node, tag_name, id=question["id"], type=question["type"], points=question.get("points"),
                            lesson=question.get("lesson"), scoring=question.get("scoring"))
            child(element, "prompt", question["prompt"])
            for option in question["options"]:
                option_element = child(element, "option", id=option["id"], correct=bool(option["correct"]))
                child(option_element, "text", option["text"])
                child(option_element, "feedback", option["feedback"])
            child(element, "explanation", question["explanation"])


def read_block_element(node) -> dict:
    """The field values in a block element written by :func:`write_block_element` (or by a Studio export)."""
    tag = node.tag
    values: dict = {}
    for name, kind in SCALARS.get(tag, {}).items():
        raw = node.get(name)
        if raw is not None:
            try:
                values[name] = _read(kind, raw)
            except ValueError:
                raise ValueError(f"<{tag}>: attribute {name}='{raw}' is not a valid {kind.__name__}") from None
    for name in TEXTS.get(tag, ()):
        text = _text(node, name)
        if text is not None:
            values[name] = text
    lists = {
        "objectives": [{"id": e.get("id", ""), "text": e.text or ""} for e in _children(node, "objective")],
        "downloads": [{"file": e.get("file", ""), "title": e.get("title", "")} for e in _children(node, "download")],
        "media": [e.get("file", "") for e in _children(node, "media")],
        "sources": [{"id": e.get("id", ""), "title": e.get("title", ""), "url": e.get("url", "")}
                    for e in _children(node, "source")],
        "glossary": [{"id": e.get("id", ""), "term": e.get("term", ""), "definition": _text(e, "definition") or "",
                      "aliases": [a.text or "" for a in _children(e, "alias")],
                      "translations": {t.get("lang", ""): t.text or "" for t in _children(e, "translation")}}
                     for e in _children(node, "term")],
        "lessons": [{"id": e.get("id", ""), "title": e.get("title", "")} for e in _children(node, "lesson")],
        "questions": [_read_question(e) for e in _children(node, "question")],
        "checks": [_read_check(e) for e in _children(node, "check")],
    }
    for element in _children(node, "lesson_video")[:1]:
        values["video"] = {
            "title": element.get("title", ""), "files": [f.text or "" for f in _children(element, "file")],
            "url": element.get("url", ""), "poster": element.get("poster", ""), "captions": element.get("captions", ""),
            "captions_language": element.get("captions_language", "de"), "transcript": element.get("transcript", ""),
            "duration_seconds": float(element.get("duration_seconds") or 0),
        }
    values.update({name: items for name, items in lists.items() if items})
    return values


def _read_question(element) -> dict:
    question = {
        "id": element.get("id", ""),
        "type": element.get("type", "single"),
        "points": float(element.get("points") or 1),
        "prompt": _text(element, "prompt") or "",
        "options": [{"id": o.get("id", ""), "text": _text(o, "text") or "", "correct": o.get("correct") == "true",
                     "feedback": _text(o, "feedback") or ""} for o in _children(element, "option")],
        "explanation": _text(element, "explanation") or "",
    }
    for optional in ("lesson", "scoring"):
        if element.get(optional):
            question[optional] = element.get(optional)
    return question


def _read_check(element) -> dict:
    check = _read_question(element)
    del check["points"]  # checks are ungraded
    return check


def media_url_prefix() -> str:
    """Where lesson media live in an Open edX course: ``/static/media/…`` (Open edX rewrites it to asset URLs)."""
    return "/static"


def _xml(element: ET.Element) -> bytes:
    ET.indent(element, space="  ")
    return (ET.tostring(element, encoding="unicode", short_empty_elements=True) + "\n").encode("utf-8")


def _element(tag: str, **attrs: str) -> ET.Element:
    element = ET.Element(tag)
    for key, value in attrs.items():  # insertion order is the written order: keep it fixed
        element.set(key, value)
    return element


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _effort(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _course_image() -> bytes:
    """A small solid PNG in the VAMOs blue (Open edX wants a course image), built without any image library."""
    width, height = 64, 36
    raw = b"".join(b"\x00" + b"\x1d\x4e\x73" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _overview_html(module: Module) -> bytes:
    parts = [
        "<section class=\"about\">",
        f"  <h2>{html.escape(module.title)}</h2>",
        f"  <p>{html.escape(module.summary)}</p>",
        f"  <p><strong>Zielgruppe:</strong> {html.escape(module.target_group)}</p>",
        f"  <p><strong>Lernzeit:</strong> etwa {module.estimated_minutes} Minuten</p>",
        "</section>",
        "<section class=\"objectives\">",
        "  <h2>Nach dem Modul können Sie …</h2>",
        "  <ul>",
        *[f"    <li>{html.escape(o.text)}</li>" for o in module.objectives],
        "  </ul>",
        "</section>",
        f"<p class=\"disclaimer\">{html.escape(module.disclaimer)}</p>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def course_files(module: Module, org: str = DEFAULT_ORG, run: str = DEFAULT_RUN) -> dict[str, bytes]:
    """Every file of the module's OLX course: relative path → bytes (pure; nothing is written)."""
    names = url_names(module)
    files: dict[str, bytes] = {}
    files["course.xml"] = _xml(_element("course", url_name=run, org=org, course=module.id))

    course = _element("course")  # display name, language and dates live in policy.json
    ET.SubElement(course, "chapter", url_name=names["chapter"])
    files[f"course/{run}.xml"] = _xml(course)

    chapter = _element("chapter", display_name=module.title)
    ET.SubElement(chapter, "sequential", url_name=names["sequential"])
    files[f"chapter/{names['chapter']}.xml"] = _xml(chapter)
    # One graded subsection: the quiz inside the module block counts for the course grade.
    sequential = _element("sequential", display_name=module.title, graded="true", format=GRADER_TYPE)
    ET.SubElement(sequential, "vertical", url_name=names["vertical"])
    files[f"sequential/{names['sequential']}.xml"] = _xml(sequential)

    vertical = _element("vertical", display_name=module.title)
    block = ET.SubElement(vertical, "vamos_module", url_name=names["overview"])
    write_block_element(block, "vamos_module", module_fields(module))
    for lesson in module.lessons:
        child = ET.SubElement(block, "vamos_lesson", url_name=names[f"lesson:{lesson.id}"])
        write_block_element(child, "vamos_lesson", lesson_fields(module, lesson))
        for path in lesson_fields(module, lesson)["media"]:
            files[f"static/{path}"] = module.media_path(path).read_bytes()
    if module.quiz.questions:
        quiz = ET.SubElement(block, "vamos_quiz", url_name=names["quiz"])
        write_block_element(quiz, "vamos_quiz", {**quiz_fields(module), "weight": 1.0})
    files[f"vertical/{names['vertical']}.xml"] = _xml(vertical)

    passing = module.completion.passing_score / 100
    files[f"policies/{run}/grading_policy.json"] = _json({
        "GRADER": [{"type": GRADER_TYPE, "short_label": "Test", "min_count": 1, "drop_count": 0, "weight": 1.0}],
        "GRADE_CUTOFFS": {"Pass": round(passing, 4)},
    })
    files[f"policies/{run}/policy.json"] = _json({
        f"course/{run}": {
            "display_name": module.title,
            "language": module.language,
            "start": COURSE_START,
            "end": COURSE_END,
            "self_paced": True,
            "course_image": COURSE_IMAGE,
            "short_description": module.summary,
            "effort": _effort(module.estimated_minutes),
            "advanced_modules": list(XBLOCK_TAGS),
            "show_calculator": False,
            "cert_html_view_enabled": True,
            "certificates_display_behavior": "early_with_info",
            "certificates": {"certificates": [{
                "id": 1,
                "name": f"Zertifikat: {module.title}",
                "description": module.summary,
                "course_title": module.title,
                "is_active": True,
                "version": 1,
                "signatories": [],
            }]},
        },
    })
    files["policies/assets.json"] = _json({})
    files["about/overview.html"] = _overview_html(module)
    files["about/short_description.html"] = (html.escape(module.summary) + "\n").encode("utf-8")
    files[f"static/{COURSE_IMAGE}"] = _course_image()
    return dict(sorted(files.items()))


def archive_bytes(files: dict[str, bytes], root: str) -> bytes:
    """A deterministic ``.tar.gz`` of ``files`` below the folder ``root`` (fixed mtime, owner and modes)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=ARCHIVE_MTIME, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            folders = sorted({str(Path(root, p).parent) for p in files} | {root})
            expanded = set()
            for folder in folders:
                parts = Path(folder).parts
                expanded.update(str(Path(*parts[:i])) for i in range(1, len(parts) + 1))
            for folder in sorted(expanded):
                tar.addfile(_tarinfo(folder + "/", tarfile.DIRTYPE, 0o755, 0))
            for path in sorted(files):
                data = files[path]
                tar.addfile(_tarinfo(f"{root}/{path}", tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    return buffer.getvalue()


def _tarinfo(name: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = ARCHIVE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_course(module: Module, out_dir: Path | str, org: str = DEFAULT_ORG, run: str = DEFAULT_RUN) -> OlxCourse:
    """Write ``out_dir/<module>/`` and ``out_dir/<module>.tar.gz``; stale files of an earlier build are removed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = course_files(module, org, run)
    target = out / module.id
    if target.exists() and not (target / "course.xml").is_file() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not an OLX course built by vamos: not overwriting it")
    staging = Path(tempfile.mkdtemp(prefix=f".{module.id}-", dir=out))
    staging.chmod(0o755)
    try:
        for path, data in files.items():
            destination = staging / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    archive = out / f"{module.id}.tar.gz"
    data = archive_bytes(files, module.id)
    if not archive.is_file() or archive.read_bytes() != data:
        archive.write_bytes(data)
    return OlxCourse(module.id, target, archive, tuple(files))


def write_courses(modules: Iterable[Module], out_dir: Path | str, org: str = DEFAULT_ORG, run: str = DEFAULT_RUN) -> list[OlxCourse]:
    return [write_course(module, out_dir, org, run) for module in sorted(modules, key=lambda m: m.id)]
