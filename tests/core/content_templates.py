"""Builds the spreadsheet templates of the content modules, so the shipped XLSX files have one reviewable source.

Run ``.venv/bin/python -m tests.core.content_templates`` after changing a figure here; the test in
``test_new_modules.py`` fails while the shipped file and this builder disagree.
The HTML templates are plain files in the module's ``media/`` folder and are edited directly.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = Path(__file__).resolve().parents[2]
MINIJOB_RECHNER = ROOT / "course_content" / "verein-als-arbeitgeber" / "media" / "minijob-rechner.xlsx"

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
    print(build_minijob_rechner())
