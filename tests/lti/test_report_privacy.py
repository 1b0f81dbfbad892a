"""Reports that stay anonymous (issue 16), against the running tool:

* every report the tool produces for coordinators and funders — the pseudonymised completion report (CSV, XLSX,
  ``vamos report``) and the funder report — joined with everything public (``/verify`` HTML and JSON, the
  credentials, the status list, issuer and achievement documents) shares no identifier and no time finer than a
  day with it (the report with names, allowed only by the operator, is personal data by design and not tested here);
* the funder export of the tool, for many overlapping periods, gives the attacker of ``tests/disclosure.py`` no
  count below the threshold.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
from datetime import date, datetime, time, timedelta
from itertools import combinations
from unittest import mock

import openpyxl
import pytest
from sqlalchemy import select

from lti_tool import certificates as certs
from lti_tool.app import create_app
from lti_tool.models import Certificate, Learner
from tests.disclosure import attack, cells
from vamos_core.reports import FUNDER_COUNT_KEYS, count_range

from .conftest import backend_env, make_config
from .test_certificates_lti import complete, visitor
from .test_coordinator import coordinator, csv_table, seed
from .test_learner import Visitor

NAMES = ["Ayşe Yılmaz-Müller", "Olga Petrowa", "Jean-Luc Mbeki", "Fatima Haddad"]
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b")


@pytest.fixture
def app(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend, verify_rate_limit=1000, report_allow_names=True))
    yield app
    app.extensions["vamos"].db.dispose()


def _payload(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + [str(k) for k in value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _xlsx_cells(data: bytes, tmp_path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    out = []
    for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True):
        for c in row:
            if isinstance(c, datetime):  # a date cell: midnight, nothing finer than the day is stored
                assert c.time() == time(0), c
                c = c.date()
            if c is not None:
                out.append(str(c))
    return out


def test_no_report_links_to_anything_public(app, tmp_path):
    learners = [visitor(app, sub=f"person-{i}", name=name) for i, name in enumerate(NAMES)]
    for v in learners:
        complete(v)
    Visitor(app, "testmodul", sub="person-started").get("/module/testmodul/lesson/einfuehrung")
    public_client = app.test_client()

    # Everything public about these people: /verify (HTML + JSON), their credentials, the published documents.
    public: list[str] = []
    identifiers: set[str] = set()
    with app.extensions["vamos"].db.session() as s:
        rows = list(s.scalars(select(Certificate).order_by(Certificate.id)))
        internal = {learner.pseudonym for learner in s.scalars(select(Learner))}
    for v, cert in zip(learners, rows):
        verify_json = public_client.get(f"/verify/{cert.verification_code}.json").get_json()
        public += _strings(verify_json) + [public_client.get(f"/verify/{cert.verification_code}").text]
        token = v.get(v.base() + "/certificate.jwt").text
        credential = _payload(token)
        public += _strings(credential)
        identifiers |= {cert.verification_code, cert.verification_code.replace("-", ""), credential["id"],
                        credential["credentialSubject"]["id"], credential["credentialSubject"]["id"][9:],
                        credential["credentialStatus"]["statusListIndex"], cert.learner_name,
                        *cert.learner_name.split()}
        assert re.search(r"\d{2}:\d{2}:\d{2}", credential["validFrom"])  # public: to the second
    status = public_client.get("/credentials/status/revocation").text
    public += _strings(_payload(status)) + _strings(public_client.get("/issuer.json").get_json())
    assert internal >= {c["credentialSubject"]["id"][9:] for c in map(_payload, [r.credential_jwt for r in rows])}

    # Every report for coordinators and funders: web exports (CSV/XLSX) and the command line.
    kim = coordinator(app, issuer="https://lms.example.org")
    reports: dict[str, list[str]] = {}
    for kind in ("completions", "funder"):
        reports[f"{kind}.csv"] = [c for row in csv_table(kim.get(f"/coordination/export/{kind}")) for c in row]
        reports[f"{kind}.xlsx"] = _xlsx_cells(kim.get(f"/coordination/export/{kind}", format="xlsx").data,
                                              tmp_path, f"{kind}.xlsx")
    from vamos_cli.cli import main

    env = {**backend_env({"database_url": app.extensions["vamos"].config.database_url,
                          "redis_url": app.extensions["vamos"].config.redis_url}), "VAMOS_REPORT_ALLOW_NAMES": ""}
    with mock.patch.dict(os.environ, env):
        for kind in ("completions", "funder"):
            out = tmp_path / f"cli-{kind}.csv"
            assert main(["report", kind, "--from-lti", "-o", str(out)]) == 0
            reports[f"cli-{kind}.csv"] = [c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for c in row]
    assert len(reports["completions.csv"]) == 9 * 6 and "ja" in reports["completions.csv"]

    public_text = "\n".join(public)
    report_pseudonyms = set()
    for name, values in reports.items():
        for value in values:
            assert not any(identifier in value for identifier in identifiers | internal), (name, value)
            assert not TIME_OF_DAY.search(value), (name, value)  # nothing finer than a day to join on
            if value.startswith("p-"):
                report_pseudonyms.add(value)
                assert value not in public_text, (name, value)
    assert len(report_pseudonyms) == 3 * 5  # five learners, three pseudonymised reports: all different
    # and no report's pseudonym equals another's: the three reports cannot be joined either
    by_report = [{v for v in values if v.startswith("p-")} for values in reports.values()]
    assert all(not a & b for a, b in combinations([r for r in by_report if r], 2))


def test_funder_export_over_overlapping_periods_reveals_no_small_count(app):
    seed(app)
    db = app.extensions["vamos"].db
    with db.session() as s:  # one of the six certificates of "Verein Miteinander" in March revoked: 6 / 6 / 5
        first = s.scalars(select(Certificate).where(Certificate.learner_name == "Vera A")).one()
    certs.revoke(db, first.id, "Täuschung")
    kim = coordinator(app)
    days = [date(2026, 3, 1) + timedelta(days=d) for d in (0, 9, 10, 11, 12, 13, 31, 35, 45, 60)]
    periods = [(a, b) for a in days for b in days if a <= b]
    reports = []
    for since, until in periods:
        table = csv_table(kim.get("/coordination/export/funder", since=since.isoformat(), until=until.isoformat()))
        header, body = table[0], table[1:]
        rows = [dict(zip(["module", "organisation", "bundesland", "month", *FUNDER_COUNT_KEYS], row)) for row in body]
        reports.append(cells(rows))
        for key, _column, value in reports[-1]:
            assert value in ("0", "<5") or int(value) % 5 == 0, (since, until, key, value)
    assert attack(reports, lambda v: count_range(v if v == "<5" else int(v))) == []
    march = {(k, c): v for k, c, v in reports[0]}
    title = app.extensions["vamos"].catalog.get("testmodul").title  # exports name modules by title (issue 15)
    assert march[((title, "Verein Miteinander e.V.", "Nordrhein-Westfalen", "2026-03"), "certificates")] == "5"
