"""Reports from an Open edX instance, against a real local HTTP server that answers with recorded responses.

The server (``FakeLms``) checks the JWT header, pages lists like DRF's cursor paging and can be told to fail:
HTTP 500, 429 with Retry-After, 503, a slow answer (client timeout), a 401 once (token refresh), a ``next`` link to
another origin. The known answers below were worked out by hand from the fixtures.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import logging
import threading
import time
from collections import Counter
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import openpyxl
import pytest

from vamos_cli.cli import main
from vamos_cli.report_commands import TerminalProgress
from vamos_core.openedx_api import (
    CourseProgress, OpenEdxClient, OpenEdxError, certificate_code, module_from_course_key, rows_from_openedx,
)
from vamos_core.report_rows import Pseudonymiser, funder_rows, load_organisations

FIXTURES = Path(__file__).parent / "fixtures" / "openedx"
FIN = "course-v1:VAMOs+finanzierung+selfpaced"
PM = "course-v1:VAMOs+projektmanagement+selfpaced"
CLIENT_ID = "vamos-reports"
SECRET = "s3cr3t-Do-Not-Print-7f9c2a"
KEY = b"0123456789abcdef-test-pseudonym-key"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeLms:
    """A tiny LMS: recorded answers, real sockets, failure injection, a log of every request."""

    def __init__(self):
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, authorization)
        self.failures: list[tuple[str, str, dict]] = []  # (path prefix, kind, options) — each used once
        self.tokens_issued: list[str] = []
        self.token_requests: list[dict] = []
        self.fixtures = {name: fixture(f"{name}.json") for name in
                         ("token", "courses", "enrollments", "grades", "certificates", "blocks")}
        self.next_override: dict[str, str] = {}  # path → absolute next URL (e.g. another origin)
        self.relative_next = False
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                lms.handle(self, "GET")

            def do_POST(self):
                lms.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def fail(self, prefix: str, kind: str, **options):
        self.failures.append((prefix, kind, options))

    # -- request handling ---------------------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str):
        parts = urlsplit(request.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        authorization = request.headers.get("Authorization")
        self.requests.append((method, path, authorization))
        for index, (prefix, kind, options) in enumerate(self.failures):
            if path.startswith(prefix):
                del self.failures[index]
                if kind == "timeout":
                    time.sleep(options.get("seconds", 1.0))
                    return self.send(request, 200, {"late": True})
                if kind == "401":
                    return self.send(request, 401, {"detail": "Invalid token."})
                headers = {"Retry-After": options["retry_after"]} if "retry_after" in options else {}
                return self.send(request, int(kind), {"detail": "failure injected"}, headers)
        if method == "POST" and path == "/oauth2/access_token":
            length = int(request.headers.get("Content-Length", 0))
            form = {k: v[-1] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
            self.token_requests.append(form)
            if (form.get("grant_type"), form.get("client_id"), form.get("client_secret"), form.get("token_type")) != (
                    "client_credentials", CLIENT_ID, SECRET, "jwt"):
                return self.send(request, 401, {"error": "invalid_client"})
            token = dict(self.fixtures["token"])
            token["access_token"] += f".{len(self.tokens_issued) + 1}"
            self.tokens_issued.append(token["access_token"])
            return self.send(request, 200, token)
        if method != "GET":
            return self.send(request, 405, {"detail": "Method not allowed."})
        if not authorization or not authorization.startswith("JWT ") or authorization[4:] not in self.tokens_issued:
            return self.send(request, 401, {"detail": "Authentication credentials were not provided."})
        if path == "/api/courses/v1/courses/":
            return self.page_number(request, path, query, self.fixtures["courses"]["results"])
        if path == "/api/enrollment/v1/enrollments":
            return self.cursor(request, path, query, self.fixtures["enrollments"].get(query.get("course_id"), []), 100)
        if path.startswith("/api/grades/v1/courses/"):
            course_id = path[len("/api/grades/v1/courses/"):].rstrip("/")
            if course_id not in self.fixtures["grades"]:
                return self.send(request, 404, {"error_code": "course_does_not_exist"})
            return self.cursor(request, path, query, self.fixtures["grades"][course_id], 50)
        if path.startswith("/api/certificates/v0/certificates/"):
            username, _, course_id = path[len("/api/certificates/v0/certificates/"):].rstrip("/").partition("/courses/")
            cert = self.fixtures["certificates"].get(f"{username}|{course_id}")
            if cert is None:
                return self.send(request, 404, {"error_code": "no_certificate_for_user"})
            return self.send(request, 200, cert)
        if path == "/api/courses/v1/blocks/":
            return self.blocks(request, query)
        return self.send(request, 404, {"detail": "Not found."})

    def cursor(self, request, path, query, items, default_size):
        size = int(query.get("page_size", default_size))
        offset = 0
        if "cursor" in query:
            offset = int(base64.b64decode(query["cursor"]).decode().split("=")[1])
        page = items[offset:offset + size]
        next_url = None
        if offset + size < len(items):
            cursor = base64.b64encode(f"p={offset + size}".encode()).decode()
            rest = urlencode({k: v for k, v in query.items() if k != "cursor"})
            origin = "" if self.relative_next else self.base
            next_url = self.next_override.get(path) or f"{origin}{path}?cursor={cursor}&{rest}"
        return self.send(request, 200, {"next": next_url, "previous": None, "results": page})

    def page_number(self, request, path, query, items):
        size = 2  # small pages so the namespaced `pagination.next` is followed
        number = int(query.get("page", 1))
        page = [{k: (v.replace("{base}", self.base) if isinstance(v, str) else v) for k, v in c.items()}
                for c in items[(number - 1) * size:number * size]]
        more = number * size < len(items)
        org = query.get("org")
        next_url = f"{self.base}{path}?{urlencode({'org': org, 'page': number + 1})}" if more else None
        return self.send(request, 200, {"results": [c for c in page if not org or c["org"].lower() == org.lower()],
                                        "pagination": {"next": next_url,
                                                       "previous": None, "count": len(items),
                                                       "num_pages": -(-len(items) // size)}})

    def blocks(self, request, query):
        course = self.fixtures["blocks"].get(query.get("course_id"))
        if course is None:
            return self.send(request, 404, {"detail": "Not found."})
        done = self.fixtures["blocks"]["lessons_done"].get(f"{query.get('username')}|{query['course_id']}", 0)
        wanted = set(query.get("block_types_filter", "").split(",")) - {""}
        out, lessons = {}, 0
        for block_id, block in course["blocks"].items():
            block = dict(block)
            if "completion" in query.get("requested_fields", ""):
                if block["type"] == "vamos_lesson":
                    lessons += 1
                    block["completion"] = 1.0 if lessons <= done else 0.0
                else:
                    block["completion"] = None if block["type"] in ("course", "vamos_module") else 0.0
            if not wanted or block["type"] in wanted:
                out[block_id] = block
        return self.send(request, 200, {"root": course["root"], "blocks": out})

    @staticmethod
    def send(request, status, body, headers=None):
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


@pytest.fixture
def lms():
    server = FakeLms()
    yield server
    server.close()


def make_client(lms: FakeLms, **kwargs) -> OpenEdxClient:
    kwargs.setdefault("backoff", 0.001)
    kwargs.setdefault("page_size", 3)
    kwargs.setdefault("timeout", (2.0, 2.0))
    return OpenEdxClient(lms.base, CLIENT_ID, SECRET, **kwargs)


def pseudonym(username: str) -> str:
    return "p-" + hmac.new(KEY, username.encode(), hashlib.sha256).hexdigest()[:16]


ORGANISATIONS = "username;organisation;bundesland\nalice;Brücke e. V.;Berlin\nbob;Brücke e. V.;Berlin\n" \
                "carol;Brücke e. V.;Berlin\ndave;Brücke e. V.;Berlin\nerin;Brücke e. V.;Berlin\n" \
                "frank;=Kulturforum;Hamburg\n"

# The known answer: times in Europe/Berlin (CET in winter, CEST from 29 March 2026).
EXPECTED = [
    # learner, organisation, module, started_at, done, total, score, completed_at, code
    ("alice", "Brücke e. V.", "finanzierung", datetime(2026, 3, 1, 10, 5, 12, 123456), 7, 7, 85.0, date(2026, 3, 9),
     "0d1b6c2f7e3a4b5c8d9e0f1a2b3c4d5e"),
    ("bob", "Brücke e. V.", "finanzierung", datetime(2026, 3, 2, 11, 0), 3, 7, 40.0, None, None),
    ("carol", "Brücke e. V.", "finanzierung", datetime(2026, 3, 3, 12, 30, 0, 500000), 7, 7, 90.0, date(2026, 4, 2),
     "1a2b3c4d5e6f40718293a4b5c6d7e8f9"),
    ("dave", "Brücke e. V.", "finanzierung", datetime(2026, 3, 4, 9, 0), 0, 7, 0.0, None, None),
    ("erin", "Brücke e. V.", "finanzierung", datetime(2026, 3, 5, 17, 45), 7, 7, 95.0, date(2026, 3, 20),
     "2b3c4d5e6f7a4b8c9d0e1f2a3b4c5d6e"),
    ("frank", "=Kulturforum", "finanzierung", datetime(2026, 2, 28, 0, 30), 1, 7, 25.0, None, None),
    ("ida", "", "finanzierung", datetime(2026, 7, 1, 14, 0), 0, 7, 0.0, None, None),
    ("alice", "Brücke e. V.", "projektmanagement", datetime(2026, 4, 10, 9, 0), 2, 7, 50.0, None, None),
    ("heinz", "", "projektmanagement", datetime(2026, 4, 11, 9, 0), 7, 7, 100.0, date(2026, 4, 15),
     "3c4d5e6f7a8b4c9d0e1f2a3b4c5d6e7f"),
]


def collect(lms, tmp_path, **kwargs):
    from zoneinfo import ZoneInfo
    mapping = tmp_path / "orgs.csv"
    mapping.write_text(ORGANISATIONS, encoding="utf-8")
    client = kwargs.pop("client", None) or make_client(lms)
    kwargs.setdefault("course_ids", [FIN, PM])
    return list(rows_from_openedx(client, learner_label=Pseudonymiser(KEY), organisations=load_organisations(mapping),
                                  tz=ZoneInfo("Europe/Berlin"), **kwargs))


def as_tuples(rows):
    return [(r["learner"], r["organisation"], r["module"], r["started_at"], r["lessons_done"], r["lessons_total"],
             r["quiz_score"], r["completed_at"], r["certificate_code"]) for r in rows]


# -- the full report --------------------------------------------------------------------------------------------------

def test_full_report_equals_known_answer(lms, tmp_path):
    rows = collect(lms, tmp_path)
    expected = [(pseudonym(u), *rest) for u, *rest in EXPECTED]
    assert as_tuples(rows) == expected
    assert len(rows) == 9  # grace (unenrolled) is left out
    assert pseudonym("alice") == "p-" + hmac.new(KEY, b"alice", hashlib.sha256).hexdigest()[:16]
    assert rows[0]["learner"] == rows[7]["learner"]  # one learner, two modules, one pseudonym
    assert rows[0]["bundesland"] == "Berlin" and rows[8]["bundesland"] == ""
    # every API request carried the JWT of the token endpoint; the token was fetched once and reused
    assert len(lms.tokens_issued) == 1
    assert all(auth == f"JWT {lms.tokens_issued[0]}" for method, path, auth in lms.requests if method == "GET")
    # enrollments: 8 in finanzierung at page_size 3 → 3 pages, following `next`
    assert sum(1 for m, p, a in lms.requests if p == "/api/enrollment/v1/enrollments") == 3 + 1


def test_pseudonyms_are_stable_and_differ_by_key(lms, tmp_path):
    first = [r["learner"] for r in collect(lms, tmp_path)]
    second = [r["learner"] for r in collect(lms, tmp_path)]
    assert first == second
    other = Pseudonymiser(b"another-key-with-16+bytes")
    assert other("alice") != pseudonym("alice") and len(pseudonym("alice")) == 18


def test_courses_discovered_by_org_and_module_filter(lms, tmp_path):
    rows = collect(lms, tmp_path, course_ids=None, modules=["projektmanagement"])
    assert [r["module"] for r in rows] == ["projektmanagement", "projektmanagement"]
    listing = [p for m, p, a in lms.requests if p == "/api/courses/v1/courses/"]
    assert len(listing) == 2  # followed pagination.next
    assert not any("DemoX" in p for m, p, a in lms.requests)  # the edX demo course is not a VAMOs course


def test_period_filter_on_start_or_completion(lms, tmp_path):
    rows = collect(lms, tmp_path, since=date(2026, 3, 6), until=date(2026, 4, 30))
    # carol, erin and alice started before the period but completed inside; bob and dave did neither; ida is later
    names = {(r["learner"], r["module"]) for r in rows}
    assert names == {(pseudonym("alice"), "finanzierung"), (pseudonym("carol"), "finanzierung"),
                     (pseudonym("erin"), "finanzierung"),
                     (pseudonym("alice"), "projektmanagement"), (pseudonym("heinz"), "projektmanagement")}


def test_module_from_course_key_and_certificate_code():
    assert module_from_course_key(FIN) == "finanzierung"
    assert module_from_course_key("course-v1:edX+DemoX+Demo_Course", "VAMOs") is None
    assert module_from_course_key("edX/DemoX/Demo_Course") is None
    assert certificate_code({"download_url": "/certificates/abc123"}) == "abc123"
    assert certificate_code({"download_url": None}) == ""


# -- robustness ------------------------------------------------------------------------------------------------------

def test_retries_on_429_503_and_timeout_then_succeed(lms, tmp_path):
    sleeps: list[float] = []
    client = make_client(lms, sleep=sleeps.append, timeout=(1.0, 0.3))
    lms.fail("/api/grades/v1/courses/", "429", retry_after="2")
    lms.fail("/api/enrollment/v1/enrollments", "503")
    lms.fail("/api/courses/v1/blocks/", "timeout", seconds=1.0)
    lms.fail("/api/certificates/", "502")
    rows = collect(lms, tmp_path, client=client)
    assert as_tuples(rows) == [(pseudonym(u), *rest) for u, *rest in EXPECTED]
    assert len(sleeps) == 4
    assert 2.0 <= sleeps[0] <= 2.1  # Retry-After respected (seconds form)
    assert all(0 < s < 0.01 for s in sleeps[1:])  # exponential backoff from 1 ms with jitter


def test_backoff_grows_and_gives_up_with_a_clear_error(lms):
    sleeps: list[float] = []
    client = make_client(lms, sleep=sleeps.append, max_attempts=4, backoff=0.1)
    for _ in range(4):
        lms.fail("/api/grades/", "503")
    with pytest.raises(OpenEdxError, match=r"grades of course-v1:VAMOs\+finanzierung\+selfpaced: HTTP 503, gave up "
                                           r"after 4 attempts"):
        list(client.course_grades(FIN))
    assert len(sleeps) == 3
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2 and 0.2 <= sleeps[2] <= 0.4


def test_server_error_500_is_not_retried_and_reported(lms):
    client = make_client(lms, sleep=lambda s: pytest.fail("no retry on 500"))
    lms.fail("/api/enrollment/", "500")
    with pytest.raises(OpenEdxError, match="enrollments of .*: HTTP 500"):
        list(client.course_enrollments(FIN))


def test_connection_refused_gives_up_after_bounded_attempts():
    sleeps: list[float] = []
    client = OpenEdxClient("http://127.0.0.1:9", CLIENT_ID, SECRET, max_attempts=3, backoff=0.001, sleep=sleeps.append)
    with pytest.raises(OpenEdxError, match="token request: connection error, gave up after 3 attempts"):
        list(client.course_grades(FIN))
    assert len(sleeps) == 2


def test_401_once_forces_one_token_refresh(lms):
    client = make_client(lms)
    assert len(list(client.course_grades(FIN))) == 7
    lms.fail("/api/grades/", "401")
    assert len(list(client.course_grades(FIN))) == 7
    assert len(lms.tokens_issued) == 2
    grade_auth = [a for m, p, a in lms.requests if p.startswith("/api/grades/")]
    assert grade_auth[-1] == f"JWT {lms.tokens_issued[1]}"


def test_401_twice_is_an_error_not_a_loop(lms):
    client = make_client(lms)
    lms.fail("/api/grades/", "401")
    lms.fail("/api/grades/", "401")
    with pytest.raises(OpenEdxError, match="not authorised"):
        list(client.course_grades(FIN))
    assert len(lms.tokens_issued) == 2


def test_token_is_cached_until_shortly_before_expiry(lms):
    now = [1000.0]
    client = make_client(lms, clock=lambda: now[0])
    list(client.course_grades(FIN))
    now[0] += 3500  # expires_in 3600, renewed 60 s early
    list(client.course_grades(FIN))
    assert len(lms.tokens_issued) == 1
    now[0] += 50
    list(client.course_grades(FIN))
    assert len(lms.tokens_issued) == 2


def test_wrong_secret_is_refused_without_echoing_it(lms):
    client = OpenEdxClient(lms.base, CLIENT_ID, "wrong-secret-value", backoff=0.001)
    with pytest.raises(OpenEdxError) as info:
        list(client.course_grades(FIN))
    assert "HTTP 401: invalid_client" in str(info.value) and "wrong-secret-value" not in str(info.value)
    assert "wrong-secret-value" not in repr(client)


def test_next_link_to_another_origin_is_refused(lms):
    trap = FakeLms()  # another origin (other port): must never see a request, let alone the token
    try:
        lms.next_override["/api/enrollment/v1/enrollments"] = f"{trap.base}/api/enrollment/v1/enrollments?cursor=x"
        client = make_client(lms)
        with pytest.raises(OpenEdxError, match="refusing to send the access token to another origin"):
            list(client.course_enrollments(FIN))
        assert trap.requests == []
        lms.next_override["/api/enrollment/v1/enrollments"] = "https://evil.example/steal?cursor=x"
        with pytest.raises(OpenEdxError, match="another origin"):
            list(client.course_enrollments(FIN))
    finally:
        trap.close()


def test_relative_next_link_on_same_origin_is_followed(lms):
    lms.relative_next = True
    client = make_client(lms, page_size=2)
    assert [g["username"] for g in client.course_grades(FIN)] == ["alice", "bob", "carol", "dave", "erin", "frank", "ida"]
    assert sum(1 for m, p, a in lms.requests if p.startswith("/api/grades/")) == 4


def test_base_url_validation():
    with pytest.raises(ValueError):
        OpenEdxClient("ftp://lms.example.org", CLIENT_ID, SECRET)
    with pytest.raises(ValueError):
        OpenEdxClient("https://user:pw@lms.example.org", CLIENT_ID, SECRET)


# -- funder aggregation ----------------------------------------------------------------------------------------------

def test_funder_counts_and_suppression(lms, tmp_path):
    rows = collect(lms, tmp_path)
    raw = list(funder_rows(rows, suppress=False))
    key = lambda r: (r["module"], r["organisation"], r["bundesland"], r["month"])  # noqa: E731
    counts = {key(r): (r["started"], r["completed"], r["certificates"]) for r in raw}
    assert counts == {
        ("finanzierung", "Brücke e. V.", "Berlin", "2026-03"): (5, 2, 2),
        ("finanzierung", "Brücke e. V.", "Berlin", "2026-04"): (0, 1, 1),
        ("finanzierung", "=Kulturforum", "Hamburg", "2026-02"): (1, 0, 0),
        ("finanzierung", "", "", "2026-07"): (1, 0, 0),
        ("projektmanagement", "Brücke e. V.", "Berlin", "2026-04"): (1, 0, 0),
        ("projektmanagement", "", "", "2026-04"): (1, 1, 1),
    }
    shown = {key(r): (r["started"], r["completed"], r["certificates"]) for r in funder_rows(rows)}
    assert shown[("finanzierung", "Brücke e. V.", "Berlin", "2026-03")] == (5, "<5", "<5")
    assert shown[("finanzierung", "Brücke e. V.", "Berlin", "2026-04")] == (0, "<5", "<5")
    assert shown[("projektmanagement", "", "", "2026-04")] == ("<5", "<5", "<5")
    in_march = {key(r) for r in funder_rows(rows, since=date(2026, 3, 1), until=date(2026, 3, 31))}
    assert in_march == {("finanzierung", "Brücke e. V.", "Berlin", "2026-03")}


def test_organisation_mapping_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("alice;A;Berlin\nalice;B;Bremen\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv:2: username 'alice' appears twice"):
        load_organisations(bad)
    comma = tmp_path / "comma.csv"
    comma.write_text("\ufeffusername,organisation,bundesland\nbob,Verein,Sachsen\n", encoding="utf-8")
    assert load_organisations(comma) == {"bob": ("Verein", "Sachsen")}


# -- CLI end to end --------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VAMOS_OPENEDX_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("VAMOS_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.delenv("VAMOS_REPORT_ALLOW_NAMES", raising=False)
    mapping = tmp_path / "orgs.csv"
    mapping.write_text(ORGANISATIONS, encoding="utf-8")
    return mapping


def run(lms, kind, out, *extra):
    return main(["report", kind, "--from-openedx", lms.base, "--client-id", CLIENT_ID, "--backoff", "0.001",
                 "--course", FIN, "--course", PM, "-o", str(out), *extra])


def test_cli_completions_csv_semicolon_with_bom(lms, tmp_path, cli_env, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    lms.fail("/api/grades/", "429", retry_after="0")
    lms.fail("/api/courses/v1/blocks/", "401")
    out = tmp_path / "abschluesse.csv"
    assert run(lms, "completions", out, "--delimiter", ";", "--organisations", str(cli_env)) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    # pseudonymised: dates to the day and whether there is a certificate, not its code (issue 16)
    assert table[0] == ["Lernende*r", "Organisation", "Modul", "Begonnen am", "Lektionen abgeschlossen",
                        "Lektionen gesamt", "Quiz-Ergebnis (%)", "Abgeschlossen am", "Zertifikat"]
    assert len(table) == 10
    # Dates to the day and "ja" instead of the certificate code (issue 16); with ';' (German Excel) decimals get
    # a comma (issue 15).
    assert table[1] == [pseudonym("alice"), "Brücke e. V.", "finanzierung", "2026-03-01", "7", "7", "85,0",
                        "2026-03-09", "ja"]
    assert "0d1b6c2f7e3a4b5c8d9e0f1a2b3c4d5e" not in raw.decode("utf-8-sig")
    assert table[6][1] == "'=Kulturforum"  # formula neutralised
    captured = capsys.readouterr()
    assert "ok completions: 9 rows" in captured.out
    assert "\r[" not in captured.err  # no progress bar when stderr is not a terminal
    everything = captured.out + captured.err + caplog.text + raw.decode("utf-8-sig")
    assert SECRET not in everything
    assert not any(token in everything for token in lms.tokens_issued)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("vamos"))
    assert "HTTP 429" in ours and "alice" not in ours  # our logs name endpoints, never learners
    assert len(lms.tokens_issued) == 2  # refreshed once after the injected 401
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_cli_funder_xlsx_opens_with_openpyxl(lms, tmp_path, cli_env, capsys):
    out = tmp_path / "foerderbericht.xlsx"
    assert run(lms, "funder", out, "--organisations", str(cli_env)) == 0
    sheet = openpyxl.load_workbook(out).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Modul", "Organisation", "Bundesland", "Monat", "Begonnen", "Abgeschlossen", "Zertifikate"]
    assert ["finanzierung", "Brücke e. V.", "Berlin", "2026-03", 5, "<5", "<5"] in values
    assert ["finanzierung", "Brücke e. V.", "Berlin", "2026-04", 0, "<5", "<5"] in values
    assert len(values) == 7
    assert "ok funder: 6 rows" in capsys.readouterr().out


def test_cli_completions_xlsx_has_dates(lms, tmp_path, cli_env):
    out = tmp_path / "abschluesse.xlsx"
    assert run(lms, "completions", out, "--module", "projektmanagement") == 0
    values = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(values) == 3
    assert values[2][0] == pseudonym("heinz") and values[2][3] == datetime(2026, 4, 11)  # to the day
    assert values[2][6] == 100 and values[2][7] == datetime(2026, 4, 15)


def test_cli_with_names_needs_permission(lms, tmp_path, cli_env, monkeypatch, capsys):
    out = tmp_path / "namen.csv"
    assert run(lms, "completions", out, "--with-names") == 2
    assert "VAMOS_REPORT_ALLOW_NAMES=1" in capsys.readouterr().err and not out.exists()
    monkeypatch.setenv("VAMOS_REPORT_ALLOW_NAMES", "1")
    assert run(lms, "completions", out, "--with-names") == 0
    assert "\nalice,,finanzierung," in out.read_text(encoding="utf-8-sig")


def test_cli_without_source_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VAMOS_DATABASE_URL", raising=False)  # else the LTI tool's database is the source
    assert main(["report", "completions", "-o", str(tmp_path / "x.csv")]) == 2
    assert "use --from-lti" in capsys.readouterr().err
    assert main(["report", "completions", "--from-lti", "-o", str(tmp_path / "x.csv")]) == 2
    assert "VAMOS_DATABASE_URL" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_missing_secret_and_random_key_warning(lms, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("VAMOS_OPENEDX_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("VAMOS_PSEUDONYM_KEY", raising=False)
    out = tmp_path / "r.csv"
    assert run(lms, "completions", out) == 2
    assert "VAMOS_OPENEDX_CLIENT_SECRET" in capsys.readouterr().err
    assert run(lms, "completions", out, "--client-secret", SECRET) == 0
    captured = capsys.readouterr()
    assert "random key for this run only" in captured.err and SECRET not in captured.out + captured.err


def test_cli_api_failure_exits_1_and_leaves_no_file(lms, tmp_path, cli_env, capsys):
    out = tmp_path / "r.csv"
    lms.fail("/api/enrollment/", "500")
    assert run(lms, "completions", out) == 1
    err = capsys.readouterr().err
    assert "error: enrollments of course-v1:VAMOs+finanzierung+selfpaced: HTTP 500" in err
    assert list(tmp_path.iterdir()) == [cli_env]  # neither the report nor a temporary file


def test_progress_bar_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = TerminalProgress(stream, interval=0)
        bar(CourseProgress(1, 2, FIN, 0))
        bar(CourseProgress(2, 2, PM, 5))
        bar.finish()
    assert "Kurs 2/2 " + PM + " · 5 Lernende" in tty.getvalue() and tty.getvalue().startswith("\r[")
    assert pipe.getvalue() == ""


def test_request_counts_are_bounded_per_learner(lms, tmp_path):
    collect(lms, tmp_path)
    kinds = Counter(p.split("/")[2] + "/" + p.split("/")[3] for m, p, a in lms.requests if m == "GET")
    # 9 reported learners: one blocks and one certificate request each (grace: none); lists are paged
    assert kinds["courses/v1"] == 9 and kinds["certificates/v0"] == 9
