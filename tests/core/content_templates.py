"""Builds the learners' templates (Vorlagen) of the content modules from one reviewable source each.

- Printable HTML: ``course_content/<module>/templates/<name>.yaml`` (title, intro, sections with tables, checklists
  and lines to fill in) becomes ``media/<name>.html``. Every file is self-contained (its own style sheet, no script,
  no remote resource) because learners download, fill in and print it on its own; the style sheet lives once, here.
- The Minijob-Rechner spreadsheet (``verein-als-arbeitgeber/media/minijob-rechner.xlsx``) with live formulas.

Run ``.venv/bin/python -m tests.core.content_templates`` after changing a spec or a figure; the tests in
``test_new_modules.py`` fail while a shipped file and its source disagree.
"""
from __future__ import annotations

import html
from pathlib import Path

import yaml

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "course_content"
MINIJOB_RECHNER = CONTENT / "verein-als-arbeitgeber" / "media" / "minijob-rechner.xlsx"

EURO = '#,##0.00 "€"'
PERCENT = "0.00 %"
HOURS = '0.0 "Std."'
INPUT = PatternFill("solid", fgColor="FFF4CC")
HEAD = Font(bold=True, color="1F5F8B", size=13)

# Minimum wage by year (Fünfte Mindestlohnanpassungsverordnung) and the employer's flat rates for a commercial
# mini-job in 2026 (Minijob-Zentrale). The 2027 rates were not published when this was written: the sheet says so.
MINDESTLOHN = {2026: 13.90, 2027: 14.60}
ABGABEN_2026 = [
    ("Krankenversicherung (Pauschale)", 0.13),
    ("Rentenversicherung (Pauschale)", 0.15),
    ("einheitliche Pauschsteuer", 0.02),
    ("Umlage U1 (Krankheit)", 0.008),
    ("Umlage U2 (Mutterschaft)", 0.0022),
    ("Insolvenzgeldumlage", 0.0015),
]

# ---------------------------------------------------------------- printable HTML

CSS = """
  body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; line-height: 1.45; color: #1a1a1a;
         max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
  header { border-bottom: 3px solid #1f5f8b; margin-bottom: 1rem; }
  .kopf { font-size: 9pt; color: #444; margin: 0; }
  h1 { font-size: 17pt; color: #1f5f8b; margin: .3rem 0 .6rem; }
  h2 { font-size: 13pt; color: #1f5f8b; margin: 1.4rem 0 .4rem; break-after: avoid; }
  p.hinweis { background: #f2f6f9; border-left: 4px solid #1f5f8b; padding: .5rem .8rem; }
  table { width: 100%; border-collapse: collapse; margin: .4rem 0 1rem; }
  th, td { border: 1px solid #777; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  th { background: #e4edf3; }
  td.leer { height: 1.8rem; }
  ul.check { list-style: none; padding-left: 0; }
  ul.check li { margin: .35rem 0; padding-left: 1.8rem; text-indent: -1.8rem; }
  ul.check li::before { content: "\\2610"; display: inline-block; width: 1.8rem; text-indent: 0; font-size: 13pt; }
  .linie { border-bottom: 1px solid #777; height: 1.6rem; margin: .2rem 0 .6rem; }
  footer { margin-top: 2rem; border-top: 1px solid #999; font-size: 8.5pt; color: #444; }
  th, td { overflow-wrap: anywhere; hyphens: auto; }
  @media (max-width: 40rem) {
    body { font-size: 10pt; padding: 0 .5rem; } th, td { padding: .25rem .3rem; } h1 { font-size: 15pt; }
  }
  @media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
  @page { size: A4; margin: 1.6cm; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html_template(spec: dict, module_title: str) -> str:
    """One printable, self-contained HTML page from a template spec (see the module docstring)."""
    out = ["<!DOCTYPE html>", '<html lang="de">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(spec['title'])} – VAMOs</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<header>",
           f'<p class="kopf">VAMOs – Verbandsakademie für Migrant*innenorganisationen · Modul „{_e(module_title)}“'
           " · Vorlage zum Ausdrucken oder Ausfüllen am Computer</p>",
           f"<h1>{_e(spec['title'])}</h1>", "</header>", "<main>"]
    if spec.get("intro"):
        out.append(f'<p class="hinweis">{_e(spec["intro"])}</p>')
    for section in spec["sections"]:
        out.append(f"<h2>{_e(section['h'])}</h2>")
        if section.get("p"):
            out.append(f"<p>{_e(section['p'])}</p>")
        if section.get("check"):
            out.append('<ul class="check">' + "".join(f"<li>{_e(item)}</li>" for item in section["check"]) + "</ul>")
        if section.get("table"):
            out += _table(section["table"])
        for label in section.get("lines", []):
            out.append(f'<p>{_e(label)}</p><div class="linie" aria-hidden="true"></div>')
    out.append("</main>")
    out.append(f"<footer><p>{_e(spec['footer'])}</p><p>Allgemeine Information, keine Rechts- oder Steuerberatung. "
               f"Stand der Vorlage: {_e(spec['stand'])}.</p></footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _table(table: dict) -> list[str]:
    cols = table["cols"]
    out = ["<table>", "<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in cols) + "</tr></thead><tbody>"]
    for row in table.get("rows", []):
        cells = []
        for index, value in enumerate(row):
            if index == 0 and table.get("rowheads"):
                cells.append(f'<th scope="row">{_e(value)}</th>')
            else:
                cells.append('<td class="leer"></td>' if value == "" else f"<td>{_e(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["<tr>" + '<td class="leer"></td>' * len(cols) + "</tr>"] * table.get("empty", 0)
    out.append("</tbody></table>")
    return out


def html_templates(module_dir: Path) -> dict[Path, str]:
    """Target file → rendered HTML for every template spec of one module."""
    title = yaml.safe_load((module_dir / "module.yaml").read_text(encoding="utf-8"))["title"]
    return {
        module_dir / "media" / f"{spec_path.stem}.html": render_html_template(
            yaml.safe_load(spec_path.read_text(encoding="utf-8")), title)
        for spec_path in sorted((module_dir / "templates").glob("*.yaml"))
    }


def build_html_templates(content: Path = CONTENT) -> list[Path]:
    written = []
    for module_dir in sorted(p for p in content.iterdir() if (p / "templates").is_dir()):
        for path, text in html_templates(module_dir).items():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


# ---------------------------------------------------------------- spreadsheets


def build_minijob_rechner(path: Path = MINIJOB_RECHNER) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Minijob-Rechner"
    ws.column_dimensions["A"].width = 58
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 46

    ws["A1"] = "Minijob-Rechner für Vereine (2026 und 2027)"
    ws["A1"].font = Font(bold=True, size=15, color="1F5F8B")
    ws["A2"] = "Gelbe Felder ausfüllen. Alle anderen Werte rechnet die Tabelle. Keine Rechts- oder Steuerberatung."
    ws["A2"].alignment = Alignment(wrap_text=True)

    ws["A4"] = "Ihre Angaben"
    ws["A4"].font = HEAD
    inputs = [
        (5, "Jahr (2026 oder 2027)", 2026, "0", "Ab 2027 steigt der Mindestlohn auf 14,60 €."),
        (6, "Stundenlohn", 15.00, EURO, "mindestens der Mindestlohn"),
        (7, "Stunden pro Woche", 8, HOURS, "vereinbarte durchschnittliche Wochenarbeitszeit"),
        (8, "Verdienst aus anderen Minijobs der Person (pro Monat)", 0, EURO, "alle Arbeitgeber zusammen (§ 8 Abs. 2 SGB IV)"),
        (9, "steuerfreier Übungsleiter- oder Ehrenamtsanteil (pro Monat)", 0, EURO, "höchstens 275 € (3.300 € : 12) oder 80 € (960 € : 12)"),
    ]
    for row, label, value, fmt, hint in inputs:
        ws.cell(row, 1, label)
        cell = ws.cell(row, 2, value)
        cell.number_format = fmt
        cell.fill = INPUT
        ws.cell(row, 3, hint)
    year = DataValidation(type="list", formula1='"2026,2027"', allow_blank=False, showErrorMessage=True,
                          errorTitle="Jahr", error="Bitte 2026 oder 2027 wählen.")
    ws.add_data_validation(year)
    year.add("B5")

    ws["A11"] = "Grenzen im gewählten Jahr"
    ws["A11"].font = HEAD
    ws["A12"], ws["B12"] = "gesetzlicher Mindestlohn pro Stunde", f"=IF(B5=2027,{MINDESTLOHN[2027]},{MINDESTLOHN[2026]})"
    ws["A13"], ws["B13"] = "Minijob-Grenze pro Monat (Mindestlohn × 130 : 3, aufgerundet)", "=ROUNDUP(B12*130/3,0)"
    ws["A14"], ws["B14"] = "Übergangsbereich (Midijob) bis pro Monat", 2000
    for ref in ("B12", "B13", "B14"):
        ws[ref].number_format = EURO

    ws["A16"] = "Ergebnis"
    ws["A16"].font = HEAD
    ws["A17"], ws["B17"] = "Verdienst im Minijob pro Monat (Stunden × 13 : 3 Wochen)", "=ROUND(B6*B7*13/3-B9,2)"
    ws["A18"], ws["B18"] = "alle Minijobs der Person zusammen pro Monat", "=B17+B8"
    ws["A19"], ws["B19"] = "Mindestlohn eingehalten?", '=IF(B6>=B12,"ja","NEIN – Stundenlohn erhöhen")'
    ws["A20"], ws["B20"] = "Ergebnis", (
        '=IF(B18<=B13,"Minijob",IF(B18<=B14,"kein Minijob: Midijob (Krankenkasse)",'
        '"kein Minijob: Teilzeit (Krankenkasse)"))'
    )
    ws["A21"], ws["B21"] = "höchstens Stunden pro Monat bei diesem Stundenlohn", "=IF(B6>0,ROUNDDOWN((B13-B8+B9)/B6,1),0)"
    ws["C20"] = "Überschreiten in höchstens 2 Monaten pro Jahr ist unschädlich, wenn es nicht vorhersehbar war."
    ws["C20"].alignment = Alignment(wrap_text=True)
    for ref in ("B17", "B18"):
        ws[ref].number_format = EURO
    ws["B21"].number_format = HOURS

    ws["A23"] = "Abgaben des Vereins im Minijob (gewerblich, gesetzlich krankenversichert)"
    ws["A23"].font = HEAD
    ws["C23"] = "Sätze 2026. Für 2027 bei der Minijob-Zentrale prüfen und hier ändern."
    first = 24
    for offset, (label, rate) in enumerate(ABGABEN_2026):
        row = first + offset
        ws.cell(row, 1, label)
        cell = ws.cell(row, 2, rate)
        cell.number_format = PERCENT
        cell.fill = INPUT
        ws.cell(row, 3, f"=IF(B20=\"Minijob\",ROUND(B17*B{row},2),0)").number_format = EURO
    last = first + len(ABGABEN_2026) - 1
    total = last + 1
    ws.cell(total, 1, "Summe der Abgaben pro Monat (ohne Unfallversicherung)").font = Font(bold=True)
    ws.cell(total, 2, f"=SUM(B{first}:B{last})").number_format = PERCENT
    ws.cell(total, 3, f"=SUM(C{first}:C{last})").number_format = EURO
    ws.cell(total + 1, 1, "Kosten des Vereins pro Monat (Lohn + steuerfreier Anteil + Abgaben)").font = Font(bold=True)
    ws.cell(total + 1, 3, f"=B17+B9+C{total}").number_format = EURO
    ws.cell(total + 2, 1, "Kosten des Vereins pro Jahr").font = Font(bold=True)
    ws.cell(total + 2, 3, f"=C{total + 1}*12").number_format = EURO
    ws.cell(total + 3, 1, "Eigenanteil der Person zur Rentenversicherung (3,6 %), wenn nicht befreit, pro Monat")
    ws.cell(total + 3, 3, '=IF(B20="Minijob",ROUND(B17*0.036,2),0)').number_format = EURO
    ws.cell(total + 5, 1, "Quellen: § 8 SGB IV; Fünfte Mindestlohnanpassungsverordnung; Minijob-Zentrale (Abgabensätze 2026). "
                          "Dazu kommt der Beitrag zur Unfallversicherung (Berufsgenossenschaft).")
    ws.freeze_panes = "A5"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


if __name__ == "__main__":
    for written in [*build_html_templates(), build_minijob_rechner()]:
        print(written)
