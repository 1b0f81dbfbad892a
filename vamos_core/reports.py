"""Report rows and streaming CSV/XLSX writers for coordinators and funders.

Rows come from an iterator (a server-side cursor in the LTI tool), so memory stays bounded however many
rows there are. Two safety rules live here, once for every channel:
- CSV cells that a spreadsheet would run as a formula are neutralised (OWASP: prefix with an apostrophe);
- counts in aggregated funder reports go through disclosure control (``control_counts``: rounding to base 5,
  counts 1–4 suppressed), so no single person can be singled out, also not by subtracting cells (docs/reports.md).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"
ROUNDING_BASE = 5  # = the threshold: every published count other than 0 stands for at least 3 possible true counts


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # German header shown to coordinators


COMPLETION_COLUMNS = (
    Column("learner", "Lernende*r"),
    Column("organisation", "Organisation"),
    Column("module", "Modul"),
    Column("started_at", "Begonnen am"),
    Column("lessons_done", "Lektionen abgeschlossen"),
    Column("lessons_total", "Lektionen gesamt"),
    Column("quiz_score", "Quiz-Ergebnis (%)"),
    Column("completed_at", "Abgeschlossen am"),
    Column("certificate_code", "Zertifikatscode"),
)
# The pseudonymised completion report (the default): a per-report pseudonym, dates to the day, and whether there is
# a certificate instead of its code (a code opens /verify, which shows the name): report_rows.anonymise_rows.
PSEUDONYMOUS_COMPLETION_COLUMNS = (
    *COMPLETION_COLUMNS[:-1],
    Column("certificate", "Zertifikat"),
)

FUNDER_COLUMNS = (
    Column("module", "Modul"),
    Column("organisation", "Organisation"),
    Column("bundesland", "Bundesland"),
    Column("month", "Monat"),
    Column("started", "Begonnen"),
    Column("completed", "Abgeschlossen"),
    Column("certificates", "Zertifikate"),
)
FUNDER_COUNT_KEYS = ("started", "completed", "certificates")


def neutralise_formula(value: str) -> str:
    """A text cell starting like a formula gets a leading apostrophe, so spreadsheets show it as text."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def suppress_small_counts(row: dict[str, Any], keys: Sequence[str] = FUNDER_COUNT_KEYS,
                          threshold: int = SUPPRESSION_THRESHOLD) -> dict[str, Any]:
    """Counts from 1 to threshold-1 become "<5". Zero stays visible: it reveals nobody.
    Alone this does not survive differencing (8 started − 7 certificates = 1): funder reports use ``control_counts``."""
    out = dict(row)
    for key in keys:
        value = out.get(key)
        if isinstance(value, int) and 0 < value < threshold:
            out[key] = SUPPRESSED
    return out


def rounded_count(value: int, base: int = ROUNDING_BASE, threshold: int = SUPPRESSION_THRESHOLD) -> int | str:
    """Disclosure control of one count, as statistical offices publish small-area counts: 0 stays 0, 1 to
    threshold-1 become "<5", larger counts are rounded to the nearest multiple of ``base`` (halves up: 5–7 → 5,
    8–12 → 10, 13–17 → 15). Every published value other than 0 stands for at least three true counts, so the
    difference of any two published values never pins down a count of 1–4 (docs/reports.md)."""
    if value <= 0:
        return 0
    if value < threshold:
        return SUPPRESSED
    return max(base, base * ((value + base // 2) // base))


def count_range(published: int | str, base: int = ROUNDING_BASE,
                threshold: int = SUPPRESSION_THRESHOLD) -> range:
    """Every true count that ``rounded_count`` publishes as ``published`` (what an attacker can infer)."""
    if published == SUPPRESSED:
        return range(1, threshold)
    value = int(published)
    if value == 0:
        return range(0, 1)
    low = max(threshold, value - base // 2)
    return range(low, value + base // 2 + (0 if base % 2 else -1) + 1)


def control_counts(row: dict[str, Any], keys: Sequence[str] = FUNDER_COUNT_KEYS) -> dict[str, Any]:
    out = dict(row)
    for key in keys:
        value = out.get(key)
        if isinstance(value, int):
            out[key] = rounded_count(value)
    return out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _csv_cell(value: Any) -> str:
    """``_cell_text`` plus formula neutralisation of text, with the common types first: a million-row export
    calls this ten million times (bench/reports.py)."""
    kind = type(value)
    if kind is str:
        return neutralise_formula(value)
    if value is None:
        return ""
    if kind is datetime and value.tzinfo is None:
        return value.isoformat(" ", "minutes")  # the same text as strftime("%Y-%m-%d %H:%M"), cheaper
    if isinstance(value, str):
        return neutralise_formula(str(value))
    return _cell_text(value)


def _csv_cell_decimal_comma(value: Any) -> str:
    if type(value) is float:
        return f"{value:.1f}".replace(".", ",")
    return _csv_cell(value)


def csv_lines(rows: Iterable[dict[str, Any]], columns: Sequence[Column], delimiter: str = ",",
              bom: bool = True) -> Iterator[str]:
    """CSV text chunk by chunk (UTF-8 with BOM for Excel; ';' for German Excel), for streaming responses.
    With ';' decimals get a comma (``100,0``): German Excel reads ``100.0`` as a date or text."""
    if delimiter not in (",", ";"):
        raise ValueError("delimiter must be ',' or ';'")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([c.title for c in columns])
    yield ("\ufeff" if bom else "") + flush()
    keys = [c.key for c in columns]
    pending = 0
    cell = _csv_cell_decimal_comma if delimiter == ";" else _csv_cell
    for row in rows:
        writer.writerow([cell(row.get(key)) for key in keys])
        pending += 1
        if pending == 1000:  # chunks of ~1000 rows: few syscalls, bounded memory
            yield flush()
            pending = 0
    if pending:
        yield flush()


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: IO[bytes], delimiter: str = ",",
              bom: bool = True, progress: Callable[[int], None] | None = None) -> int:
    """Write CSV to a binary file; returns the number of data rows."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in rows:
            count += 1
            if progress and count % 10000 == 0:
                progress(count)
            yield row

    for chunk in csv_lines(counted(), columns, delimiter, bom):
        out.write(chunk.encode("utf-8"))
    return count


def write_xlsx(rows: Iterable[dict[str, Any]], columns: Sequence[Column], path: str, sheet: str = "Bericht",
               progress: Callable[[int], None] | None = None) -> int:
    """Write XLSX in constant memory. Texts are written as strings, never as formulas."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
        datetime_format = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        for col, column in enumerate(columns):
            worksheet.write_string(0, col, column.title, bold)
            worksheet.set_column(col, col, max(12, len(column.title) + 2))
        worksheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            for col, column in enumerate(columns):
                value = row.get(column.key)
                if value is None:
                    continue
                if isinstance(value, bool):
                    worksheet.write_boolean(count, col, value)
                elif isinstance(value, (int, float)):
                    worksheet.write_number(count, col, value)
                elif isinstance(value, datetime):
                    worksheet.write_datetime(count, col, value.replace(tzinfo=None), datetime_format)
                elif isinstance(value, date):
                    worksheet.write_datetime(count, col, datetime(value.year, value.month, value.day), date_format)
                else:
                    worksheet.write_string(count, col, str(value))
            if progress and count % 10000 == 0:
                progress(count)
        worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    finally:
        workbook.close()
    return count
