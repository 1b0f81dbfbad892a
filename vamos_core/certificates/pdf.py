"""The certificate as an A4 PDF/A-3b document in German, rendered with fpdf2.

Why fpdf2: it writes PDF/A-3 itself (XMP ``pdfaid``, sRGB OutputIntent with its bundled ICC
profile, embedded font subsets, associated files with ``AFRelationship``) and shapes Arabic and
Farsi right-to-left through HarfBuzz (``uharfbuzz``), so no post-processing step is needed.
Fonts come from Debian packages, see ``fonts.py``. The QR code is drawn as vector rectangles:
sharp at any zoom and printer resolution, and no image to embed.
"""
from __future__ import annotations

import copy
import hashlib
import re
import threading
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.constants
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import PDFResourceType, TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

from .codes import new_code
from .credential import MEDIA_TYPE
from .fonts import LATIN, MissingFontError, faces_for, require_face, script_of, without_layout
from .german import german_date, german_hours, german_percent
from .issuer import IssuerSettings
from .record import CertificateData, ModuleInfo

ATTACHMENT_NAME = "credential.jwt"
ACCENT = (31, 78, 95)  # dark teal
TEXT = (33, 37, 41)
MUTED = (100, 108, 115)
RULE = (196, 205, 210)

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 22.0
BOTTOM_BLOCK_TOP = 228.0  # signature, QR code and verification details live below this line


# Line breaks of texts that repeat across certificates (module title, objectives, issuer, fixed
# wording), keyed by text, width and font; bounded so that a long-running worker stays small.
_LINE_CACHE: dict[tuple, tuple[str, ...]] = {}
_OBJECTIVES_CACHE: dict[tuple, tuple[float, tuple[tuple[str, ...], ...]]] = {}
_CACHE_SIZE = 4096


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_SIZE:
        try:
            cache.pop(next(iter(cache)), None)  # oldest first (dicts keep insertion order)
        except (StopIteration, RuntimeError):  # another thread changed the cache meanwhile
            pass
    cache[key] = value


@lru_cache(maxsize=None)
def _codepoints(path: str) -> frozenset[int]:
    with ttLib.TTFont(path, fontNumber=0, lazy=True) as font:  # lazy: the file stays open until closed
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=64)
def _covered(paths: tuple[str, ...]) -> frozenset[int]:
    return frozenset().union(*map(_codepoints, paths))


# Parsed fonts, shared by the documents of a process. fpdf2's add_font parses the whole font file
# with fontTools and measures every glyph, for every document; the result is the same each time.
# A document gets a copy of the parsed font whose per-document state is new: the subset map (which
# glyphs the page uses), the font descriptor (output writes its object number into it) and the
# fontTools font, which output() subsets in place — opened lazily, so it costs nothing until then.
_PROTOTYPES: dict[tuple[str, str, int], TTFFont] = {}
_PROTOTYPES_LOCK = threading.Lock()


def _prototype(path: str, style: str, collection_font_number: int) -> TTFFont:
    key = (path, style, collection_font_number)
    font = _PROTOTYPES.get(key)
    if font is None:
        with _PROTOTYPES_LOCK:
            font = _PROTOTYPES.get(key)
            if font is None:
                scratch = FPDF()
                scratch.add_font("prototype", style, path, collection_font_number=collection_font_number)
                font = scratch.fonts["prototype" + style]
                font.close()  # the shared prototype keeps metrics and maps, no open font file
                _PROTOTYPES[key] = font
    return font


class _EmbeddedFont(ttLib.TTFont):
    """The fontTools font fpdf2 subsets and embeds, saved as with ``recalcBBoxes=True`` (bounding
    boxes and maxima in head, hhea and maxp computed for the subset, as fpdf2 does) except that the
    glyphs themselves are written as read: recomputing their boxes would decode and re-encode every
    glyph outline, though subsetting changes neither outlines nor boxes. That was a third of the
    embedding time."""

    _glyf_data: bytes | None = None

    def getTableData(self, tag):
        if self._glyf_data is None and "glyf" in self and self.isLoaded("glyf"):
            # glyf first, before maxp's recalculation unpacks the glyphs (which drops their bytes)
            self.recalcBBoxes = False
            try:
                self._glyf_data = self.tables["glyf"].compile(self)
            finally:
                self.recalcBBoxes = True
        if tag == "glyf" and self._glyf_data is not None:
            return self._glyf_data
        return super().getTableData(tag)


def _font_for_document(pdf: FPDF, fontkey: str, style: str, path: str, collection_font_number: int) -> TTFFont:
    prototype = _prototype(path, style, collection_font_number)
    font = copy.copy(prototype)  # shares the read-only measurements: cw, cmap, glyph_ids, names
    font.i = len(pdf.fonts) + 1
    font.fontkey = fontkey
    font.emphasis = TextEmphasis.coerce(style)
    font.desc = copy.copy(prototype.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # HarfBuzz font: made on first use, per document
    # The copy without layout tables has the same glyphs in the same order (see without_layout).
    font.ttfont = _EmbeddedFont(without_layout(Path(path)), recalcTimestamp=False,
                                fontNumber=collection_font_number, lazy=True)
    font.subset = SubsetMap(font)
    return font


class _CertificatePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)  # one page, laid out explicitly
        self.loaded_faces: dict = {}
        self.use_faces_for("")  # the body font (core Latin): every certificate needs it

    def add_cached_font(self, family: str, style: str, path: str, collection_font_number: int = 0) -> None:
        """``add_font`` with the parsing shared across documents (see ``_PROTOTYPES``)."""
        prototype = _prototype(path, style, collection_font_number)
        if prototype.color_font is not None or type(prototype) is not TTFFont:
            self.add_font(family, style, path, collection_font_number=collection_font_number)
            return
        fontkey = f"{family.lower()}{style}"
        self.fonts[fontkey] = _font_for_document(self, fontkey, style, path, collection_font_number)

    def family_of(self, script: str) -> str:
        return "body" if script == LATIN else script

    def use_faces_for(self, text: str) -> str:
        """Load the fonts a text needs; return the family to set it in. Fails on uncovered letters."""
        scripts = faces_for(text)
        for script in [LATIN, *scripts]:
            if script not in self.loaded_faces:
                face = require_face(script)
                # (a .ttc collection: its first font, e.g. the SC variant of Noto Sans CJK)
                self.add_cached_font(self.family_of(script), "", str(face.regular))
                self.add_cached_font(self.family_of(script), "B", str(face.bold))
                self.loaded_faces[script] = face
        covered = _covered(tuple(str(f.regular) for f in self.loaded_faces.values()))
        missing = sorted({c for c in text if ord(c) not in covered and script_of(c)})
        if missing:
            raise MissingFontError(f"no installed font has the letters {''.join(missing)!r}")
        return self.family_of(scripts[0])

    def use_fallbacks_for(self, family: str) -> None:
        """Letters a text's font lacks come from the other loaded fonts."""
        self.set_fallback_fonts(
            [self.family_of(s) for s in self.loaded_faces if self.family_of(s) != family], exact_match=False
        )

    def output(self, *args, **kwargs):
        # Fonts loaded but not printed with (e.g. the regular style of a name's script) would still
        # be subset and embedded by fpdf2: leave them out.
        used = self._resource_catalog.get_used_resources(PDFResourceType.FONT)
        for key in [k for k, font in self.fonts.items() if font.i not in used]:
            del self.fonts[key]
        return super().output(*args, **kwargs)

    def centered(self, text: str, size: float, *, style: str = "", color=TEXT, family: str = "body",
                 height: float | None = None) -> None:
        self.set_font(family, style, size)
        self.set_text_color(*color)
        self.text_block(0, height or size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")

    def text_block(self, w: float, h: float, text: str, *, align: str = "L", new_x: str = "RIGHT",
                   new_y: str = "NEXT", wrapmode: str = "WORD") -> None:
        """``multi_cell`` with the same line breaks and placement, printed as one ``cell`` per line.

        fpdf2's line breaking re-measures the whole line for every character it adds (quadratic);
        a text that fits on one line needs none of it, and the breaks of longer texts are cached.
        """
        if w == 0:
            w = self.w - self.r_margin - self.x
        lines = self.break_lines(text, w, wrapmode)
        last = len(lines) - 1
        for i, line in enumerate(lines):
            self.cell(w, h, line, align=align,
                      new_x=new_x if i == last else "LEFT", new_y=new_y if i == last else "NEXT")

    def break_lines(self, text: str, w: float, wrapmode: str = "WORD") -> tuple[str, ...]:
        """The lines ``multi_cell(w, …)`` would print ``text`` in, with the current font."""
        if "\n" not in text and "\r" not in text and "\u00ad" not in text \
                and self.get_string_width(text) <= w - 2 * self.c_margin:
            return (text,)  # fits: multi_cell would print it unchanged on one line
        if self.text_shaping:  # shaped text (the name) is not cached: it differs per certificate
            return tuple(self.multi_cell(w, 1, text, align="L", wrapmode=wrapmode, dry_run=True, output="LINES"))
        key = (text, round(w, 4), wrapmode, self.font_signature(), round(self.font_size_pt, 4),
               round(self.char_spacing, 4), self.font_stretching)
        lines = _LINE_CACHE.get(key)
        if lines is None:
            lines = tuple(self.multi_cell(w, 1, text, align="L", wrapmode=wrapmode, dry_run=True, output="LINES"))
            _remember(_LINE_CACHE, key, lines)
        return lines

    def font_signature(self) -> tuple:
        """What line breaking depends on besides the text: the font files of the current font and
        its fallbacks (the same for every document: fonts are found once per process)."""
        fallbacks = tuple(str(self.fonts[k].ttffile) for k in self._fallback_font_ids)
        return (str(self.current_font.ttffile), self.font_style, fallbacks, self._fallback_font_exact_match)

    def rule(self, y: float, x1: float = MARGIN, x2: float = PAGE_W - MARGIN) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.3)
        self.line(x1, y, x2, y)

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(url)
        code.make(fit=True)
        matrix = code.get_matrix()
        cell = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for row, line in enumerate(matrix):
            col = 0
            while col < len(line):  # one rectangle per horizontal run of dark modules
                if not line[col]:
                    col += 1
                    continue
                start = col
                while col < len(line) and line[col]:
                    col += 1
                # a hair of overlap avoids white seams between rows in some viewers
                self.rect(x + start * cell, y + row * cell, (col - start) * cell + 0.01, cell + 0.01, style="F")


def _fit_size(pdf: FPDF, text: str, family: str, style: str, size: float, width: float, minimum: float) -> float:
    while size > minimum:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 1
    return size


def _objectives_layout(pdf: _CertificatePDF, objectives: tuple[str, ...], top: float, width: float,
                       gap: float) -> tuple[float | None, tuple[tuple[str, ...], ...]]:
    """Font size and broken lines of the objectives list: the largest size from 10 pt down to 7 pt at
    which it fits between ``top`` and the bottom block. Depends only on the arguments and the body
    font, so it is cached per module (trying the sizes costs more than the rest of the page)."""
    pdf.set_font("body", "", 10)
    key = (objectives, round(top, 4), round(width, 4), gap, pdf.font_signature())
    cached = _OBJECTIVES_CACHE.get(key)
    if cached is not None:
        return cached
    result: tuple[float | None, tuple[tuple[str, ...], ...]] = (None, ())
    for size in (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0):
        pdf.set_font("body", "", size)
        line = size * 0.47
        broken = tuple(pdf.break_lines(text, width) for text in objectives)
        needed = 7 + sum(len(lines) * line + gap for lines in broken)
        if top + needed <= BOTTOM_BLOCK_TOP - 4:
            result = (size, broken)
            break
    _remember(_OBJECTIVES_CACHE, key, result)
    return result


def render_pdf(data: CertificateData, credential_jwt: str | None = None) -> bytes:
    """The certificate PDF (PDF/A-3b); with ``credential_jwt`` embedded as ``credential.jwt``."""
    module, issuer = data.module, data.issuer
    pdf = _CertificatePDF()
    pdf.set_lang("de-DE")
    pdf.set_title(f"Zertifikat: {module.title} – {data.learner_name}")
    pdf.set_author(issuer.organisation_name)
    pdf.set_subject(f"Nachweis über den Abschluss des Moduls „{module.title}“ (Version {module.version})")
    pdf.set_keywords(f"Zertifikat, VAMOs, {module.id}, Prüfcode {data.verification_code}")
    pdf.set_creator("vamos-lms")
    pdf.set_creation_date(data.valid_from)
    # Every printed text must have glyphs (no empty boxes on a certificate); the name decides last,
    # so its script's font is the one set for it.
    pdf.use_faces_for(" ".join([module.title, *module.objectives, issuer.organisation_name,
                                issuer.signatory_name or "", issuer.signatory_role or ""]))
    name_family = pdf.use_faces_for(data.learner_name)
    pdf.use_fallbacks_for("body")
    pdf.add_page()
    width = PAGE_W - 2 * MARGIN

    # Frame: accent bars top and bottom.
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, PAGE_W, 7, style="F")
    pdf.rect(0, PAGE_H - 4, PAGE_W, 4, style="F")

    # Header: logo left, issuer right.
    header_y = 16.0
    if issuer.logo_path:
        pdf.image(str(issuer.logo_path), x=MARGIN, y=header_y, h=16)
    pdf.set_xy(MARGIN, header_y + 2)
    pdf.set_font("body", "B", 9.5)
    pdf.set_text_color(*ACCENT)
    pdf.text_block(width, 4.6, issuer.organisation_name, align="R" if issuer.logo_path else "C",
                   new_x="LMARGIN", new_y="NEXT")
    if issuer.issuer_url:
        pdf.set_font("body", "", 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 4, issuer.issuer_url, align="R" if issuer.logo_path else "C",
                 new_x="LMARGIN", new_y="NEXT")

    # Title.
    pdf.set_y(44)
    pdf.set_char_spacing(2.5)
    pdf.centered("ZERTIFIKAT", 30, style="B", color=ACCENT, height=13)
    pdf.set_char_spacing(0)
    pdf.centered("über den erfolgreichen Abschluss eines Online-Moduls", 11, color=MUTED, height=7)

    # Who.
    pdf.set_y(pdf.get_y() + 9)
    pdf.centered("Hiermit wird bestätigt, dass", 11.5, height=8)
    pdf.use_fallbacks_for(name_family)
    pdf.set_text_shaping(True)
    size = _fit_size(pdf, data.learner_name, name_family, "B", 26, width, 12)
    pdf.set_text_shaping(False)
    pdf.set_y(pdf.get_y() + 2)
    # HarfBuzz shaping for the name only (Arabic joining forms, RTL order, combining marks): the
    # German text needs none of it, and shaping every line would triple the rendering time.
    pdf.set_text_shaping(True)
    pdf.centered(data.learner_name, size, style="B", family=name_family, height=size * 0.55)
    pdf.set_text_shaping(False)
    pdf.use_fallbacks_for("body")
    pdf.rule(pdf.get_y() + 2, MARGIN + 25, PAGE_W - MARGIN - 25)

    # What and when.
    pdf.set_y(pdf.get_y() + 7)
    pdf.centered("das Online-Modul", 11.5, height=7)
    pdf.centered(module.title, 18, style="B", color=ACCENT, height=9)
    pdf.centered(f"Version {module.version}", 9.5, color=MUTED, height=5.5)
    pdf.set_y(pdf.get_y() + 2)
    pdf.centered(f"am {german_date(data.completion_date)} erfolgreich abgeschlossen hat.", 11.5, height=8)
    facts = []
    if module.hours:
        facts.append(f"Umfang: {german_hours(module.hours)}")
    if data.printed_score is not None:
        facts.append(f"Ergebnis im Abschlusstest: {german_percent(data.printed_score)}")
    if facts:
        pdf.set_y(pdf.get_y() + 1)
        pdf.centered("   ·   ".join(facts), 10.5, style="B", height=7)

    # Learning objectives: shrink the type until the list fits above the bottom block. The layout is
    # the same for every certificate of a module, so it is computed once (see _objectives_layout).
    top = pdf.get_y() + 6
    pdf.rule(top - 2)
    indent, gap = 6.0, 1.2
    size, broken = _objectives_layout(pdf, module.objectives, top, width - indent, gap)
    if size is None:  # never print objectives over the signature and QR code
        raise ValueError(f"the objectives of module {module.id!r} do not fit on the certificate")
    line = size * 0.47
    pdf.set_xy(MARGIN, top)
    pdf.set_font("body", "B", 10.5)
    pdf.set_text_color(*ACCENT)
    pdf.cell(width, 6, "Lernziele des Moduls", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.get_y() + 1)
    pdf.set_text_color(*TEXT)
    for lines in broken:
        pdf.set_font("body", "B", size)
        pdf.set_x(MARGIN + 1.5)
        pdf.cell(indent - 1.5, line, "•")
        pdf.set_font("body", "", size)
        for text in lines:
            pdf.set_x(MARGIN + indent)
            pdf.cell(width - indent, line, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(pdf.get_y() + gap)

    # Bottom block: issue date and signatory left, verification right.
    pdf.rule(BOTTOM_BLOCK_TOP)
    left_w = 92.0
    pdf.set_xy(MARGIN, BOTTOM_BLOCK_TOP + 5)
    pdf.set_font("body", "", 9.5)
    pdf.set_text_color(*TEXT)
    pdf.cell(left_w, 5, f"Ausgestellt am {german_date(data.issue_date)}", new_x="LMARGIN", new_y="NEXT")
    sign_y = BOTTOM_BLOCK_TOP + 27
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, sign_y, MARGIN + 70, sign_y)
    pdf.set_xy(MARGIN, sign_y + 1.5)
    pdf.set_font("body", "B", 9.5)
    pdf.text_block(left_w, 4.6, issuer.signatory_name or issuer.organisation_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", "", 8.5)
    pdf.set_text_color(*MUTED)
    if issuer.signatory_role:
        pdf.text_block(left_w, 4.2, issuer.signatory_role, align="L", new_x="LMARGIN", new_y="NEXT")
    if issuer.signatory_name:
        pdf.text_block(left_w, 4.2, issuer.organisation_name, align="L", new_x="LMARGIN", new_y="NEXT")

    qr_size = 30.0
    qr_x = PAGE_W - MARGIN - qr_size
    pdf.qr(data.verify_url, qr_x, BOTTOM_BLOCK_TOP + 5, qr_size)
    text_x, text_w = MARGIN + left_w + 4, qr_x - (MARGIN + left_w + 4) - 4
    pdf.set_xy(text_x, BOTTOM_BLOCK_TOP + 5)
    pdf.set_font("body", "B", 9)
    pdf.set_text_color(*ACCENT)
    pdf.text_block(text_w, 4.5, "Echtheit prüfen", align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_font("body", "", 7.5)
    pdf.set_text_color(*TEXT)
    pdf.text_block(text_w, 3.6, "QR-Code scannen oder die Adresse aufrufen:", align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*ACCENT)
    # Break long URLs anywhere rather than overflowing into the QR code.
    pdf.text_block(text_w, 3.6, data.verify_url, align="L", new_x="LEFT", new_y="NEXT", wrapmode="CHAR")
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.set_x(text_x)
    pdf.set_font("body", "", 7.5)
    pdf.set_text_color(*TEXT)
    pdf.text_block(text_w, 3.6, "Prüfcode:", align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_font("body", "B", 8.5)
    groups = data.verification_code.split("-")
    half = (len(groups) + 1) // 2  # break between groups, never inside one
    for part in ("-".join(groups[:half]) + "-", "-".join(groups[half:])):
        pdf.cell(text_w, 4.2, part, new_x="LEFT", new_y="NEXT")

    pdf.set_xy(MARGIN, PAGE_H - 13)
    pdf.set_font("body", "", 6.5)
    pdf.set_text_color(*MUTED)
    pdf.text_block(
        width, 3,
        "Archivfähiges PDF/A-3. Eingebettet ist ein digital signierter Nachweis nach Open Badges 3.0 "
        f"({ATTACHMENT_NAME}), den Software ohne Rückfrage beim Aussteller prüfen kann.",
        align="C",
    )

    if credential_jwt is not None:
        pdf.embed_file(
            bytes=credential_jwt.encode("ascii"),
            basename=ATTACHMENT_NAME,
            mime_type=MEDIA_TYPE,
            associated_file_relationship="Alternative",  # a machine-readable form of this certificate
            desc="Open Badges 3.0 OpenBadgeCredential (VC-JWT)",
            modification_date=data.valid_from,
        )
    return unique_subset_tags(bytes(pdf.output()))


def warm_up(names: tuple[str, ...] = ("Aylin Öztürk",)) -> None:
    """Prepare in this process what its first certificate would otherwise pay for inside a learner's request:
    finding the fonts, writing their trimmed copies and parsing them (about a second per script on a 2-core
    host, against ~40 ms for every later certificate). A server calls it once per process at start; a name in
    another script still prepares its font on first use."""
    module = ModuleInfo(id="vorbereitung", title="Projektmanagement im Verein", version="1",
                        objectives=("Sie planen ein Projekt für Ihren Verein mit Zielen, Zeitplan und Budget.",))
    for name in names:
        render_pdf(CertificateData(learner_name=name, learner_pseudonym="urn:uuid:00000000-0000-4000-8000-0",
                                   module=module, completed_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                   verification_code=new_code(), verify_url="https://example.org/verify",
                                   issuer=IssuerSettings(), score=100.0))


_SUBSET_TAG = re.compile(rb"/MPDFAA\+([A-Za-z0-9_.\-]+)")


def unique_subset_tags(document: bytes) -> bytes:
    """fpdf2 names every embedded subset ``MPDFAA+<font>``; ISO 32000-1 §9.6.4 asks for a tag of six upper-case
    letters that differs between subsets. Each font gets a tag derived from its name and the document (so two
    certificates never share a tag for their different subsets); all of a font's references (font, descendant
    font, descriptor) keep the same tag. Same length, so the cross-reference offsets stay valid."""
    names = sorted(set(_SUBSET_TAG.findall(document)))
    if not names:
        return document
    seed = hashlib.sha256(document).digest()
    tags: dict[bytes, bytes] = {}
    for name in names:
        counter = 0
        while True:
            digest = hashlib.sha256(seed + name + counter.to_bytes(4, "big")).digest()
            tag = bytes(65 + b % 26 for b in digest[:6])
            if tag not in tags.values():
                break
            counter += 1
        tags[name] = tag
    return _SUBSET_TAG.sub(lambda m: b"/" + tags[m.group(1)] + b"+" + m.group(1), document)
