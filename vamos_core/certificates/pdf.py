"""The certificate as an A4 PDF/A-3b document in German, rendered with fpdf2.

Why fpdf2: it writes PDF/A-3 itself (XMP ``pdfaid``, sRGB OutputIntent with its bundled ICC
profile, embedded font subsets, associated files with ``AFRelationship``) and shapes Arabic and
Farsi right-to-left through HarfBuzz (``uharfbuzz``), so no post-processing step is needed.
Fonts come from Debian packages, see ``fonts.py``. The QR code is drawn as vector rectangles:
sharp at any zoom and printer resolution, and no image to embed.
"""
from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.constants
from fontTools import ttLib
from fpdf import FPDF

from .credential import MEDIA_TYPE
from .fonts import LATIN, MissingFontError, require_face, script_of, scripts_in
from .german import german_date, german_hours, german_percent
from .record import CertificateData

ATTACHMENT_NAME = "credential.jwt"
ACCENT = (31, 78, 95)  # dark teal
TEXT = (33, 37, 41)
MUTED = (100, 108, 115)
RULE = (196, 205, 210)

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 22.0
BOTTOM_BLOCK_TOP = 228.0  # signature, QR code and verification details live below this line


@lru_cache(maxsize=None)
def _codepoints(path: str) -> frozenset[int]:
    font = ttLib.TTFont(path, fontNumber=0, lazy=True)
    return frozenset(font.getBestCmap())


class _CertificatePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)  # one page, laid out explicitly
        latin = require_face(LATIN)
        self.add_font("body", "", str(latin.regular))
        self.add_font("body", "B", str(latin.bold))
        self.loaded_faces = {LATIN: latin}

    def use_faces_for(self, text: str) -> str:
        """Load the fonts a text needs; return the family to set it in. Fails on uncovered letters."""
        scripts = scripts_in(text)
        for script in scripts:
            if script not in self.loaded_faces:
                face = require_face(script)
                number = {"collection_font_number": 0} if face.regular.suffix == ".ttc" else {}
                self.add_font(script, "", str(face.regular), **number)
                self.add_font(script, "B", str(face.bold), **number)
                self.loaded_faces[script] = face
        covered = set().union(*(_codepoints(str(f.regular)) for f in self.loaded_faces.values()))
        missing = sorted({c for c in text if script_of(c) and ord(c) not in covered})
        if missing:
            raise MissingFontError(f"no installed font has the letters {''.join(missing)!r}")
        primary = scripts[0]
        self.set_fallback_fonts(
            [("body" if s == LATIN else s) for s in self.loaded_faces if s != primary], exact_match=False
        )
        return "body" if primary == LATIN else primary

    def centered(self, text: str, size: float, *, style: str = "", color=TEXT, family: str = "body",
                 height: float | None = None) -> None:
        self.set_font(family, style, size)
        self.set_text_color(*color)
        self.multi_cell(0, height or size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")

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
    pdf.multi_cell(width, 4.6, issuer.organisation_name, align="R" if issuer.logo_path else "C",
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
    pdf.set_text_shaping(True)
    size = _fit_size(pdf, data.learner_name, name_family, "B", 26, width, 12)
    pdf.set_text_shaping(False)
    pdf.set_y(pdf.get_y() + 2)
    # HarfBuzz shaping for the name only (Arabic joining forms, RTL order, combining marks): the
    # German text needs none of it, and shaping every line would triple the rendering time.
    pdf.set_text_shaping(True)
    pdf.centered(data.learner_name, size, style="B", family=name_family, height=size * 0.55)
    pdf.set_text_shaping(False)
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

    # Learning objectives: shrink the type until the list fits above the bottom block. Lines are
    # broken once per size (dry run) and then printed as cells: line breaking is the costly part.
    top = pdf.get_y() + 6
    pdf.rule(top - 2)
    indent, gap = 6.0, 1.2
    for size in (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0):
        pdf.set_font("body", "", size)
        line = size * 0.47
        broken = [
            pdf.multi_cell(width - indent, line, text, align="L", dry_run=True, output="LINES")
            for text in module.objectives
        ]
        needed = 7 + sum(len(lines) * line + gap for lines in broken)
        if top + needed <= BOTTOM_BLOCK_TOP - 4:
            break
    else:  # never print objectives over the signature and QR code
        raise ValueError(f"the objectives of module {module.id!r} do not fit on the certificate")
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
    pdf.multi_cell(left_w, 4.6, issuer.signatory_name or issuer.organisation_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", "", 8.5)
    pdf.set_text_color(*MUTED)
    if issuer.signatory_role:
        pdf.multi_cell(left_w, 4.2, issuer.signatory_role, align="L", new_x="LMARGIN", new_y="NEXT")
    if issuer.signatory_name:
        pdf.multi_cell(left_w, 4.2, issuer.organisation_name, align="L", new_x="LMARGIN", new_y="NEXT")

    qr_size = 30.0
    qr_x = PAGE_W - MARGIN - qr_size
    pdf.qr(data.verify_url, qr_x, BOTTOM_BLOCK_TOP + 5, qr_size)
    text_x, text_w = MARGIN + left_w + 4, qr_x - (MARGIN + left_w + 4) - 4
    pdf.set_xy(text_x, BOTTOM_BLOCK_TOP + 5)
    pdf.set_font("body", "B", 9)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(text_w, 4.5, "Echtheit prüfen", new_x="LEFT", new_y="NEXT")
    pdf.set_font("body", "", 7.5)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(text_w, 3.6, "QR-Code scannen oder die Adresse aufrufen:", align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*ACCENT)
    # Break long URLs anywhere rather than overflowing into the QR code.
    pdf.multi_cell(text_w, 3.6, data.verify_url, align="L", new_x="LEFT", new_y="NEXT", wrapmode="CHAR")
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.set_x(text_x)
    pdf.set_font("body", "", 7.5)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(text_w, 3.6, "Prüfcode:", new_x="LEFT", new_y="NEXT")
    pdf.set_font("body", "B", 8.5)
    groups = data.verification_code.split("-")
    half = (len(groups) + 1) // 2  # break between groups, never inside one
    for part in ("-".join(groups[:half]) + "-", "-".join(groups[half:])):
        pdf.cell(text_w, 4.2, part, new_x="LEFT", new_y="NEXT")

    pdf.set_xy(MARGIN, PAGE_H - 13)
    pdf.set_font("body", "", 6.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
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
    return bytes(pdf.output())
