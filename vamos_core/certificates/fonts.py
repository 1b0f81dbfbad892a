"""Fonts for the certificate, found on the system at run time (never downloaded).

Debian packages:

* ``fonts-dejavu-core`` – required: DejaVu Sans for the text, and for names in Latin (with
  diacritics: Ş ğ ß …), Cyrillic and Greek script;
* ``fonts-noto-core`` – for names in Arabic script (Arabic, Farsi, Urdu …): Noto Naskh Arabic;
* ``fonts-noto-cjk`` – optional, for Chinese, Japanese and Korean names: Noto Sans CJK.

A name is set in the font for its script, with the others as fallbacks for mixed names. If no
font for a name's script is installed, rendering fails with ``MissingFontError`` naming the
package, instead of printing empty boxes on a certificate.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools import subset, ttLib

LATIN, ARABIC, CJK = "latin", "arabic", "cjk"

# family -> (regular candidates, bold candidates, fc-match pattern, Debian package)
_SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]] = {
    LATIN: (
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
        "DejaVu Sans",
        "fonts-dejavu-core",
    ),
    ARABIC: (
        ("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
         "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf"),
        ("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf",
         "/usr/share/fonts/truetype/noto/NotoSansArabic-Bold.ttf"),
        "Noto Naskh Arabic",
        "fonts-noto-core",
    ),
    CJK: (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",),
        "Noto Sans CJK SC",
        "fonts-noto-cjk",
    ),
}


# The scripts every installation must render (names of the programme's learners); CJK stays optional.
REQUIRED_SCRIPTS = (LATIN, ARABIC)


def missing_font_packages(scripts: tuple[str, ...] = REQUIRED_SCRIPTS) -> list[str]:
    """The Debian packages whose fonts are missing for ``scripts`` (``make test`` installs or names them)."""
    return sorted({_SOURCES[s][3] for s in scripts if _find_file_face(s) is None})


class MissingFontError(RuntimeError):
    """No installed font can render a script the certificate needs."""


@dataclass(frozen=True)
class FontFace:
    regular: Path
    bold: Path


def _fc_match(pattern: str, wanted_family: str) -> Path | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{family}\n%{file}", pattern],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    family, _, file = out.partition("\n")
    # fc-match always answers with *something*; only accept the family we asked for.
    if wanted_family.lower() not in family.lower() or not file:
        return None
    return Path(file) if Path(file).is_file() else None


@lru_cache(maxsize=None)
def find_face(script: str) -> FontFace | None:
    if script in _DEJAVU_PARTS or script == DEJAVU_ALL:  # DejaVu Sans, cut to the part's ranges
        latin = _find_file_face(LATIN)
        return FontFace(trimmed(latin.regular, script), trimmed(latin.bold, script)) if latin else None
    face = _find_file_face(script)
    if face and script == LATIN:
        return FontFace(trimmed(face.regular, LATIN), trimmed(face.bold, LATIN))
    return face


@lru_cache(maxsize=None)
def _find_file_face(script: str) -> FontFace | None:
    regular_candidates, bold_candidates, pattern, _ = _SOURCES[script]
    regular = next((Path(p) for p in regular_candidates if Path(p).is_file()), None)
    bold = next((Path(p) for p in bold_candidates if Path(p).is_file()), None)
    family = "Noto Sans CJK" if script == CJK else pattern  # any CJK region variant will do
    regular = regular or _fc_match(f"{pattern}:style=Regular", family)
    bold = bold or _fc_match(f"{pattern}:style=Bold", family) or regular
    return FontFace(regular, bold) if regular else None


def require_face(script: str) -> FontFace:
    face = find_face(script)
    if face is None:
        _, _, pattern, package = _SOURCES[script if script in _SOURCES else LATIN]
        raise MissingFontError(
            f"no font for {script} script installed ({pattern}); install the Debian package {package}"
        )
    return face


def script_of(char: str) -> str | None:
    """The font family a character needs, or None for characters every font has (digits, spaces …)."""
    code = ord(char)
    if (0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF
            or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF):
        return ARABIC
    if (0x1100 <= code <= 0x11FF or 0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF):
        return CJK
    if unicodedata.category(char)[0] == "L":
        return LATIN  # Latin, Cyrillic, Greek …: DejaVu Sans covers them
    return None


def scripts_in(text: str) -> list[str]:
    """Scripts of a text, most frequent first (decides the primary font of a name)."""
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return sorted(counts, key=lambda s: -counts[s]) or [LATIN]


# The scripts DejaVu Sans is used for, in parts. fpdf2 parses and subsets every embedded font per
# document, and that costs time in proportion to the font's glyphs: so the body text is set in a
# copy of DejaVu reduced to the core ranges (German and the other Latin-script languages of Europe,
# ~600 glyphs instead of 6,253), and a name or text with letters of another part (Cyrillic, Greek,
# Vietnamese …) gets a copy with the core plus that part: every text is still set in one font.
# Letters outside all parts fail the coverage check like missing ones.
_CORE_RANGES = (
    (0x0020, 0x017F),  # Basic Latin, Latin-1, Latin Extended-A (Turkish, Polish, Czech …)
    (0x0218, 0x021B),  # Romanian comma-below letters
    (0x02BB, 0x02BC), (0x02C6, 0x02DD),  # modifier apostrophes, spacing accents
    (0x0300, 0x036F),  # combining marks (names typed in decomposed form)
    (0x2000, 0x206F), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122),  # punctuation, €, №, ™
)
_DEJAVU_PARTS: dict[str, tuple[tuple[int, int], ...]] = {
    "latin-ext": (  # Latin Extended-B, Additional (Vietnamese …), -C, -D, ligatures
        (0x0180, 0x024F), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xFB00, 0xFB06),
    ),
    "symbols": (  # IPA, modifier letters, currencies, letterlike symbols, arrows
        (0x0250, 0x02FF), (0x20A0, 0x20CF), (0x2100, 0x215F), (0x2190, 0x21FF),
    ),
    "greek": ((0x0370, 0x03FF), (0x1F00, 0x1FFF)),
    "cyrillic": ((0x0400, 0x052F), (0xA640, 0xA69F)),
    "armenian-hebrew-georgian": ((0x0530, 0x058F), (0x0590, 0x05FF), (0x10A0, 0x10FF)),
}
DEJAVU_ALL = "dejavu"  # core and every part: for a text with letters of two parts
_BODY_RANGES = _CORE_RANGES + tuple(r for ranges in _DEJAVU_PARTS.values() for r in ranges)
_PART_OF: dict[int, str] = {
    code: part for part, ranges in _DEJAVU_PARTS.items() for start, end in ranges for code in range(start, end + 1)
}
for _start, _end in _CORE_RANGES:
    for _code in range(_start, _end + 1):
        _PART_OF.pop(_code, None)


def faces_for(text: str) -> list[str]:
    """Like ``scripts_in``, with LATIN narrowed to the DejaVu copy that covers the text: LATIN (the
    core), one part, or ``DEJAVU_ALL`` if it has letters of two parts."""
    scripts = scripts_in(text)
    parts = {part for part in map(_PART_OF.get, map(ord, text)) if part}
    if parts:
        latin = parts.pop() if len(parts) == 1 else DEJAVU_ALL
        scripts = [latin if s == LATIN else s for s in scripts]
        if latin not in scripts:
            scripts.append(latin)
    return scripts


_trimmed_dir: Path | None = None


def _scratch_dir() -> Path:
    global _trimmed_dir
    if _trimmed_dir is None:
        _trimmed_dir = Path(tempfile.mkdtemp(prefix="vamos-fonts-"))
        atexit.register(shutil.rmtree, _trimmed_dir, True)
    return _trimmed_dir


def _save_atomically(font: ttLib.TTFont, target: Path) -> Path:
    partial = target.with_suffix(f".{os.getpid()}.{id(font)}.part")
    font.save(partial)
    os.replace(partial, target)  # atomic: a concurrent first use never sees half a file
    return target


# Tables fpdf2 drops from every embedded subset (fpdf.output.OutputProducer._add_fonts).
_NOT_EMBEDDED = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC",
                 "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR")


@lru_cache(maxsize=None)
def without_layout(path: Path) -> Path:
    """The font without the tables fpdf2 leaves out of the embedded subset anyway (OpenType layout,
    bitmaps, colour …); same glyphs in the same order. fpdf2 subsets this copy: fontTools would
    otherwise load and convert the layout tables of every document only to drop them. HarfBuzz
    still shapes with the original file. Font collections (.ttc) are left as they are."""
    if path.suffix.lower() not in (".ttf", ".otf"):
        return path
    with ttLib.TTFont(path, recalcBBoxes=False, recalcTimestamp=False) as font:
        for tag in _NOT_EMBEDDED:
            if tag in font:
                del font[tag]
        return _save_atomically(font, _scratch_dir() / f"{path.stem}-nolayout{path.suffix}")


@lru_cache(maxsize=None)
def trimmed(path: Path, part: str = DEJAVU_ALL) -> Path:
    """A copy of a body font reduced to the core ranges and ``part``'s (OpenType layout kept for shaping)."""
    ranges = _BODY_RANGES if part == DEJAVU_ALL else _CORE_RANGES + _DEJAVU_PARTS.get(part, ())
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.drop_tables += ["FFTM"]
    with ttLib.TTFont(path) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for start, end in ranges for c in range(start, end + 1)])
        subsetter.subset(font)
        return _save_atomically(font, _scratch_dir() / f"{path.stem}-{part}{path.suffix}")
