"""OLX export: one Open edX course per module, as a directory and a ``.tar.gz`` ready for Studio import.

Pure Python and deterministic: the same module gives byte-identical files and archives (sorted entries, no
timestamps, fixed owner and modes), so a rebuild changes nothing unless the trainers' sources changed.

Course layout for module ``m`` (``url_name``s are built from content ids only, so a re-import of a newer content
version updates the blocks in place and learners keep their state):

==========================  ==============================================  ======================================
part                        url_name                                        contents
==========================  ==============================================  ======================================
chapter                     ``m``                                           the module
block                       ``m.overview``                                  ``vamos_module`` (overview, progress)
block                       ``m.lesson.<lesson-id>`` (one per lesson)       ``vamos_lesson``
block                       ``m.quiz`` (in a graded "Abschlusstest")        ``vamos_quiz``
block                       ``m.certificate``                               ``vamos_module`` (progress, certificate)
sequential / vertical       the block's url_name + ``.seq`` / ``.unit``     one subsection and unit per block
==========================  ==============================================  ======================================

The blocks only reference content by ``module_id``/``lesson_id``: the lessons and questions themselves come from
the ``vamos-lms`` package installed into Open edX, so trainers' sources stay the single truth.
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
    """Stable url_names of the course parts, keyed by role (``overview``, ``lesson:<id>``, ``quiz``, ``certificate``)."""
    names = {"chapter": module.id, "overview": f"{module.id}.overview"}
    names.update({f"lesson:{lesson.id}": f"{module.id}.lesson.{lesson.id}" for lesson in module.lessons})
    names["quiz"] = f"{module.id}.quiz"
    names["certificate"] = f"{module.id}.certificate"
    return names


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
    units: list[tuple[str, str, ET.Element, dict[str, str]]] = [
        (names["overview"], "Überblick", _element(
            "vamos_module", url_name=names["overview"], display_name="Überblick", module_id=module.id), {}),
    ]
    for lesson in module.lessons:
        name = names[f"lesson:{lesson.id}"]
        units.append((name, lesson.title, _element(
            "vamos_lesson", url_name=name, display_name=lesson.title, module_id=module.id, lesson_id=lesson.id), {}))
    if module.quiz.questions:
        units.append((names["quiz"], "Abschlusstest", _element(
            "vamos_quiz", url_name=names["quiz"], display_name="Abschlusstest", module_id=module.id, weight="1.0"),
            {"graded": "true", "format": GRADER_TYPE}))
    units.append((names["certificate"], "Abschluss und Zertifikat", _element(
        "vamos_module", url_name=names["certificate"], display_name="Abschluss und Zertifikat", module_id=module.id), {}))

    for name, title, block, grading in units:
        # The block carries the learner's state and keeps the plain name; its containers get suffixes
        # (url_names must be unique across all kinds of parts).
        sequential_name, vertical_name = f"{name}.seq", f"{name}.unit"
        ET.SubElement(chapter, "sequential", url_name=sequential_name)
        sequential = _element("sequential", display_name=title, **grading)
        ET.SubElement(sequential, "vertical", url_name=vertical_name)
        files[f"sequential/{sequential_name}.xml"] = _xml(sequential)
        vertical = _element("vertical", display_name=title)
        vertical.append(block)
        files[f"vertical/{vertical_name}.xml"] = _xml(vertical)
    files[f"chapter/{names['chapter']}.xml"] = _xml(chapter)

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
