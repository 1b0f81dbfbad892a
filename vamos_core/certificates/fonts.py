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

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    regular_candidates, bold_candidates, pattern, _ = _SOURCES[script]
    regular = next((Path(p) for p in regular_candidates if Path(p).is_file()), None)
    bold = next((Path(p) for p in bold_candidates if Path(p).is_file()), None)
    family = pattern.split(" CJK")[0] if script == CJK else pattern
    regular = regular or _fc_match(f"{pattern}:style=Regular", family)
    bold = bold or _fc_match(f"{pattern}:style=Bold", family) or regular
    return FontFace(regular, bold) if regular else None


def require_face(script: str) -> FontFace:
    face = find_face(script)
    if face is None:
        _, _, pattern, package = _SOURCES[script]
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
