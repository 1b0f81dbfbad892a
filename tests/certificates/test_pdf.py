"""The certificate PDF: names in every script come back out as text, PDF/A-3 markers, the attachment,
and a rendered page image kept in test-artifacts/certificates/ for people to look at."""
from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader
from pypdf.generic import NameObject

from vamos_core.certificates import (
    ATTACHMENT_NAME, MissingFontError, generate_certificate, german_date, german_hours, render_pdf,
)
from vamos_core.certificates.fonts import CJK, find_face

from .conftest import ARTIFACTS

NAMES = {
    "latin": "Ayşe Yılmaz-Müller",
    "german": "Jürgen Weiß",
    "turkish": "Şükrü Çağlayan Ğ",
    "cyrillic": "Ольга Петрова",
    "arabic": "فاطمة الزهراء",
    "farsi": "مریم رضایی",
}


def plain(text: str) -> str:
    """Text as extracted, compared by letters: NFKC folds Arabic presentation forms (the shaped
    glyphs' ToUnicode entries) back to base letters; spaces and line breaks are layout, not content."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def contains_name(extracted: str, name: str) -> bool:
    # pypdf extracts glyph runs in content-stream order. fpdf2 writes right-to-left runs in visual
    # order but maps each glyph to its letters, and pypdf's bidi handling gives logical order back;
    # a reader without bidi support would return the letters reversed, which we accept as well.
    letters = plain(name)
    return letters in plain(extracted) or letters[::-1] in plain(extracted)


@pytest.fixture(scope="module")
def certificates(make_data, signing_key):
    made = {}
    for key, name in NAMES.items():
        data = make_data(name)
        pdf, token = generate_certificate(data, signing_key)
        made[key] = (data, pdf, token)
    return made


@pytest.mark.parametrize("key", list(NAMES))
def test_text_has_name_module_and_code(certificates, key):
    data, pdf, _ = certificates[key]
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert contains_name(text, data.learner_name), text
    assert data.module.title in text
    assert plain(data.verification_code) in plain(text)
    assert german_date(data.completion_date) == "3. November 2026"
    assert "am 3. November 2026 erfolgreich abgeschlossen" in text
    assert f"Umfang: {german_hours(1.5)}" in text and "1,5 Zeitstunden" in text
    assert "Ergebnis im Abschlusstest: 92,5 %" in text
    for objective in data.module.objectives:
        assert plain(objective) in plain(text)
    assert data.issuer.organisation_name in text and "Dr. Maria Beispiel" in text


@pytest.mark.parametrize("key", list(NAMES))
def test_pdfa3_markers_fonts_and_attachment(certificates, key):
    data, pdf, token = certificates[key]
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-1.7")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    intents = reader.trailer["/Root"]["/OutputIntents"]
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3  # an RGB ICC profile
    # the attachment is exactly the signed credential, declared as an associated file
    assert reader.attachments[ATTACHMENT_NAME] == [token.encode("ascii")]
    associated = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert [spec["/F"] for spec in associated] == [ATTACHMENT_NAME]
    assert associated[0]["/AFRelationship"] == "/Alternative"
    assert associated[0]["/EF"]["/F"].get_object()["/Subtype"] == NameObject("/application/vc+jwt")
    # every font is embedded (PDF/A forbids relying on the reader's fonts)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
    assert "<dc:title><rdf:Alt>" in xmp and "Zertifikat: Finanzierung im Verein" in xmp


def test_name_font_follows_the_script(certificates):
    def base_fonts(pdf):
        page = PdfReader(io.BytesIO(pdf)).pages[0]
        return {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in page["/Resources"]["/Font"].values()}

    assert any("NotoNaskhArabic" in f or "NotoSansArabic" in f for f in base_fonts(certificates["arabic"][1]))
    assert not any("Arabic" in f for f in base_fonts(certificates["cyrillic"][1]))


def _subset_names(pdf: bytes) -> dict[str, set[str]]:
    """Font name -> the subset tags it appears with (font, descendant font and font descriptor)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    tags: dict[str, set[str]] = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        for name in (font["/BaseFont"], descendant["/BaseFont"], descendant["/FontDescriptor"]["/FontName"]):
            tag, _, base = str(name).lstrip("/").partition("+")
            tags.setdefault(base, set()).add(tag)
    return tags


def test_every_font_subset_has_its_own_tag(certificates):
    """ISO 32000-1 §9.6.4: a subset's name starts with a tag of six upper-case letters that differs between
    subsets (fpdf2 writes MPDFAA for every one)."""
    seen = []
    for key in ("arabic", "latin", "cyrillic"):
        names = _subset_names(certificates[key][1])
        assert len(names) >= 2  # regular and bold at least
        for base, tags in names.items():
            assert len(tags) == 1, (base, tags)  # one subset: the same tag in all its references
            (tag,) = tags
            assert len(tag) == 6 and tag.isascii() and tag.isupper() and tag.isalpha() and tag != "MPDFAA"
        document_tags = [next(iter(t)) for t in names.values()]
        assert len(set(document_tags)) == len(document_tags)  # distinct within the document
        seen += document_tags
    assert len(set(seen)) == len(seen)  # and across documents (their subsets differ)
    assert b"MPDFAA" not in certificates["arabic"][1]


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (Debian poppler-utils) not installed")
@pytest.mark.parametrize("key", ["latin", "cyrillic", "arabic", "farsi"])
def test_rendered_page_is_kept_as_artefact(certificates, key):
    from PIL import Image

    _, pdf, _ = certificates[key]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"certificate-{key}.pdf"
    source.write_bytes(pdf)
    prefix = ARTIFACTS / f"certificate-{key}"
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(source), str(prefix)],
                   check=True, timeout=60, capture_output=True)
    png = prefix.with_suffix(".png")
    assert png.stat().st_size > 30_000
    with Image.open(png) as image:
        width, height = image.size
        assert abs(height / width - 297 / 210) < 0.01  # A4 portrait
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        assert 0.01 < dark / (width * height) < 0.3  # ink on the page, but not a black page


def test_certificate_for_every_shipped_module(make_data, signing_key):
    from vamos_core.certificates import ModuleInfo
    from vamos_core.content import load_catalog

    from .conftest import ROOT

    try:
        catalog = load_catalog(ROOT / "course_content")
    except Exception as exc:  # content is written in parallel; its own tests report problems
        pytest.skip(f"course_content does not load: {exc}")
    for module in catalog:
        data = make_data("Ayşe Yılmaz-Müller", module=ModuleInfo.from_module(module))
        pdf, _ = generate_certificate(data, signing_key)
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert module.title in text and f"Version {module.version}" in text
        assert plain(module.objectives[-1].text) in plain(text)


def test_score_hidden_when_module_says_so(make_data, module_info):
    hidden = type(module_info)(**{**module_info.__dict__, "show_score": False, "hours": 2.0})
    text = PdfReader(io.BytesIO(render_pdf(make_data(module=hidden)))).pages[0].extract_text()
    assert "Ergebnis" not in text and "Umfang: 2 Zeitstunden" in text


def test_letters_without_a_font_fail_clearly(make_data):
    with pytest.raises(MissingFontError, match="no installed font"):
        render_pdf(make_data("देवनागरी नाम"))  # Devanagari: no font packaged for it


@pytest.mark.skipif(find_face(CJK) is None, reason="fonts-noto-cjk not installed")
def test_cjk_name(make_data):
    text = PdfReader(io.BytesIO(render_pdf(make_data("王秀英")))).pages[0].extract_text()
    assert "王秀英" in plain(text)


def test_too_many_objectives_refuse_instead_of_overprinting(make_data, module_info):
    crowded = type(module_info)(**{**module_info.__dict__, "objectives": module_info.objectives * 12})
    with pytest.raises(ValueError, match="do not fit"):
        render_pdf(make_data(module=crowded))
