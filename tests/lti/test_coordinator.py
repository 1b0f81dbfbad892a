"""Coordination (both storage backends): the dashboard, the exports and the CLI source against a fixture with
known answers (counts, suppression, formula neutralisation, BOM, ';', XLSX read back with openpyxl), the
organisation register and the learners' choice (over real HTTP from lti1p3platform), DSGVO (Art. 15, Art. 17,
retention), the audit log, access (learners and trainers: 403 on every coordinator route) and tenant isolation.

Fixture (platform A, module ``testmodul``, one lesson; times UTC, noon):
* 6 learners of "Verein Miteinander e.V." (NRW): enrolled + started 2026-03-10, completed + passed 2026-03-12,
  score 80, certificate;
* 3 learners of the organisation named like a formula (Berlin): started 2026-03-20, completed 2026-04-05,
  score 100, certificate;
* 2 learners without organisation: started 2026-04-02, score 40, not passed;
* 1 trainer with a completed module (never counted);
platform B: 2 learners of "Brücke Süd" (Bayern), completed 2026-03-15.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import date, datetime
from unittest import mock

import openpyxl
import pytest
from sqlalchemy import func, select

from lti_tool import dsgvo, rollups
from lti_tool import reports as queries
from lti_tool.app import create_app
from lti_tool.models import (
    AuditEntry,
    Certificate,
    Learner,
    LearnerOrganisation,
    LtiUser,
    ModuleProgress,
    Organisation,
    ProgressEvent,
    ScoreOutbox,
)
from vamos_core.certificates import new_code
from vamos_core.report_rows import report_pseudonymiser

from .conftest import backend_env, make_config
from .test_learner import Visitor, assert_german_refusal

MODULE = "testmodul"
A = "https://lms-a.example.org"
B = "https://lms-b.example.org"
FORMULA_ORG = '=HYPERLINK("http://evil.example","klick")'
SNAPSHOT = json.dumps({"id": MODULE, "title": "Testmodul Vereinsarbeit", "version": "2026.1", "objectives": [],
                       "hours": 1.0})
HEADER = ["Lernende*r", "Organisation", "Modul", "Begonnen am", "Lektionen abgeschlossen", "Lektionen gesamt",
          "Quiz-Ergebnis (%)", "Abgeschlossen am", "Zertifikat"]  # pseudonymised: no codes (issue 16)
NAMED_HEADER = HEADER[:-1] + ["Zertifikatscode"]


def export_pseudonyms(app, ids: dict, kind: str = "completions") -> dict[str, str]:
    """sub -> the pseudonym the latest export of ``kind`` gave (keyed per export by its audit entry)."""
    with app.extensions["vamos"].db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == f"export_{kind}")
                          .order_by(AuditEntry.id.desc())).first()
    pseudonym = report_pseudonymiser(app.extensions["vamos"].config.secret_key.encode(), f"export_{kind}",
                                     str(entry.id))
    return {sub: pseudonym(raw) for sub, raw in ids["pseudonyms"].items()}


@pytest.fixture
def app(tmp_path, backend):
    app = create_app(make_config(tmp_path, backend, report_allow_names=True))
    yield app
    app.extensions["vamos"].db.dispose()


def noon(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0)


def _person(s, issuer, sub, org, *, started, completed=None, score=None, role="learner", name=None, seen=None):
    learner = Learner(issuer=issuer, sub=sub, role=role, created_at=started, last_seen_at=seen or started)
    s.add(learner)
    s.flush()
    if org is not False:
        s.add(LearnerOrganisation(learner_id=learner.id, organisation_id=org, chosen_at=started))
    s.add(ModuleProgress(
        issuer=issuer, sub=sub, module_id=MODULE, lessons_viewed='["einfuehrung"]',
        lessons_done='["einfuehrung"]' if completed else "[]", quiz_attempts=1 if score is not None else 0,
        quiz_score=score, passed=bool(completed), completed=bool(completed), percent=100 if completed else 50,
        content_version="2026.1", completed_at=completed, updated_at=completed or started, enrolled_at=started,
        started_at=started, passed_at=completed))
    s.add(ProgressEvent(issuer=issuer, sub=sub, module_id=MODULE, kind="lesson_viewed", lesson_id="einfuehrung",
                        idempotency_key=f"{issuer}|{sub}|viewed", created_at=started))
    code = None
    if completed and name:
        code = new_code()
        s.add(Certificate(learner_id=learner.id, module_id=MODULE, module_snapshot=SNAPSHOT, learner_name=name,
                          completed_at=completed, score=score, verification_code=code, credential_id="urn:x",
                          credential_jwt="header.payload.sig", pdf=b"%PDF-1.7 test", status="valid",
                          created_at=completed))
    return learner, code


def seed(app, a: str = A) -> dict:
    """The fixture of the module docstring; platform A is ``a``."""
    db = app.extensions["vamos"].db
    out: dict = {"codes": {}, "pseudonyms": {}}
    with db.session() as s:
        verein = Organisation(issuer=a, name="Verein Miteinander e.V.", type="e.V.", city="Köln",
                              bundesland="Nordrhein-Westfalen")
        formula = Organisation(issuer=a, name=FORMULA_ORG, type="Initiative", city="Berlin", bundesland="Berlin")
        bruecke = Organisation(issuer=B, name="Brücke Süd", type="Verband", city="München", bundesland="Bayern")
        s.add_all([verein, formula, bruecke])
        s.flush()
        out.update(verein=verein.id, formula=formula.id, bruecke=bruecke.id)
        people = (
            [(a, f"v{i}", verein.id, noon(3, 10), noon(3, 12), 80.0, f"Vera {chr(65 + i)}") for i in range(6)]
            + [(a, f"f{i}", formula.id, noon(3, 20), noon(4, 5), 100.0, f"Fritz {chr(65 + i)}") for i in range(3)]
            + [(a, f"n{i}", None, noon(4, 2), None, 40.0, None) for i in range(2)]
            + [(B, f"b{i}", bruecke.id, noon(3, 14), noon(3, 15), 90.0, f"Berta {i}") for i in range(2)]
        )
        for issuer, sub, org, started, completed, score, name in people:
            learner, code = _person(s, issuer, sub, org, started=started, completed=completed, score=score, name=name)
            out["pseudonyms"][sub] = learner.pseudonym
            out["codes"][sub] = code
        _person(s, a, "tarek", False, started=noon(3, 11), completed=noon(3, 11), score=100.0, role="trainer",
                name="Tarek Trainer")
    # Rows written directly bypass the tool's write path: the dashboard counters are rebuilt from them, as the
    # migration's backfill does (their maintenance by the write path: tests/lti/test_rollups.py).
    with db.connection() as conn:
        rollups.rebuild(conn)
    return out


def coordinator(app, issuer=A, sub="kim") -> Visitor:
    return Visitor(app, MODULE, sub=sub, role="coordinator", issuer=issuer)


def csv_table(response, delimiter=","):
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def filters(**kw) -> queries.Filters:
    return queries.Filters(platforms=[A], **kw)


# ------------------------------------------------------------------ dashboard


def test_dashboard_numbers_match_the_fixture(app):
    ids = seed(app)
    db = app.extensions["vamos"].db
    data = queries.dashboard(db, filters())
    counts = {k: data.total[k] for k in queries.FACTS}
    assert counts == {"enrolled": 11, "started": 11, "completed": 9, "passed": 9, "certificates": 9}
    assert data.total["median_days"] == pytest.approx(2.0)  # 2,2,2,2,2,2,16,16,16 days
    assert data.total["average_score"] == pytest.approx(860 / 11)
    [module] = data.modules
    assert module["id"] == MODULE and module["completed"] == 9
    by_org = {r["name"]: (r["started"], r["completed"], r["certificates"], r["bundesland"]) for r in data.organisations}
    assert by_org == {"Verein Miteinander e.V.": (6, 6, 6, "Nordrhein-Westfalen"), FORMULA_ORG: (3, 3, 3, "Berlin"),
                      "keine Angabe": (2, 0, 0, "")}
    assert {r["name"]: r["completed"] for r in data.bundeslaender} == {
        "Berlin": 3, "Nordrhein-Westfalen": 6, "keine Angabe": 0}
    assert [(m["month"], m["enrolled"], m["completed"], m["certificates"]) for m in data.months] == [
        ("2026-03", 9, 6, 6), ("2026-04", 2, 3, 3)]

    april = queries.dashboard(db, filters(since=date(2026, 4, 1), until=date(2026, 4, 30)))
    assert {k: april.total[k] for k in queries.FACTS} == {
        "enrolled": 2, "started": 2, "completed": 3, "passed": 3, "certificates": 3}
    assert april.total["median_days"] == pytest.approx(16.0)
    verein = queries.dashboard(db, filters(organisation=ids["verein"]))
    assert (verein.total["completed"], verein.total["average_score"]) == (6, pytest.approx(80.0))
    none = queries.dashboard(db, filters(organisation="none"))
    assert (none.total["started"], none.total["completed"]) == (2, 0)
    assert queries.dashboard(db, filters(modules=["anderes"])).total["enrolled"] == 0

    page = coordinator(app).get("/coordination")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    text = page.text
    assert '<svg viewBox="0 0 640 240" width="100%" role="img" aria-labelledby="chart-title chart-desc"' in text
    assert '<title id="chart-title">Abschlüsse je Monat</title>' in text and '<desc id="chart-desc">' in text
    chart_table = re.search(r'<table id="chart-table">.*?</table>', text, re.S).group(0)
    assert "<caption>" in chart_table
    # Months as people read them in the interface language (issue 17), not ISO "2026-03".
    assert re.findall(r'<th scope="row">(\w+ \d{4})</th><td>(\d+)</td>', chart_table) == [("März 2026", "6"), ("April 2026", "3")]
    totals = re.search(r"<tfoot>.*?</tfoot>", text, re.S).group(0)
    assert re.findall(r"<td>([^<]*)</td>", totals)[:5] == ["11", "11", "9", "9", "9"]
    assert "Brücke Süd" not in text and "Tarek" not in text
    # The filters of the page select the same numbers.
    april_page = coordinator(app).get("/coordination", since="2026-04-01", until="2026-04-30", module=MODULE)
    totals = re.search(r"<tfoot>.*?</tfoot>", april_page.text, re.S).group(0)
    assert re.findall(r"<td>([^<]*)</td>", totals)[:5] == ["2", "2", "3", "3", "3"]
    assert coordinator(app).get("/coordination", since="kein Datum").status_code == 400
    assert coordinator(app).get("/coordination", module="gibt-es-nicht").status_code == 400


def test_launch_enrols_and_the_course_filter_finds_the_learner(lti_env):
    """Over HTTP from the demo platform: a learner's launch enrols them (nothing started); the first lesson
    starts the module; the course filter finds them through the link of the course."""
    from urllib.parse import parse_qs, urlsplit

    from lti_tool.models import ResourceLink

    env = lti_env
    login = env.start_login(user="lernende")
    r = env.launch(login, allow_redirects=False)
    sid = parse_qs(urlsplit(r.headers["Location"]).query)["ls"][0]
    platform = queries.Filters(platforms=[env.platform.issuer])
    with env.db.session() as s:
        [row] = s.scalars(select(ModuleProgress)).all()
        assert row.enrolled_at is not None and row.started_at is None
        learner = s.scalars(select(Learner)).one()
        assert learner.role == "learner" and learner.issuer == env.platform.issuer
    assert (queries.dashboard(env.db, platform).total["enrolled"], queries.dashboard(env.db, platform).total["started"]) == (1, 0)
    from .test_rollups import assert_counters_are_the_rebuilds

    assert_counters_are_the_rebuilds(env.db)  # the launch's own statement (PostgreSQL: enrolment CTEs) at every level
    assert login.session.get(f"{env.tool_url}/module/{MODULE}/lesson/einfuehrung", params={"ls": sid}).status_code == 200
    with env.db.session() as s:
        link_pk = s.scalar(select(func.min(ProgressEvent.resource_link_pk)))
        context = s.get(ResourceLink, link_pk).context_pk
    data = queries.dashboard(env.db, queries.Filters(platforms=[env.platform.issuer], context_pk=context))
    assert (data.total["enrolled"], data.total["started"]) == (1, 1)
    other = queries.dashboard(env.db, queries.Filters(platforms=[env.platform.issuer], context_pk=context + 999))
    assert other.total["enrolled"] == 0


# ------------------------------------------------------------------ exports


def test_completion_csv_with_bom_semicolon_and_neutralised_formula(app):
    ids = seed(app)
    kim = coordinator(app)
    r = kim.get("/coordination/export/completions", format="csv", delimiter="semicolon")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    table = csv_table(r, ";")
    assert table[0] == HEADER
    body = table[1:]
    assert len(body) == 11  # A's learners; not the trainer, nothing of platform B
    by_learner = {row[0]: row for row in body}
    pseudonyms = export_pseudonyms(app, ids)
    assert set(by_learner) == {pseudonyms[s] for s in pseudonyms if not s.startswith("b")}
    # A pseudonym of this report only, dates to the day, "ja" instead of the certificate code (issue 16); the
    # module's title, not its id, and a decimal comma with the semicolon format for German Excel (issue 15).
    title = app.extensions["vamos"].catalog.get(MODULE).title
    assert by_learner[pseudonyms["v0"]] == [pseudonyms["v0"], "Verein Miteinander e.V.", title, "2026-03-10",
                                            "1", "1", "80,0", "2026-03-12", "ja"]
    assert not set(by_learner) & set(ids["pseudonyms"].values())
    assert by_learner[pseudonyms["f0"]][1] == "'" + FORMULA_ORG  # neutralised: a spreadsheet shows text
    assert by_learner[pseudonyms["n0"]][1:] == ["keine Angabe", title, "2026-04-02", "0", "1", "40,0", "", "nein"]
    comma = csv_table(kim.get("/coordination/export/completions", format="csv"))
    assert comma[0] == HEADER and len(comma) == 12
    assert not {row[0] for row in comma[1:]} & set(by_learner)  # two exports cannot be joined by pseudonym
    assert "80.0" in {cell for row in comma for cell in row}  # the comma format keeps the decimal point
    # the period: only rows with an enrolment, start, completion or certificate in April
    april = csv_table(kim.get("/coordination/export/completions", since="2026-04-01", until="2026-04-30"))
    assert len(april) == 1 + 5

    with app.extensions["vamos"].db.session() as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.row_count) for e in entries] == [("export_completions", 11), ("export_completions", 11),
                                                          ("export_completions", 5)]
    first = entries[0]
    assert first.actor_issuer == A and len(first.actor) == 32 and "kim" not in first.actor
    assert json.loads(first.details)["platforms"] == [A] and json.loads(first.details)["names"] is False
    audit = kim.get("/coordination/audit")
    assert audit.status_code == 200 and "Abschlussbericht heruntergeladen" in audit.text and "export_completions" not in audit.text and "kim" not in audit.text


def test_completion_xlsx_reads_back_with_openpyxl(app, tmp_path):
    ids = seed(app)
    r = coordinator(app).get("/coordination/export/completions", format="xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "r.xlsx"
    path.write_bytes(r.data)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == 12
    f0 = next(row for row in rows if row[0] == export_pseudonyms(app, ids)["f0"])
    assert f0[1] == FORMULA_ORG and f0[3] == datetime(2026, 3, 20) and f0[7] == datetime(2026, 4, 5)
    cell = next(c for c in sheet["B"] if c.value == FORMULA_ORG)
    assert cell.data_type == "s"  # stored as text, never as a formula


MODULE_TITLE = "Testmodul Vereinsarbeit"  # exports name modules by title (issue 15)
EXPECTED_FUNDER = [
    ["Modul", "Organisation", "Bundesland", "Monat", "Begonnen", "Abgeschlossen", "Zertifikate"],
    [MODULE_TITLE, "'" + FORMULA_ORG, "Berlin", "2026-03", "<5", "0", "0"],
    [MODULE_TITLE, "'" + FORMULA_ORG, "Berlin", "2026-04", "0", "<5", "<5"],
    [MODULE_TITLE, "Verein Miteinander e.V.", "Nordrhein-Westfalen", "2026-03", "5", "5", "5"],  # 6 rounded to base 5
    [MODULE_TITLE, "keine Angabe", "keine Angabe", "2026-04", "<5", "0", "0"],  # as on the dashboard
]


def test_funder_report_suppresses_small_counts_in_csv_and_xlsx(app, tmp_path):
    seed(app)
    kim = coordinator(app)
    assert csv_table(kim.get("/coordination/export/funder", format="csv")) == EXPECTED_FUNDER
    r = kim.get("/coordination/export/funder", format="xlsx")
    path = tmp_path / "f.xlsx"
    path.write_bytes(r.data)
    values = [list(row) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
    assert values[0] == EXPECTED_FUNDER[0] and len(values) == 5
    assert [MODULE_TITLE, "Verein Miteinander e.V.", "Nordrhein-Westfalen", "2026-03", 5, 5, 5] in values
    assert [MODULE_TITLE, FORMULA_ORG, "Berlin", "2026-04", 0, "<5", "<5"] in values
    march = csv_table(kim.get("/coordination/export/funder", since="2026-03-01", until="2026-03-31"))
    assert march == [EXPECTED_FUNDER[0], EXPECTED_FUNDER[1], EXPECTED_FUNDER[3]]
    with app.extensions["vamos"].db.session() as s:
        assert [e.row_count for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "export_funder")
                                                  .order_by(AuditEntry.id))] == [4, 4, 2]


def test_names_only_where_the_operator_allows_them(app, tmp_path, backend):
    ids = seed(app)
    named = csv_table(coordinator(app).get("/coordination/export/completions", names="1"))
    assert named[0] == NAMED_HEADER
    learners = {row[0] for row in named[1:]}
    assert "Vera A" in learners and "Fritz C" in learners
    # no certificate, no name: the report's pseudonym (never the internal id, the credential subject)
    assert export_pseudonyms(app, ids)["n0"] in learners and ids["pseudonyms"]["n0"] not in learners
    other = create_app(make_config(tmp_path, {**backend, "auto_migrate": False}))
    try:
        page = coordinator(other).get("/coordination")
        assert 'name="names"' not in page.text
        plain = csv_table(coordinator(other).get("/coordination/export/completions", names="1"))
        assert "Vera A" not in {row[0] for row in plain[1:]}
    finally:
        other.extensions["vamos"].db.dispose()


def test_cli_report_from_the_lti_database(app, tmp_path, capsys, monkeypatch):
    ids = seed(app)
    from vamos_cli.cli import main

    env = {**backend_env({"database_url": app.extensions["vamos"].config.database_url,
                          "redis_url": ""}), "VAMOS_REPORT_ALLOW_NAMES": ""}
    with mock.patch.dict(os.environ, env):
        out = tmp_path / "abschluesse.csv"
        assert main(["report", "completions", "--from-lti", "--platform", A, "--delimiter", ";", "-o", str(out)]) == 0
        table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
        assert table[0] == HEADER and len(table) == 12
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        funder = tmp_path / "foerderbericht.xlsx"
        # default source when VAMOS_DATABASE_URL is set; every platform unless --platform
        assert main(["report", "funder", "--module", MODULE, "--since", "2026-03-01", "--until", "2026-03-31",
                     "-o", str(funder)]) == 0
        values = [list(r) for r in openpyxl.load_workbook(funder).active.iter_rows(values_only=True)]
        assert [MODULE, "Brücke Süd", "Bayern", "2026-03", "<5", "<5", "<5"] in values and len(values) == 4
        assert main(["report", "completions", "--from-lti", "--with-names", "-o", str(out)]) == 2
        assert main(["report", "completions", "--from-lti", "--organisations", "x.csv", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert "ok completions: 11 rows" in captured.out and "\r[" not in captured.err
    with mock.patch.dict(os.environ, {**env, "VAMOS_REPORT_ALLOW_NAMES": "1"}):
        assert main(["report", "completions", "--from-lti", "--platform", B, "--with-names", "-o", str(out)]) == 0
        assert {row[0] for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")))} >= {"Berta 0"}
    assert ids
    # every export from the database is in its audit log, the one with names marked as such (issue 16)
    with app.extensions["vamos"].db.session() as s:
        cli = [(e.action, e.actor, json.loads(e.details)["names"], e.row_count) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("%_cli")).order_by(AuditEntry.id))]
    assert cli == [("export_completions_cli", "cli", False, 11), ("export_funder_cli", "cli", False, 3),
                   ("export_completions_cli", "cli", True, 2)]


def test_rows_from_lti_streams_with_progress(app):
    seed(app)
    seen = []
    rows = list(queries.rows_from_lti(app.extensions["vamos"].config.database_url, platforms=[A, B],
                                      progress=seen.append, batch=3))
    assert len(rows) == 13 and seen == [(0, 13)]
    assert {r["bundesland"] for r in rows} == {"Nordrhein-Westfalen", "Berlin", "Bayern", "keine Angabe"}


# ------------------------------------------------------------------ access and tenant isolation


def coordinator_routes(app) -> list[tuple[str, str]]:
    """Every coordinator route of the app (the coordination blueprint and the certificate administration), with
    placeholder values: new routes are covered without touching this test."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not (rule.endpoint.startswith("coord.") or rule.endpoint.startswith("certs.course_")):
            continue
        values = {arg: 1 if "int" in str(rule._converters.get(arg, "")).lower() or arg.endswith("_id") else
                  "00000000-0000-0000-0000-000000000000" for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_learners_and_trainers_get_403_on_every_coordinator_route(app):
    ids = seed(app)
    routes = coordinator_routes(app)
    assert len(routes) >= 19 and ("GET", "/coordination") in routes and ("POST", "/coordination/organisations") in routes
    for role in ("learner", "trainer"):
        v = Visitor(app, MODULE, sub="x-" + role, role=role, issuer=A)
        for method, path in routes:
            r = v.get(path) if method == "GET" else v.post(path, {"name": "X", "confirm": "1", "reason": "x"})
            assert_german_refusal(r, 403, "forbidden")
    for method, path in routes:
        client = app.test_client()
        r = client.get(path) if method == "GET" else client.post(path)
        assert r.status_code == 401, (method, path)
    with app.extensions["vamos"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert s.get(Organisation, ids["verein"]) is not None


def test_a_coordinator_of_platform_b_sees_nothing_of_platform_a(app):
    ids = seed(app)
    kim_a, kim_b = coordinator(app), coordinator(app, issuer=B, sub="kim-b")
    kim_a.get("/coordination/export/completions")  # an audit entry of A
    page = kim_b.get("/coordination")
    assert page.status_code == 200 and "Brücke Süd" in page.text
    for secret in ("Verein Miteinander", "HYPERLINK"):
        assert secret not in page.text
    totals = re.search(r"<tfoot>.*?</tfoot>", page.text, re.S).group(0)
    assert re.findall(r"<td>([^<]*)</td>", totals)[:5] == ["2", "2", "2", "2", "2"]
    assert_german_refusal(kim_b.get("/coordination", platform=A), 403, "forbidden")
    assert_german_refusal(kim_b.get("/coordination/export/completions", platform=A), 403, "forbidden")
    assert_german_refusal(kim_b.get("/coordination", organisation=str(ids["verein"])), 403, "forbidden")
    rows = csv_table(kim_b.get("/coordination/export/completions"))[1:]
    shown = export_pseudonyms(app, ids)
    assert sorted(r[0] for r in rows) == sorted([shown["b0"], shown["b1"]])
    assert {r[1] for r in csv_table(kim_b.get("/coordination/export/funder"))[1:]} == {"Brücke Süd"}
    register = kim_b.get("/coordination/organisations")
    assert "Brücke Süd" in register.text and "Verein Miteinander" not in register.text
    assert kim_b.get(f"/coordination/organisations/{ids['verein']}").status_code == 404
    assert kim_b.post(f"/coordination/organisations/{ids['verein']}/delete").status_code == 404
    assert kim_b.post(f"/coordination/organisations/{ids['verein']}", {"name": "X", "type": "e.V.",
                                                                     "bundesland": "Berlin"}).status_code == 404
    assert kim_b.post("/coordination/organisations", {"name": "X", "type": "e.V.", "bundesland": "Berlin",
                                                      "platform": A}).status_code == 403
    pseudonym_a, code_a = ids["pseudonyms"]["v0"], ids["codes"]["v0"]
    assert kim_b.get("/coordination/learners", q=pseudonym_a).status_code == 404
    assert kim_b.get("/coordination/learners", q=code_a).status_code == 404
    assert kim_b.get(f"/coordination/learners/{pseudonym_a}/export.json").status_code == 404
    assert kim_b.post(f"/coordination/learners/{pseudonym_a}/erase", {"confirm": "1"}).status_code == 404
    assert A not in kim_b.get("/coordination/audit").text  # only B's own export is listed
    with app.extensions["vamos"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(ModuleProgress).where(ModuleProgress.issuer == A)) == 12
        assert s.get(Organisation, ids["verein"]).name == "Verein Miteinander e.V."

    # A grant (vamos lti grant-platform) opens platform A to this coordinator.
    from .conftest import run_cli

    class Env:
        config = app.extensions["vamos"].config

    assert run_cli(Env, "lti", "grant-platform", "--coordinator-issuer", B, "--coordinator-sub", "kim-b",
                   "--platform", A) == 0
    granted = kim_b.get("/coordination", platform=A)
    assert granted.status_code == 200 and "Verein Miteinander" in granted.text
    assert len(csv_table(kim_b.get("/coordination/export/completions"))) == 1 + 13
    assert run_cli(Env, "lti", "grant-platform", "--coordinator-issuer", B, "--coordinator-sub", "kim-b",
                   "--platform", A, "--revoke") == 0
    assert kim_b.get("/coordination", platform=A).status_code == 403


# ------------------------------------------------------------------ organisation register


def test_organisation_register_form_and_csv_import(app):
    kim = coordinator(app)
    r = kim.post("/coordination/organisations", {"name": "Kulturbrücke", "type": "Verein", "city": "Leipzig",
                                                 "bundesland": "SN"})
    assert r.status_code == 303
    bad = kim.post("/coordination/organisations", {"name": "", "type": "Club", "bundesland": "Bayernland"})
    assert bad.status_code == 400 and bad.text.count('aria-invalid="true"') == 3
    dup = kim.post("/coordination/organisations", {"name": "Kulturbrücke", "type": "Initiative",
                                                   "bundesland": "Berlin"})
    assert dup.status_code == 400 and "gibt es schon" in dup.text
    assert kim.post("/coordination/organisations", {"name": "X", "type": "e.V.", "bundesland": "Berlin"},
                    csrf="falsch").status_code == 400

    broken = "\ufeffName;Art;Ort;Bundesland\nForum Vielfalt;Initiative;Bremen;Bremen\nOhne Land;e.V.;Kiel;\n" \
             ";Verband;Mainz;RP\n"
    r = kim.client.post("/coordination/organisations/import", data={
        "ls": kim.sid, "csrf": kim.csrf, "file": (io.BytesIO(broken.encode()), "orgs.csv")})
    # German field names, never the internal ones (issue 15).
    assert r.status_code == 400 and "Zeile 3: Bundesland fehlt oder ist unbekannt" in r.text
    assert "Zeile 4: Name fehlt oder ist zu lang" in r.text and "Zeile 3: bundesland" not in r.text
    good = "\ufeffName;Art;Ort;Bundesland\nForum Vielfalt;Initiative;Bremen;Bremen\n" \
           "Kulturbrücke;e.V.;Dresden;Sachsen\n=cmd|' /C calc'!A0;Verband;Mainz;RP\n"
    r = kim.client.post("/coordination/organisations/import", data={
        "ls": kim.sid, "csrf": kim.csrf, "file": (io.BytesIO(good.encode()), "orgs.csv")})
    assert r.status_code == 200 and "2 neu, 1 aktualisiert." in r.text
    with app.extensions["vamos"].db.session() as s:
        orgs = {o.name: (o.type, o.city, o.bundesland, o.issuer) for o in s.scalars(select(Organisation))}
        org_id = s.scalar(select(Organisation.id).where(Organisation.name == "Forum Vielfalt"))
    assert orgs == {"Kulturbrücke": ("e.V.", "Dresden", "Sachsen", A),
                    "Forum Vielfalt": ("Initiative", "Bremen", "Bremen", A),
                    "=cmd|' /C calc'!A0": ("Verband", "Mainz", "Rheinland-Pfalz", A)}
    assert kim.get(f"/coordination/organisations/{org_id}").status_code == 200
    assert kim.post(f"/coordination/organisations/{org_id}", {"name": "Forum Vielfalt e.V.", "type": "e.V.",
                                                             "city": "Bremen", "bundesland": "HB"}).status_code == 303
    assert kim.post(f"/coordination/organisations/{org_id}/delete").status_code == 303
    with app.extensions["vamos"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == 2
        assert [e.action for e in s.scalars(select(AuditEntry))] == ["import_organisations"]


def _org(env, name="Verein Miteinander e.V."):
    with env.db.session() as s:
        org = Organisation(issuer=env.platform.issuer, name=name, type="e.V.", city="Köln",
                           bundesland="Nordrhein-Westfalen")
        s.add(org)
        s.flush()
        return org.id


def test_first_launch_asks_for_the_organisation_over_http(lti_env):
    env = lti_env
    org_id = _org(env)
    login = env.start_login(user="lernende")
    r = env.launch(login, allow_redirects=False)
    assert r.status_code == 303 and "/organisation?" in r.headers["Location"]
    page = login.session.get(env.tool_url + r.headers["Location"])
    assert page.status_code == 200 and "Ihre Organisation" in page.text and "keine Angabe" in page.text
    sid = re.search(r'name="ls" value="([^"]+)"', page.text).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    target = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    assert target.startswith("/module/testmodul?ls=")
    bad = login.session.post(env.tool_url + "/organisation", data={"ls": sid, "csrf": csrf, "organisation": "99999",
                                                                  "next": target})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    r = login.session.post(env.tool_url + "/organisation", data={
        "ls": sid, "csrf": csrf, "organisation": str(org_id), "next": "//evil.example/"}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/start")  # no open redirect
    with env.db.session() as s:
        link = s.scalars(select(LearnerOrganisation)).one()
        assert link.organisation_id == org_id and link.source == "learner"
    again = env.start_login(user="lernende")
    r = env.launch(again, allow_redirects=False)
    assert "/module/testmodul?" in r.headers["Location"]  # asked once
    # trainers and coordinators are never asked
    for user in ("trainer", "koordination"):
        r = env.launch(env.start_login(user=user), allow_redirects=False)
        assert "/organisation" not in r.headers["Location"]


def test_launch_claim_presets_the_organisation(lti_env):
    env = lti_env
    org_id = _org(env)
    env.platform.custom = {"organisation": "verein miteinander e.v."}
    r = env.launch(env.start_login(user="lernende"), allow_redirects=False)
    assert r.status_code == 303 and "/module/testmodul?" in r.headers["Location"]
    with env.db.session() as s:
        link = s.scalars(select(LearnerOrganisation)).one()
        assert (link.organisation_id, link.source) == (org_id, "claim")


# ------------------------------------------------------------------ DSGVO


def test_art15_access_and_art17_erasure(app):
    ids = seed(app)
    kim = coordinator(app)
    db = app.extensions["vamos"].db
    pseudonym, code = ids["pseudonyms"]["f1"], ids["codes"]["f1"]
    with db.session() as s:
        learner = s.scalars(select(Learner).where(Learner.pseudonym == pseudonym)).one()
        s.add(ScoreOutbox(registration_id=_registration(s), issuer=A, sub="f1", module_id=MODULE,
                          payload='{"userId": "f1"}'))
        s.add(LtiUser(registration_id=_registration(s), sub="f1"))
    found = kim.get("/coordination/learners", q=code.lower().replace("-", " "))
    assert found.status_code == 200 and pseudonym in found.text
    assert kim.get("/coordination/learners", q="urn:uuid:" + pseudonym).status_code == 200
    assert kim.get("/coordination/learners", q="nichts").status_code == 404

    r = kim.get(f"/coordination/learners/{pseudonym}/export.json")
    assert r.status_code == 200 and r.mimetype == "application/json" and "attachment" in r.headers["Content-Disposition"]
    data = json.loads(r.data)
    assert data["person"]["pseudonym"] == pseudonym and data["person"]["sub"] == "f1"
    assert data["person"]["organisation"]["name"] == FORMULA_ORG
    assert [p["module_id"] for p in data["module_progress"]] == [MODULE]
    assert len(data["progress_events"]) == 1 and data["progress_events"][0]["lesson_id"] == "einfuehrung"
    [cert] = data["certificates"]
    assert cert["learner_name"] == "Fritz B" and cert["verification_code"] == code and cert["pdf"]
    assert len(data["score_outbox"]) == 1 and len(data["lms_accounts"]) == 1

    assert kim.post(f"/coordination/learners/{pseudonym}/erase", {}).status_code == 400  # not confirmed
    assert kim.post(f"/coordination/learners/{pseudonym}/erase", {"confirm": "1"}, csrf="x").status_code == 400
    r = kim.post(f"/coordination/learners/{pseudonym}/erase", {"confirm": "1"})
    assert r.status_code == 303 and "geloescht=1" in r.location
    with db.session() as s:
        for model in (ModuleProgress, ProgressEvent, ScoreOutbox):
            assert s.scalar(select(func.count()).select_from(model).where(model.sub == "f1")) == 0
        assert s.scalar(select(func.count()).select_from(LtiUser).where(LtiUser.sub == "f1")) == 0
        assert s.get(LearnerOrganisation, learner.id) is None
        erased = s.get(Learner, learner.id)
        assert erased.sub.startswith("erased:") and erased.pseudonym == pseudonym
        cert_row = s.scalars(select(Certificate).where(Certificate.verification_code == code)).one()
        assert (cert_row.status, cert_row.revoked_reason) == ("revoked", dsgvo.ERASED_REASON)
        assert (cert_row.learner_name, cert_row.pdf, cert_row.credential_jwt) == ("", b"", "")
        actions = [(e.action, json.loads(e.details).get("pseudonym")) for e in s.scalars(
            select(AuditEntry).order_by(AuditEntry.id))]
    # "nichts" was searched as a name (audited without the term), then access and erasure.
    assert actions == [("dsgvo_search", None), ("dsgvo_access", pseudonym), ("dsgvo_erasure", pseudonym)]
    public = app.test_client()
    verify = public.get(f"/verify/{code}.json").get_json()
    assert verify == {"status": "revoked", "code": code}  # erased: only "widerrufen" (issue 16)
    page = public.get(f"/verify/{code}")
    assert "Widerrufenes Zertifikat" in page.text and "Fritz" not in page.text and "Testmodul" not in page.text
    assert kim.get("/coordination/learners", q=pseudonym).status_code == 404  # erased: not found any more
    assert queries.dashboard(db, filters()).total["completed"] == 8


def _registration(s) -> str:
    from lti_tool.models import Registration

    reg = s.scalars(select(Registration).where(Registration.issuer == A)).first()
    if reg is None:
        reg = Registration(issuer=A, client_id="c", auth_login_url="x", auth_token_url="x", key_set_url="x")
        s.add(reg)
        s.flush()
    return reg.id


def test_retention_pseudonymises_old_learner_data_and_keeps_the_counts(app):
    ids = seed(app)
    db = app.extensions["vamos"].db
    with db.session() as s:
        # one of the 6 certificates revoked (its name must go), one learner active recently (kept as is)
        revoked = s.scalars(select(Certificate).where(Certificate.verification_code == ids["codes"]["v1"])).one()
        revoked.status, revoked.revoked_reason, revoked.revoked_at = "revoked", "Täuschung", noon(3, 20)
        recent = s.scalars(select(Learner).where(Learner.sub == "v2")).one()
        recent.last_seen_at = datetime(2028, 6, 1)
    before = queries.dashboard(db, filters())
    assert dsgvo.retention(db, 730, now=datetime(2029, 1, 1)) == 13  # everybody but v2 (the trainer too)
    with db.session() as s:
        subs = set(s.scalars(select(ModuleProgress.sub)))
        assert "v2" in subs and all(sub == "v2" or sub.startswith("anon:") for sub in subs)
        assert all(k.startswith("anon:") for k in s.scalars(select(ProgressEvent.idempotency_key).where(
            ProgressEvent.sub != "v2")))
        names = dict(s.execute(select(Certificate.verification_code, Certificate.learner_name)).all())
    assert names[ids["codes"]["v1"]] == "" and names[ids["codes"]["v0"]] == "Vera A"  # valid ones keep the name
    after = queries.dashboard(db, filters())
    assert after.total == before.total and after.organisations == before.organisations
    assert dsgvo.retention(db, 730, now=datetime(2029, 1, 1)) == 0  # done once
    assert dsgvo.retention(db, 1, now=datetime(2029, 1, 1)) == 1  # v2 now too


def test_retention_command(app):
    seed(app)
    from .conftest import run_cli

    class Env:
        config = app.extensions["vamos"].config

    assert run_cli(Env, "lti", "retention", "--days", "3650") == 0  # the fixture is younger: nothing
    with app.extensions["vamos"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(Learner).where(Learner.sub.startswith("anon:"))) == 0
    with mock.patch.dict(os.environ, {"VAMOS_RETENTION_DAYS": "30"}):
        assert run_cli(Env, "lti", "retention") == 0  # 2026-03/04 are older than 30 days on 2026-11-21 and later
    with app.extensions["vamos"].db.session() as s:
        assert s.scalar(select(func.count()).select_from(Learner).where(Learner.sub.startswith("anon:"))) == 14
        entries = [(e.action, e.row_count, e.actor) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [("retention", 0, "cli"), ("retention", 14, "cli")]


# ------------------------------------------------------------------ DSGVO search by name and e-mail (issue 15)


def test_dsgvo_search_by_name_and_email_coordinator_only_and_audited(lti_env):
    from .test_advantage import launch_as

    learner, lsid, _ = launch_as(lti_env, "lernende")
    with lti_env.db.session() as s:
        pseudonym = s.scalar(select(Learner.pseudonym).where(Learner.sub == "lernende"))
    kim, ksid, _ = launch_as(lti_env, "koordination")
    url = f"{lti_env.tool_url}/coordination/learners"
    # The e-mail address and the name as the platform's roster (NRPS) gives them, case and spaces ignored.
    for term in ("lernende@demo.example", "  LEA   lernende "):
        page = kim.get(url, params={"ls": ksid, "q": term})
        assert page.status_code == 200 and f"Person {pseudonym}" in page.text, term
    assert kim.get(url, params={"ls": ksid, "q": "Lea"}).status_code == 404  # only whole names
    with lti_env.db.session() as s:
        searches = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "dsgvo_search")
                                  .order_by(AuditEntry.id)))
    assert [e.row_count for e in searches] == [1, 1, 0]
    assert all("lernende" not in e.details.lower() and "lea" not in e.details.lower() for e in searches)
    # Trainers and learners cannot search.
    trainer, tsid, _ = launch_as(lti_env, "trainer")
    assert trainer.get(url, params={"ls": tsid, "q": "lernende@demo.example"}).status_code == 403
    assert learner.get(url, params={"ls": lsid, "q": "lernende@demo.example"}).status_code == 403


def test_dsgvo_search_finds_the_name_printed_on_a_certificate(app):
    ids = seed(app)
    kim = coordinator(app)
    page = kim.get("/coordination/learners", q="vera a")
    assert page.status_code == 200 and ids["pseudonyms"]["v0"] in page.get_data(as_text=True)
