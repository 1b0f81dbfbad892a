"""Files trainers upload into a module: images for lessons and downloadable templates.

Every refusal is a ``MediaRefused`` with a plain German message; nothing is stored on a refusal.
The type is decided by the bytes (magic numbers), never by the name or the browser's claim.
"""
from __future__ import annotations

import hashlib
import posixpath
import re

from .document import slug

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}
DOWNLOAD_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
_NAME_RE = re.compile(r"^media/(?:[a-z0-9][a-z0-9._-]{0,80}/){0,3}[a-z0-9][a-z0-9._-]{0,80}$")
# What a module folder may carry beyond uploads (ZIP import, copies of shipped modules): the lesson video,
# its captions and transcript (issue 18), and printable HTML templates. The tool serves every media file with
# a sandboxing CSP, so an HTML file runs no script even when opened directly.
FOLDER_TYPES = {"mp4": "video", "webm": "video", "vtt": "text", "md": "text", "html": "text"}


class MediaRefused(ValueError):
    """A file that may not become part of a module; ``str()`` is the German message for the trainer."""


def sniff(data: bytes) -> str | None:
    """The file kind by its content: png, jpg, webp, svg, pdf, zip (OOXML/ODF), text; None if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data[4:8] == b"ftyp" or data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"  # ISO base media (MP4) or EBML (WebM); the loader checks codecs and captions
    head = data[:2048].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<") and b"<svg" in data[:4096].lower():
        return "svg"
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text" if b"\x00" not in data[:65536] else None


def media_name(filename: str, extension: str, taken: set[str]) -> str:
    """``media/<slug>.<ext>``, unique in the module; the uploaded name never reaches the file system."""
    stem = slug(posixpath.splitext(posixpath.basename(filename or ""))[0], "datei", 60)
    name = f"media/{stem}.{extension}"
    n = 2
    while name in taken:
        name = f"media/{stem}-{n}.{extension}"
        n += 1
    return name


def accept_image(data: bytes, filename: str, alt: str, taken: set[str]) -> tuple[str, bytes, dict]:
    """(path, stored bytes, meta) for an image upload, or MediaRefused."""
    if not (alt or "").strip():
        raise MediaRefused("Bitte beschreiben Sie das Bild in einem Satz (Alternativtext). Menschen, die nicht sehen, hören diesen Text.")
    if len(data) > MAX_IMAGE_BYTES:
        raise MediaRefused(f"Das Bild ist zu groß ({len(data) / 1048576:.1f} MB). Erlaubt sind höchstens {MAX_IMAGE_BYTES // 1048576} MB.")
    kind = sniff(data)
    if kind not in IMAGE_TYPES:
        raise MediaRefused("Diese Datei ist kein Bild in einem erlaubten Format. Erlaubt sind PNG, JPEG, WebP und SVG.")
    if kind == "svg":
        data = _clean_svg(data)
    else:
        _check_raster(data)
    path = media_name(filename, kind, taken)
    return path, data, meta_for(data, IMAGE_TYPES[kind], alt=alt.strip())


def accept_download(data: bytes, filename: str, title: str, taken: set[str]) -> tuple[str, bytes, dict]:
    """(path, bytes, meta) for a downloadable template, or MediaRefused."""
    if not (title or "").strip():
        raise MediaRefused("Bitte geben Sie der Vorlage einen Titel. Lernende sehen ihn als Link.")
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise MediaRefused(f"Die Datei ist zu groß ({len(data) / 1048576:.1f} MB). Erlaubt sind höchstens {MAX_DOWNLOAD_BYTES // 1048576} MB.")
    extension = posixpath.splitext((filename or "").lower())[1].lstrip(".")
    kind = sniff(data)
    expected = {"pdf": "pdf", "docx": "zip", "xlsx": "zip", "pptx": "zip", "odt": "zip", "ods": "zip", "csv": "text", "txt": "text"}
    if extension not in DOWNLOAD_TYPES or expected[extension] != kind:
        raise MediaRefused("Dieses Dateiformat ist als Vorlage nicht erlaubt. Erlaubt sind PDF, DOCX, XLSX, PPTX, ODT, ODS, CSV und TXT.")
    path = media_name(filename, extension, taken)
    return path, data, meta_for(data, DOWNLOAD_TYPES[extension], title=title.strip())


def meta_for(data: bytes, content_type: str, **extra) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "type": content_type, **extra}


def meta_from_bytes(path: str, data: bytes) -> dict:
    """Meta of a file that arrives inside a module folder (copy or ZIP import)."""
    kind = sniff(data)
    extension = posixpath.splitext(path.lower())[1].lstrip(".")
    content_type = IMAGE_TYPES.get(kind or "") or DOWNLOAD_TYPES.get(extension) or "application/octet-stream"
    return meta_for(data, content_type)


def check_file(path: str, data: bytes) -> str | None:
    """A German problem for a file inside an imported module folder, or None."""
    if not _NAME_RE.match(path):
        return "Dateien eines Moduls liegen im Ordner media/ und haben einfache Namen (Kleinbuchstaben, Ziffern, - _ .)."
    kind = sniff(data)
    extension = posixpath.splitext(path)[1].lstrip(".")
    if extension in ("png", "jpg", "jpeg", "webp", "svg"):
        if kind != {"jpeg": "jpg"}.get(extension, extension):
            return "Der Inhalt passt nicht zur Dateiendung."
        if kind == "svg":
            try:
                _clean_svg(data)
            except MediaRefused as exc:
                return str(exc)
        return None
    if extension in FOLDER_TYPES:
        return None if kind == FOLDER_TYPES[extension] else "Der Inhalt passt nicht zur Dateiendung."
    if extension not in DOWNLOAD_TYPES:
        return "Dieses Dateiformat ist in einem Modul nicht erlaubt."
    return None


def _check_raster(data: bytes) -> None:
    from io import BytesIO

    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except Exception:  # noqa: BLE001 - any decoder failure means: not a usable image
        raise MediaRefused("Das Bild lässt sich nicht öffnen. Bitte speichern Sie es neu als PNG oder JPEG.") from None
    if width * height > 40_000_000:
        raise MediaRefused("Das Bild hat zu viele Bildpunkte. Bitte verkleinern Sie es (höchstens 40 Megapixel).")


def _clean_svg(data: bytes) -> bytes:
    """Sanitised SVG (scripts, event handlers, external references removed), or MediaRefused."""
    from .. import svg

    try:
        return svg.sanitize_svg(data)
    except svg.UnsafeSvgError as exc:
        raise MediaRefused(f"Die SVG-Grafik kann nicht sicher verwendet werden: {exc}") from None
