"""Source-independent helpers for report rows: pseudonyms, the organisation mapping and the funder aggregation.

A *source* (``openedx_api.rows_from_openedx``, ``lti_tool.reports.completion_rows``) yields completion rows as dicts
with the keys of ``reports.COMPLETION_COLUMNS`` and, optionally, ``bundesland`` and ``certificate_at``.

* ``anonymise_rows`` makes the pseudonymised completion report: a pseudonym of its own per report and purpose
  (``report_pseudonymiser``: never the credential subject or anything else shown publicly), dates to the day, and
  "ja"/"nein" instead of the certificate code (a code opens /verify, which shows the name).
* ``funder_rows`` aggregates per module × organisation × Bundesland × month over *whole months* and publishes each
  count through ``reports.control_counts`` (rounding to base 5, 1–4 suppressed): differences of cells, and of
  reports for overlapping periods, reveal no count below the threshold (docs/reports.md).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .reports import FUNDER_COUNT_KEYS, control_counts

ALLOW_NAMES_ENV = "VAMOS_REPORT_ALLOW_NAMES"  # the operator's switch for names in learner-level reports
PSEUDONYM_PREFIX = "p-"
PSEUDONYM_HEX = 16  # 64 bits: no collisions in any realistic number of learners


def names_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Reports with names need a legal basis and an agreed purpose: only where the operator set the switch."""
    return (os.environ if environ is None else environ).get(ALLOW_NAMES_ENV) == "1"


class Pseudonymiser:
    """learner id → ``p-`` + HMAC-SHA256(key, id) (hex, shortened). Same key, same pseudonym; without the key
    the id cannot be recovered or confirmed by guessing."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must have at least 16 bytes")
        self._key = key

    def __call__(self, learner_id: str) -> str:
        digest = hmac.new(self._key, learner_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]

    def __repr__(self) -> str:
        return "Pseudonymiser(***)"


def report_pseudonymiser(secret: bytes, purpose: str, report_id: str) -> Pseudonymiser:
    """The pseudonyms of one report for one purpose: keyed by HMAC(secret, purpose, report id). Two reports (or two
    purposes) give the same learner different pseudonyms, so reports cannot be joined with each other, and no
    pseudonym equals a credential subject or any other value the tool publishes."""
    if len(secret) < 16:
        raise ValueError("the report secret must have at least 16 bytes")
    key = hmac.new(secret, f"vamos-report\x00{purpose}\x00{report_id}".encode("utf-8"), hashlib.sha256).digest()
    return Pseudonymiser(key)


def _to_day(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def anonymise_rows(rows: Iterable[Mapping[str, Any]],
                   pseudonym: Pseudonymiser | None) -> Iterator[dict[str, Any]]:
    """Completion rows for the pseudonymised report (columns ``reports.PSEUDONYMOUS_COMPLETION_COLUMNS``).
    ``pseudonym`` None: the source already put a pseudonym into ``learner`` (Open edX: HMAC of the username)."""
    for row in rows:
        out = dict(row)
        out.pop("name", None)
        if pseudonym is not None:
            out["learner"] = pseudonym(str(row.get("learner") or ""))
        out["certificate"] = "ja" if row.get("certificate_code") else "nein"
        out["certificate_code"] = None
        for key in ("started_at", "completed_at", "certificate_at"):
            out[key] = _to_day(out.get(key))
        yield out


def named_rows(rows: Iterable[Mapping[str, Any]], pseudonym: Pseudonymiser) -> Iterator[dict[str, Any]]:
    """Completion rows with names, where the operator allows them: the name on the learner's certificate, else the
    report's pseudonym (never the internal id, which is the credential subject)."""
    for row in rows:
        out = dict(row)
        out["learner"] = row.get("name") or pseudonym(str(row.get("learner") or ""))
        yield out


def whole_months(since: date | None, until: date | None) -> tuple[date | None, date | None]:
    """The period widened to whole calendar months. A funder cell is one month: when every report counts whole
    months, two reports for overlapping periods show the same value in every month they share, and subtracting
    them reveals nothing (a period ending on the 14th and one ending on the 15th would otherwise differ by the
    people of the 15th)."""
    if since is not None:
        since = since.replace(day=1)
    if until is not None:
        following = date(until.year + (until.month == 12), until.month % 12 + 1, 1)
        until = date.fromordinal(following.toordinal() - 1)
    return since, until


class OrganisationMapError(ValueError):
    pass


def load_organisations(path: str | Path) -> dict[str, tuple[str, str]]:
    """``username;organisation;bundesland`` (UTF-8, optional BOM and header line; ',' also accepted) →
    {username: (organisation, bundesland)}."""
    text = Path(path).read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in first or "," not in first else ","
    mapping: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if number == 1 and cells[0].lower() in ("username", "benutzername", "user"):
            continue
        if len(cells) < 2 or not cells[0]:
            raise OrganisationMapError(f"{path}:{number}: expected username;organisation;bundesland")
        if cells[0] in mapping:
            raise OrganisationMapError(f"{path}:{number}: username '{cells[0]}' appears twice")
        mapping[cells[0]] = (cells[1], cells[2] if len(cells) > 2 else "")
    return mapping


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _in_period(day: date | None, since: date | None, until: date | None) -> bool:
    return day is not None and (since is None or day >= since) and (until is None or day <= until)


def funder_rows(rows: Iterable[Mapping[str, Any]], since: date | None = None, until: date | None = None,
                suppress: bool = True) -> Iterator[dict[str, Any]]:
    """Counts per module × organisation × Bundesland × month (``YYYY-MM``): *started* in the month of
    ``started_at``, *completed* in the month of ``completed_at``, *certificates* in the month of ``certificate_at``
    (or ``completed_at``) of rows with a certificate. Only events within the whole months of since..until count
    (``whole_months``; the source must deliver the rows of those months). Memory grows with the number of groups,
    not of learners. Counts pass disclosure control (``reports.control_counts``) unless ``suppress`` is False."""
    since, until = whole_months(since, until)
    counts: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNDER_COUNT_KEYS, 0))

    def add(row: Mapping[str, Any], day: date | None, key: str) -> None:
        if _in_period(day, since, until):
            group = (str(row.get("module") or ""), str(row.get("organisation") or ""),
                     str(row.get("bundesland") or ""), f"{day.year:04d}-{day.month:02d}")
            counts[group][key] += 1

    for row in rows:
        add(row, _day(row.get("started_at")), "started")
        add(row, _day(row.get("completed_at")), "completed")
        if row.get("certificate_code") or row.get("certificate") == "ja":
            add(row, _day(row.get("certificate_at")) or _day(row.get("completed_at")), "certificates")
    for (module, organisation, bundesland, month) in sorted(counts):
        out = {"module": module, "organisation": organisation, "bundesland": bundesland, "month": month,
               **counts[(module, organisation, bundesland, month)]}
        yield control_counts(out) if suppress else out
