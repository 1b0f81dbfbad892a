"""Templates learners download: spreadsheets (XLSX) and documents (DOCX) built from sources in ``media/src/``.

Why generated: a learner on a phone or a small association's PC opens an XLSX or DOCX with the office program
they have; Markdown and formula-less CSV (what the modules shipped before) are not documents to them. Keeping
the source as text (Markdown for documents, YAML for spreadsheets) lets trainers review a change like any other
content change, and the build makes every file the same way.

Sources, per module folder:

- ``media/src/<name>.md``        → ``media/<name>.docx`` (headings, paragraphs with **bold**/*italic*, lists, tables)
- ``media/src/<name>.xlsx.yaml`` → ``media/<name>.xlsx`` (one sheet, German number formats, formulas)

Spreadsheet source::

    title: Kosten- und Finanzierungsplan      # document title (file properties, first row)
    sheet: Finanzierungsplan                   # sheet name (max. 31 characters)
    columns:                                   # header, width in characters, optional format
      - {header: Posten, width: 44}
      - {header: Betrag in €, width: 16, format: euro}    # euro | number | percent | date | text
    rows:                                      # values; a string starting with "=" is a formula
      - [Honorare, null]
      - [Summe, "=SUM(B{first}:B{p})"]       # {r} this row, {p} previous row, {first} first data row
    notes: [Hinweis unter der Tabelle]

Formulas use the spreadsheet's English function names and commas (``SUM``, ``IF``); Excel and LibreOffice show
them in the user's language. openpyxl and python-docx are needed only to build (``vamos build-downloads``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

# German display: thousands with ".", decimals with "," — the codes are locale-neutral, the office program
# applies the user's separators; the € sign and two decimals are part of the code.
NUMBER_FORMATS = {
    "euro": '#,##0.00 "€"',
    "number": "#,##0",
    "percent": "0.0 %",
    "date": "DD.MM.YYYY",
    "text": "@",
}
# Files built from the same source are identical in content; a fixed date keeps their metadata stable too.
BUILD_DATE = datetime(2026, 1, 1)


@dataclass(frozen=True)
class BuiltFile:
    source: Path
    target: Path


def sources(module_dir: Path) -> list[tuple[Path, Path]]:
    """(source, target) pairs of one module folder, sorted."""
    src = module_dir / "media" / "src"
    pairs = []
    for path in sorted(src.glob("*.md")) if src.is_dir() else []:
        pairs.append((path, module_dir / "media" / f"{path.stem}.docx"))
    for path in sorted(src.glob("*.xlsx.yaml")) if src.is_dir() else []:
        pairs.append((path, module_dir / "media" / path.name.removesuffix(".yaml")))
    return pairs


def build_module(module_dir: Path, out_dir: Path | None = None) -> list[BuiltFile]:
    """Build every download of a module folder (into ``out_dir`` instead of ``media/`` when given)."""
    built = []
    for source, target in sources(module_dir):
        if out_dir is not None:
            target = out_dir / target.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".md":
            write_docx(source.read_text(encoding="utf-8"), target)
        else:
            write_xlsx(yaml.safe_load(source.read_text(encoding="utf-8")), target)
        built.append(BuiltFile(source, target))
    return built


def build_all(content_dir: Path) -> list[BuiltFile]:
    return [f for module in sorted(p for p in content_dir.iterdir() if (p / "module.yaml").is_file())
            for f in build_module(module)]


# --- spreadsheets ---------------------------------------------------------------------------------------------

def _cell_value(value, row: int, first: int):
    if isinstance(value, str) and value.startswith("="):
        return value.replace("{r}", str(row)).replace("{p}", str(row - 1)).replace("{first}", str(first))
    return value


def write_xlsx(spec: dict, target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = spec["sheet"][:31]
    book.properties.title = spec["title"]
    book.properties.creator = "VAMOs"
    book.properties.created = book.properties.modified = BUILD_DATE
    book.properties.language = "de-DE"
    sheet["A1"] = spec["title"]
    sheet["A1"].font = Font(bold=True, size=14)
    header_row, first = 3, 4
    columns = spec["columns"]
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=column["header"])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = column.get("width", 16)
    for offset, values in enumerate(spec["rows"]):
        row = first + offset
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=index, value=_cell_value(value, row, first))
            fmt = columns[index - 1].get("format")
            if fmt:
                cell.number_format = NUMBER_FORMATS[fmt]
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.font = Font(bold=True)
    note_row = first + len(spec["rows"]) + 1
    for offset, note in enumerate(spec.get("notes", [])):
        sheet.cell(row=note_row + offset, column=1, value=note).font = Font(italic=True)
    sheet.freeze_panes = sheet.cell(row=first, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    book.save(target)


# --- documents ------------------------------------------------------------------------------------------------

_INLINE = re.compile(r"(\*\*[^*]+\*\*|\*[^*\s][^*]*\*)")


def _runs(paragraph, text: str) -> None:
    """Add text with **bold** and *italic* runs; escaped stars (\\*) stay stars."""
    text = text.replace("\\*", "\x00")
    for part in _INLINE.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**"):
            paragraph.add_run(part[2:-2].replace("\x00", "*")).bold = True
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            paragraph.add_run(part[1:-1].replace("\x00", "*")).italic = True
        else:
            paragraph.add_run(part.replace("\x00", "*"))


def write_docx(markdown: str, target: Path) -> None:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.author = "VAMOs"
    document.core_properties.language = "de-DE"
    document.core_properties.created = document.core_properties.modified = BUILD_DATE
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if not line.strip():
            index += 1
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", line)
        if heading:
            level = len(heading.group(1))
            if level == 1 and not document.core_properties.title:
                document.core_properties.title = heading.group(2)
            document.add_heading(heading.group(2).replace("\\*", "*"), level=level)
            index += 1
            continue
        if line.lstrip().startswith("|"):
            rows = []
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                cells = [c.strip() for c in lines[index].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                index += 1
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            for r, cells in enumerate(rows):
                for c in range(width):
                    cell = table.cell(r, c)
                    cell.text = ""
                    _runs(cell.paragraphs[0], cells[c] if c < len(cells) else "")
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            document.add_paragraph()
            continue
        bullet = re.match(r"^\s*[-*]\s+(\[ \]\s+)?(.*)$", line)
        numbered = re.match(r"^\s*\d+[.)]\s+(.*)$", line)
        if bullet:
            text = ("☐ " if bullet.group(1) else "") + bullet.group(2)
            _runs(document.add_paragraph(style="List Bullet"), text)
        elif numbered:
            _runs(document.add_paragraph(style="List Number"), numbered.group(1))
        else:
            # consecutive text lines form one paragraph, with line breaks kept (forms rely on them)
            paragraph = document.add_paragraph()
            first = True
            while index < len(lines) and lines[index].strip() and not re.match(r"^(#|\||\s*[-*]\s|\s*\d+[.)]\s)", lines[index]):
                if not first:
                    paragraph.add_run().add_break()
                _runs(paragraph, lines[index].strip())
                first = False
                index += 1
            continue
        index += 1
    document.save(target)


# --- reading back (tests, and a check that committed files match their sources) -----------------------------------

def xlsx_content(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    return [(sheet.title,)] + [tuple((c.value, c.number_format) for c in row) for row in sheet.iter_rows()]


def docx_content(path: Path) -> list[str]:
    from docx import Document

    document = Document(path)
    parts = [f"{p.style.name}|{p.text}" for p in document.paragraphs]
    for table in document.tables:
        parts += ["|".join(cell.text for cell in row.cells) for row in table.rows]
    return parts


def content_of(path: Path):
    return xlsx_content(path) if path.suffix == ".xlsx" else docx_content(path)
