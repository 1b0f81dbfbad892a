"""``vamos report completions|funder``: coordinator and funder reports as CSV or XLSX.

Argument parsing only. Rows come from a *source*: the LTI tool's database (``--from-lti``, or by default when
``VAMOS_DATABASE_URL`` is set: ``lti_tool.reports.rows_from_lti``) or Open edX (``--from-openedx``:
``vamos_core.openedx_api.rows_from_openedx``); both yield the same row dicts. Writing and safety rules live in
``vamos_core.reports`` and ``vamos_core.report_rows``.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import date, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from vamos_core.olx import DEFAULT_ORG
from vamos_core.report_rows import (
    ALLOW_NAMES_ENV,
    OrganisationMapError,
    Pseudonymiser,
    anonymise_rows,
    funder_rows,
    load_organisations,
    named_rows,
    names_allowed,
    report_pseudonymiser,
    whole_months,
)
from vamos_core.reports import (COMPLETION_COLUMNS, FUNDER_COLUMNS, PSEUDONYMOUS_COMPLETION_COLUMNS, write_csv,
                                write_xlsx)

SECRET_ENV = "VAMOS_OPENEDX_CLIENT_SECRET"
CLIENT_ID_ENV = "VAMOS_OPENEDX_CLIENT_ID"
PSEUDONYM_KEY_ENV = "VAMOS_PSEUDONYM_KEY"
REPORT_TIMEZONE = "Europe/Berlin"
DATABASE_ENV = "VAMOS_DATABASE_URL"
NO_SOURCE = ("no report source given: use --from-lti (the LTI tool's database from VAMOS_DATABASE_URL) or "
             "--from-openedx URL (with --client-id and the client secret)")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _report_tz():
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(REPORT_TIMEZONE)
    except Exception:  # no tz database on this machine: UTC is still correct, only not local
        return timezone.utc


class TerminalProgress:
    """One self-overwriting status line on stderr — only when stderr is a terminal (never in logs or pipes)."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.2):
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def __call__(self, info) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        rows = isinstance(info, tuple) and len(info) == 2  # the LTI source: (rows done, rows in total)
        if (info[0] if rows else info.learners) and now - self._last < self.interval:
            return
        self._last = now
        width = 20
        if rows:
            done, total = info
            filled = int(width * done / max(total, 1))
            text = f"{done}/{total} Zeilen"
        else:
            filled = int(width * (info.course_index - 1) / max(info.course_total, 1))
            text = f"Kurs {info.course_index}/{info.course_total} {info.course_id} · {info.learners} Lernende"
        bar = "#" * min(filled, width) + "-" * max(width - filled, 0)
        self.stream.write(f"\r[{bar}] {text}\033[K")
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def rows_from_source(args: argparse.Namespace, progress: Callable[[Any], None]) -> Iterator[dict[str, Any]]:
    """The completion rows of the chosen source: the LTI tool's database or Open edX."""
    if args.source == "lti":
        from lti_tool.reports import rows_from_lti

        return rows_from_lti(os.environ[DATABASE_ENV], modules=args.module, since=args.since, until=args.until,
                             platforms=args.platform, with_names=bool(getattr(args, "with_names", False)),
                             content_dir=os.environ.get("VAMOS_CONTENT_DIR", ""),
                             # no status line (not a terminal): no count query before the export either
                             progress=progress if getattr(progress, "enabled", True) else None)
    from vamos_core.openedx_api import OpenEdxClient, rows_from_openedx

    secret = args.client_secret or os.environ.get(SECRET_ENV, "")
    client = OpenEdxClient(args.from_openedx, args.client_id, secret, timeout=(5.0, args.timeout),
                           max_attempts=args.max_attempts, backoff=args.backoff)
    return rows_from_openedx(
        client, args.course or None, learner_label=args.learner_label, organisations=args.organisation_map,
        modules=args.module, org=args.org, since=args.since, until=args.until, tz=_report_tz(), progress=progress)


def _learner_label(args: argparse.Namespace) -> Callable[[str], str] | None:
    if getattr(args, "with_names", False):
        if not names_allowed():
            print(f"--with-names is not allowed here: the operator must set {ALLOW_NAMES_ENV}=1 (reports with "
                  "names need a legal basis and an agreed purpose; pseudonyms are the default)", file=sys.stderr)
            return None
        return lambda username: username
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    if key:
        if len(key.encode("utf-8")) < 16:
            print(f"{PSEUDONYM_KEY_ENV} must have at least 16 characters", file=sys.stderr)
            return None
        return Pseudonymiser(key.encode("utf-8"))
    print(f"warning: {PSEUDONYM_KEY_ENV} is not set; using a random key for this run only, so pseudonyms will not "
          "match those of other reports", file=sys.stderr)
    return Pseudonymiser(secrets.token_bytes(32))


def _lti_pseudonymiser() -> Pseudonymiser:
    """Pseudonyms of a report from the LTI database for the purpose "completions": keyed by VAMOS_PSEUDONYM_KEY
    (the same for every report of this purpose, where the operator wants periodic reports to match), else by a
    random key of this run. Never the learners' internal ids, which are their credential subjects."""
    key = os.environ.get(PSEUDONYM_KEY_ENV, "").encode("utf-8")
    if len(key) >= 16:
        return report_pseudonymiser(key, "completions", "")
    return report_pseudonymiser(secrets.token_bytes(32), "completions", secrets.token_hex(8))


def _report_rows(args: argparse.Namespace, rows):
    """The rows and columns of the chosen report: aggregated funder rows, or completion rows with pseudonyms (no
    certificate codes, dates to the day) unless names are allowed and asked for."""
    if args.report_kind == "funder":
        return funder_rows(rows, args.since, args.until), FUNDER_COLUMNS, "Förderbericht"
    with_names = bool(getattr(args, "with_names", False))
    if args.source == "lti":
        pseudonym = _lti_pseudonymiser()
        rows = named_rows(rows, pseudonym) if with_names else anonymise_rows(rows, pseudonym)
    elif not with_names:
        rows = anonymise_rows(rows, None)  # the learner label is already the pseudonym (_learner_label)
    return rows, COMPLETION_COLUMNS if with_names else PSEUDONYMOUS_COMPLETION_COLUMNS, "Abschlüsse"


def _audit(args: argparse.Namespace, count: int) -> None:
    """Exports from the LTI database are recorded in its audit log, like the coordinators' exports."""
    if args.source != "lti":
        return
    from lti_tool.reports import audit_cli_export

    audit_cli_export(os.environ[DATABASE_ENV], f"export_{args.report_kind}_cli", {
        "names": bool(getattr(args, "with_names", False)), "modules": args.module or [],
        "platforms": args.platform or [], "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None}, count)


def _check_source(args: argparse.Namespace) -> str | None:
    if args.since and args.until and args.since > args.until:
        return "--since is after --until"
    if args.from_lti and args.from_openedx:
        return "give one source: --from-lti or --from-openedx"
    if args.from_lti or (not args.from_openedx and os.environ.get(DATABASE_ENV)):
        if not os.environ.get(DATABASE_ENV):
            return f"--from-lti reads the LTI tool's database from {DATABASE_ENV}; it is not set"
        if args.organisations:
            return "--organisations is for Open edX; the LTI tool keeps its own organisation register"
        args.source = "lti"
        return None
    args.source = "openedx"
    if not args.from_openedx:
        return NO_SOURCE
    args.client_id = args.client_id or os.environ.get(CLIENT_ID_ENV, "")
    if not args.client_id:
        return f"--client-id (or {CLIENT_ID_ENV}) is required with --from-openedx"
    if not (args.client_secret or os.environ.get(SECRET_ENV)):
        return f"the client secret is missing: set {SECRET_ENV} (preferred) or give --client-secret"
    return None


def cmd_report(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from vamos_core.openedx_api import OpenEdxError

    problem = _check_source(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    fmt = args.format or ("xlsx" if args.output.lower().endswith(".xlsx") else "csv")
    if fmt == "xlsx" and args.delimiter != ",":
        print("--delimiter only applies to CSV", file=sys.stderr)
        return 2
    if args.source == "lti":
        # Per-report pseudonyms (_lti_pseudonymiser); names only from certificates, if allowed.
        if getattr(args, "with_names", False) and not names_allowed():
            print(f"--with-names is not allowed here: the operator must set {ALLOW_NAMES_ENV}=1",
                  file=sys.stderr)
            return 2
        learner_label = str
    else:
        learner_label = _learner_label(args)
    if learner_label is None:
        return 2
    args.learner_label = learner_label
    try:
        args.organisation_map = load_organisations(args.organisations) if args.organisations else None
    except (OSError, OrganisationMapError) as exc:
        print(f"organisation mapping: {exc}", file=sys.stderr)
        return 2

    if args.report_kind == "funder":  # whole months: reports for overlapping periods cannot be subtracted
        args.since, args.until = whole_months(args.since, args.until)
    progress = TerminalProgress()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        try:
            rows = rows_from_source(args, progress)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        rows, columns, sheet = _report_rows(args, rows)
        if fmt == "xlsx":
            count = write_xlsx(rows, columns, str(temp), sheet=sheet)
        else:
            with temp.open("wb") as out:
                count = write_csv(rows, columns, out, delimiter=args.delimiter)
        progress.finish()
        os.chmod(temp, 0o600)  # personal data: readable by the coordinator only
        os.replace(temp, output)
        _audit(args, count)
    except OpenEdxError as exc:
        progress.finish()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # the LTI source: database unreachable or not migrated
        progress.finish()
        print(f"error: the LTI tool's database failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        if temp.exists():
            temp.unlink()
    print(f"ok {args.report_kind}: {count} rows, {output}")
    return 0


def add_commands(subparsers) -> None:
    report = subparsers.add_parser("report", help="coordinator and funder reports (CSV/XLSX)")
    kinds = report.add_subparsers(dest="report_kind", required=True, metavar="REPORT")
    for kind, text in (("completions", "one row per learner and module (pseudonymised)"),
                       ("funder", "counts per module, organisation, Bundesland and month; counts 1–4 shown as <5")):
        parser = kinds.add_parser(kind, help=text, description=text)
        lti = parser.add_argument_group(f"source: the LTI tool's database (default when {DATABASE_ENV} is set)")
        lti.add_argument("--from-lti", action="store_true", help=f"read the LTI tool's database ({DATABASE_ENV})")
        lti.add_argument("--platform", action="append", metavar="ISSUER",
                         help="platform issuer (repeatable); default: every platform")
        source = parser.add_argument_group("source: Open edX")
        source.add_argument("--from-openedx", metavar="URL", help="LMS base URL, e.g. https://lernen.example.org")
        source.add_argument("--client-id", help=f"OAuth2 client id (or {CLIENT_ID_ENV})")
        source.add_argument("--client-secret", help=f"OAuth2 client secret; better: {SECRET_ENV}, "
                            "command lines are visible to other users of the machine")
        source.add_argument("--course", action="append", metavar="COURSE_KEY",
                            help="course key (repeatable); default: the courses of --org from the Courses API")
        source.add_argument("--org", default=DEFAULT_ORG, help=f"course organisation (default {DEFAULT_ORG})")
        source.add_argument("--timeout", type=float, default=60.0, help="read timeout per request in seconds")
        source.add_argument("--max-attempts", type=int, default=5, help="attempts per request (default 5)")
        source.add_argument("--backoff", type=float, default=1.0, help=argparse.SUPPRESS)
        parser.add_argument("--module", action="append", metavar="ID", help="module id (repeatable); default: all")
        parser.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="first day of the period")
        parser.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="last day of the period")
        parser.add_argument("--organisations", metavar="FILE",
                            help="CSV username;organisation;bundesland (Open edX does not know organisations)")
        parser.add_argument("--format", choices=("csv", "xlsx"), help="default: from the file name, else csv")
        parser.add_argument("--delimiter", choices=(",", ";"), default=",", metavar="SEP",
                            help="CSV separator: ',' (default) or ';' (German Excel)")
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="report file")
        if kind == "completions":
            parser.add_argument("--with-names", action="store_true",
                                help=f"Open edX usernames / names on LTI certificates instead of pseudonyms "
                                f"(only if {ALLOW_NAMES_ENV}=1)")
        parser.set_defaults(func=cmd_report, report_kind=kind)
