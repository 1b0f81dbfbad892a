"""Download templates: real spreadsheets and documents, built from media/src, with formulas that compute."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vamos_core import downloads
from vamos_core.content import load_catalog

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "course_content"
MODULE_DIRS = sorted(p for p in CONTENT.iterdir() if (p / "module.yaml").is_file())

pytest.importorskip("openpyxl")
pytest.importorskip("docx")


def all_sources():
    return [(module, source, target) for module in MODULE_DIRS for source, target in downloads.sources(module)]


@pytest.mark.parametrize("module, source, target", all_sources(), ids=lambda v: getattr(v, "name", str(v)))
def test_committed_file_matches_its_source(tmp_path, module, source, target):
    """Edit media/src, then run `vamos build-downloads course_content`; a stale file fails here."""
    assert target.is_file(), f"{target} missing – run vamos build-downloads"
    built = {b.target.name: b.target for b in downloads.build_module(module, out_dir=tmp_path)}
    assert downloads.content_of(built[target.name]) == downloads.content_of(target)


def test_lessons_offer_only_xlsx_and_docx_templates():
    catalog = load_catalog(CONTENT)
    offered = set()
    for module in catalog.modules.values():
        module_dir = CONTENT / module.id
        for lesson in module.lessons:
            links = re.findall(r"\]\((media/[^)\s]+)\)", lesson.body_markdown)
            files = [d.file for d in lesson.downloads] + links
            for file in files:
                assert not file.endswith((".md", ".csv")), f"{module.id}/{lesson.id}: {file} is not a document learners open"
                assert (module_dir / file).is_file(), f"{module.id}/{lesson.id}: {file} missing"
                offered.add((module.id, file))
    # every built template is offered in some lesson
    for module, _source, target in all_sources():
        assert (module.name, f"media/{target.name}") in offered, f"{target} is built but no lesson offers it"


def test_no_formula_less_csv_or_markdown_templates_left():
    assert not list(CONTENT.glob("*/media/*.csv")) and not list(CONTENT.glob("*/media/*.md"))


def test_euro_columns_have_german_currency_format():
    from openpyxl import load_workbook

    for module, source, target in all_sources():
        if target.suffix != ".xlsx":
            continue
        sheet = load_workbook(target).active
        euro_headers = [c for c in sheet[3] if c.value and "€" in str(c.value)]
        if module.name == "finanzierung":
            assert euro_headers, f"{target.name}: no amount column"
        for header in euro_headers:
            cell = sheet.cell(row=4, column=header.column)
            assert cell.number_format == downloads.NUMBER_FORMATS["euro"], (target.name, header.value, cell.number_format)
        assert any(str(c.value).startswith("=") for row in sheet.iter_rows() for c in row), f"{target.name}: no formula"
        if target.name == "projektkalender-vorlage.xlsx":
            assert sheet.cell(row=4, column=1).number_format == downloads.NUMBER_FORMATS["date"]


def _compute(path: Path, tmp_path: Path, inputs: dict[str, object], cells: list[str]) -> dict[str, object]:
    pycel = pytest.importorskip("pycel")
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.active
    for ref, value in inputs.items():
        sheet[ref] = value
    filled = tmp_path / path.name
    book.save(filled)
    compiler = pycel.ExcelCompiler(filename=str(filled))
    return {ref: compiler.evaluate(f"'{sheet.title}'!{ref}") for ref in cells}


def test_finanzierungsplan_computes_sums_balance_and_own_share(tmp_path):
    path = CONTENT / "finanzierung/media/finanzierungsplan-vorlage.xlsx"
    costs = dict(zip([f"C{r}" for r in range(4, 11)], [4000, 1500, 600, 900, 500, 0, 0]))
    income = dict(zip([f"C{r}" for r in range(12, 18)], [300, 450, 0, 1000, 0, 5750]))
    out = _compute(path, tmp_path, {**costs, **income}, ["C11", "C18", "C19", "D19", "C20"])
    assert out["C11"] == 7500 and out["C18"] == 7500 and out["C19"] == 0 and out["D19"] == "ausgeglichen"
    assert out["C20"] == pytest.approx(750 / 7500)
    unbalanced = _compute(path, tmp_path, {**costs, **income, "C17": 5000}, ["D19"])
    assert unbalanced["D19"].startswith("nicht ausgeglichen")


def test_liquiditaetsplan_carries_the_balance_and_warns_below_zero(tmp_path):
    path = CONTENT / "finanzierung/media/liquiditaetsplan-vorlage.xlsx"
    inputs = {"B4": 1000, **{f"C{r}": 200 for r in range(4, 16)}, **{f"E{r}": 300 for r in range(4, 16)}}
    out = _compute(path, tmp_path, inputs, ["F4", "B5", "F15", "E16", "F17", "G17"])
    assert (out["F4"], out["B5"], out["F15"], out["E16"]) == (900, 900, -200, 3600)
    assert out["F17"] == -200 and out["G17"].startswith("Achtung")


def test_sphaeren_sums_the_wirtschaftlicher_geschaeftsbetrieb_against_the_2026_limits(tmp_path):
    path = CONTENT / "finanzierung/media/sphaeren-zuordnung.xlsx"
    below = _compute(path, tmp_path, {"C6": 30000, "G6": "x"}, ["C16", "H16", "C17", "H17"])
    assert below["C16"] == 31800 and "nicht über der Freigrenze" in below["H16"]
    assert below["C17"] == 34300 and below["H17"].startswith("bis 100.000")
    above = _compute(path, tmp_path, {"C6": 49000, "G6": "x", "C7": 60000, "D7": "x"}, ["C16", "H16", "H17"])
    assert above["C16"] == 50800 and above["H16"].startswith("über der Freigrenze")
    assert above["H17"].startswith("über 100.000")


def test_projektkalender_counts_done_duties(tmp_path):
    path = CONTENT / "projektmanagement/media/projektkalender-vorlage.xlsx"
    assert _compute(path, tmp_path, {"E4": "x", "E6": "x"}, ["E15"])["E15"] == "2 von 11"


def test_documents_are_german_word_files_with_a_title():
    from docx import Document

    for module, source, target in all_sources():
        if target.suffix != ".docx":
            continue
        document = Document(target)
        assert document.core_properties.language == "de-DE"
        assert document.paragraphs[0].style.name == "Heading 1" and document.core_properties.title
        text = "\n".join(p.text for p in document.paragraphs)
        assert "**" not in text and "\\*" not in text, f"{target.name}: Markdown left in the document"


def test_markdown_forms_become_lists_and_tables(tmp_path):
    source = "# Titel\n\nText mit **fett** und *kursiv* und Migrant\\*innen.\n\n- [ ] erledigt?\n1. Schritt\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
    target = tmp_path / "x.docx"
    downloads.write_docx(source, target)
    content = downloads.docx_content(target)
    assert "Normal|Text mit fett und kursiv und Migrant*innen." in content
    assert "List Bullet|☐ erledigt?" in content and "List Number|Schritt" in content and "1|2" in content
