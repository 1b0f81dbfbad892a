"""Report writers against fixtures with known answers: BOM, separators, formula neutralisation, suppression, XLSX."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from vamos_core.reports import (
    COMPLETION_COLUMNS, FUNDER_COLUMNS, csv_lines, neutralise_formula, suppress_small_counts, write_csv, write_xlsx,
)

ROWS = [
    {"learner": "p-1", "organisation": "Brücke e. V.", "module": "finanzierung", "started_at": datetime(2026, 3, 1, 9, 5),
     "lessons_done": 7, "lessons_total": 7, "quiz_score": 85.0, "completed_at": date(2026, 3, 9), "certificate_code": "ABCD-1234"},
    {"learner": "=HYPERLINK(\"http://evil\")", "organisation": "+49 Verein", "module": "finanzierung", "started_at": None,
     "lessons_done": 0, "lessons_total": 7, "quiz_score": None, "completed_at": None, "certificate_code": "@SUM(A1)"},
    {"learner": "p-3", "organisation": "Kulturforum; Anatolien", "module": "projektmanagement", "started_at": None,
     "lessons_done": 2, "lessons_total": 7, "quiz_score": None, "completed_at": None, "certificate_code": "-1+2"},
]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+49", "'+49"), ("-5", "'-5"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("Brücke", "Brücke"), ("", ""),
])
def test_formula_neutralisation(value, expected):
    assert neutralise_formula(value) == expected


def test_csv_has_bom_header_and_neutralised_cells():
    out = io.BytesIO()
    assert write_csv(ROWS, COMPLETION_COLUMNS, out) == 3
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Lernende*r" and len(rows) == 4
    assert rows[1] == ["p-1", "Brücke e. V.", "finanzierung", "2026-03-01 09:05", "7", "7", "85.0", "2026-03-09", "ABCD-1234"]
    assert rows[2][0] == "'=HYPERLINK(\"http://evil\")" and rows[2][1] == "'+49 Verein" and rows[2][8] == "'@SUM(A1)"
    assert rows[3][8] == "'-1+2"


def test_semicolon_for_german_excel_quotes_fields_with_semicolons():
    text = "".join(csv_lines(ROWS, COMPLETION_COLUMNS, delimiter=";", bom=False))
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[3][1] == "Kulturforum; Anatolien"
    with pytest.raises(ValueError):
        list(csv_lines(ROWS, COMPLETION_COLUMNS, delimiter="\t"))


def test_small_counts_are_suppressed_zero_and_five_are_not():
    row = {"module": "m", "started": 4, "completed": 0, "certificates": 5}
    assert suppress_small_counts(row) == {"module": "m", "started": "<5", "completed": 0, "certificates": 5}
    assert suppress_small_counts({"started": 1})["started"] == "<5"


def test_xlsx_round_trip_with_openpyxl(tmp_path):
    path = tmp_path / "bericht.xlsx"
    assert write_xlsx(ROWS, COMPLETION_COLUMNS, str(path)) == 3
    sheet = openpyxl.load_workbook(path, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Lernende*r"
    assert values[1][0] == "p-1" and values[1][6] == 85 and values[1][3] == datetime(2026, 3, 1, 9, 5)
    # a formula-like text stays text: openpyxl would report a formula as a string starting with "=" in data_type "f"
    workbook = openpyxl.load_workbook(path)
    cell = workbook.active["A3"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://evil\")"


def test_funder_columns_suppressed_in_xlsx(tmp_path):
    path = tmp_path / "funder.xlsx"
    rows = [suppress_small_counts({"module": "m", "organisation": "o", "bundesland": "Berlin", "month": "2026-03",
                                   "started": 12, "completed": 3, "certificates": 0})]
    write_xlsx(rows, FUNDER_COLUMNS, str(path))
    values = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert values[1] == ("m", "o", "Berlin", "2026-03", 12, "<5", 0)
