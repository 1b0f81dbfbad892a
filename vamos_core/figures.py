"""Figures in lessons: which files may be shown, their safety, their size, and the long description.

A figure is a Markdown image on its own line with a caption:

    ![Alternative text](media/abbildungen/wirkungstreppe.svg "Caption")

    ::: bildbeschreibung
    Optional long description for diagrams whose content the alt text cannot carry.
    :::

The checks here run in the validator (``check_figures``); ``image_size`` gives the renderer the intrinsic
size, so browsers reserve the space before the image loads (no layout jump on phones).
"""
from __future__ import annotations

import hashlib
import re
import struct
from functools import lru_cache
from pathlib import Path

from defusedxml.ElementTree import fromstring

from .svg import check_svg

FIGURE_TYPES = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}  # = editor uploads
MAX_RASTER_BYTES = 1_500_000  # phones on prepaid data: a lesson picture must stay small
DESCRIPTION_BLOCK = "bildbeschreibung"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IMAGE_LINE_RE = re.compile(r'^\s*!\[[^\]]*\]\((?:[^)"]|"[^"]*")*\)\s*$')  # the caption may hold ")"


def check_figure_file(path: Path) -> list[str]:
    """Problems of one image file that a lesson shows (path exists; checked by the body checks)."""
    kind = FIGURE_TYPES.get(path.suffix.lower())
    if kind is None:
        return [f"'{path.name}' is not a figure type (allowed: SVG, PNG, JPEG, WebP)"]
    data = path.read_bytes()
    if kind == "SVG":
        return list(_svg_problems(data))
    if kind == "PNG" and not data.startswith(PNG_SIGNATURE):
        return [f"'{path.name}' is not a PNG file"]
    if kind == "JPEG" and not data.startswith(b"\xff\xd8\xff"):
        return [f"'{path.name}' is not a JPEG file"]
    if kind == "WebP" and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return [f"'{path.name}' is not a WebP file"]
    if len(data) > MAX_RASTER_BYTES:
        return [f"'{path.name}' has {len(data) // 1000} KB; keep pictures under {MAX_RASTER_BYTES // 1000} KB"]
    return []


_SVG_PROBLEMS: dict[bytes, tuple[str, ...]] = {}


def _svg_problems(data: bytes) -> tuple[str, ...]:
    """The problems of an SVG's bytes, remembered per process by their SHA-256: the editor validates the whole
    module on every save, and its figures rarely change. Keyed by content, so an answer is never stale."""
    digest = hashlib.sha256(data).digest()
    found = _SVG_PROBLEMS.get(digest)
    if found is None:
        problems = [f"SVG is not clean: {message}" for message in check_svg(data)]
        if not problems and _svg_view_box(data) is None:
            problems.append("SVG needs a viewBox, so that it scales down to a phone screen")
        if len(_SVG_PROBLEMS) >= 1024:
            _SVG_PROBLEMS.clear()
        found = _SVG_PROBLEMS[digest] = tuple(problems)
    return found


def check_description_blocks(text: str) -> list[tuple[int, str]]:
    """(line, message) for each ``::: bildbeschreibung`` that does not directly follow a figure."""
    problems = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not re.match(rf"^\s*:::\s*{DESCRIPTION_BLOCK}\b", line):
            continue
        previous = next((lines[i] for i in range(number - 2, -1, -1) if lines[i].strip()), "")
        if not _IMAGE_LINE_RE.match(previous):
            problems.append((number, "a '::: bildbeschreibung' must follow directly after a figure line ![…](…)"))
        elif line.strip() != f"::: {DESCRIPTION_BLOCK}":
            problems.append((number, "write '::: bildbeschreibung' without a title (the figure's caption is used)"))
    return problems


@lru_cache(maxsize=256)
def image_size(path: Path, mtime: float = 0.0) -> tuple[int, int] | None:
    """Intrinsic (width, height) of an SVG (from viewBox) or PNG; None if unknown. ``mtime`` keys the cache."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if path.suffix.lower() == ".svg":
        box = _svg_view_box(data)
        if box:
            return round(box[0]), round(box[1])
    return None


def _svg_view_box(data: bytes) -> tuple[float, float] | None:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception:  # check_svg reports parse problems; here "no size" is the answer
        return None
    numbers = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
    try:
        _, _, width, height = (float(n) for n in numbers)
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def check_figures(text: str, module_dir: Path) -> list:
    """Figure problems of a lesson body (``BodyProblem`` with body lines): file type, safety, size, descriptions.

    Alt text and "file exists" are checked by ``markdown.check_body`` for every image already.
    """
    from .markdown import BodyProblem, _images_and_links, _is_relative  # markdown never imports us

    problems = [BodyProblem(line, "figure", message) for line, message in check_description_blocks(text)]
    root = module_dir.resolve()
    # The images from the body's parse that check_body made (remembered per text): no second parse.
    for kind, url, _alt, line in _images_and_links(text):
        if kind != "image":
            continue
        src = url.split("#", 1)[0].split("?", 1)[0]
        if not _is_relative(src):
            problems.append(BodyProblem(line, "figure", f"'{src}' must be a file in the module's media folder"))
            continue
        path = (module_dir / src).resolve()
        if root in path.parents and path.is_file():
            problems += [BodyProblem(line, "figure", f"{src}: {message}") for message in check_figure_file(path)]
    return problems
