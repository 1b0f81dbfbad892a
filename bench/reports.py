"""Benchmark: the LTI tool's completion export of 1,000,000 progress rows on PostgreSQL to CSV and XLSX — wall
time and peak memory.

Data: a schema of its own (``vamos_bench_reports_<hex>``) migrated with the LTI tool's Alembic migrations and
filled with set-based SQL (``INSERT … SELECT … FROM generate_series``): ``--rows`` rows of ``module_progress``
over the four modules of the catalogue for one platform issuer, their ``learners`` (random pseudonyms, one to
four modules each), 200 ``organisations`` (one named ``=Formel? e.V.``, so formula neutralisation applies) with a
``learner_organisations`` row for most learners (some "keine Angabe", some never asked), plausible
enrolled/started/completed/passed times, lesson lists as the tool writes them (JSON), quiz scores, and a valid
certificate for every completed row (a few with a revoked predecessor). Certificate PDFs and credentials are
short placeholders: the export does not read them.

Measured: each export runs in a fresh child process exactly like ``vamos report completions --from-lti``:
``lti_tool.reports.rows_from_lti`` (the completion query, streamed from a server-side cursor, with the row count
the CLI's progress display asks for) into ``vamos_core.reports.write_csv`` / ``write_xlsx`` with
``COMPLETION_COLUMNS`` (sheet "Abschlüsse"). The child reports its wall time (first query to closed file), its
own CPU time (PostgreSQL's is not in it) and its peak resident memory (``ru_maxrss``).

    .venv/bin/python bench/reports.py [--json] [--rows 1000000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ISSUER, PG_BASE_URL, QUICK, _psycopg_url, log, median_of, postgres_available  # noqa: E402

MODULES = ("finanzierung", "fuehrung-im-ehrenamt", "kommunikation-im-verband", "projektmanagement")
ORGANISATIONS = 200
# Learner k works on 1 + (3k mod 4) modules: 4, 3, 2, 1, 4, … — 2.5 on average.
LEARNERS_PER_ROW = 0.4

# Per row of module_progress a state bucket b = hash % 100: < 8 enrolled only (link opened, nothing done),
# < 62 in progress (some lessons, maybe a failed quiz), else completed (every lesson, quiz passed).
GENERATE = [
    # Organisations of the platform's register (one name starts with "=": the writers must neutralise it).
    """INSERT INTO organisations (issuer, name, type, city, bundesland, created_at, updated_at)
    SELECT %(issuer)s,
      CASE WHEN o = 1 THEN '=Formel? e.V.'
        ELSE (ARRAY['Verein Miteinander','Forum Vielfalt','Brücke Nord','Kulturhaus Süd','Nachbarschaftshilfe',
                    'Sportfreunde','Tafel','Jugendwerk'])[1 + o %% 8] || ' ' || o
          || (ARRAY[' e.V.', '', ' Verband'])[1 + o %% 3] END,
      (ARRAY['e.V.','Initiative','Verband'])[1 + o %% 3],
      (ARRAY['Berlin','Hamburg','München','Köln','Leipzig','Dresden','Kiel','Mainz'])[1 + o %% 8],
      (%(laender)s::text[])[1 + o %% 16],
      timestamp '2025-10-01' + o * interval '1 hour', timestamp '2025-10-01' + o * interval '1 hour'
    FROM generate_series(1, %(organisations)s) AS o""",
    # Learners: a random pseudonym each, the LMS's opaque sub.
    """INSERT INTO learners (id, issuer, sub, pseudonym, created_at, role, last_seen_at)
    SELECT k, %(issuer)s, md5('sub' || k)::uuid::text, gen_random_uuid()::text,
      timestamp '2026-01-05 07:00' + (k %% 300000) * interval '83 seconds',
      'learner', timestamp '2026-06-01 07:00' + (k %% 300000) * interval '37 seconds'
    FROM generate_series(1, %(learners)s) AS k""",
    # Most learners chose an organisation; some said "keine Angabe" (NULL), every tenth was never asked.
    """INSERT INTO learner_organisations (learner_id, organisation_id, source, chosen_at)
    SELECT l.id, CASE WHEN l.id %% 31 = 0 THEN NULL
                      WHEN l.id %% 100 = 1 THEN (SELECT min(id) FROM organisations)  -- "=Formel? e.V."
                      ELSE (SELECT min(id) FROM organisations) + (hashint4(l.id) & 2147483647) %% %(organisations)s END,
      CASE WHEN l.id %% 7 = 0 THEN 'claim' ELSE 'learner' END, l.created_at
    FROM learners l WHERE l.id %% 10 <> 0""",
    # Progress: learner k has 1 + (3k mod 4) modules, from a module chosen by a hash of k on; rows are inserted in
    # the order of their enrolment, so ids interleave learners as in production.
    """WITH m(idx, module_id, lessons) AS (VALUES (0, %(m0)s, %(l0)s::text[]), (1, %(m1)s, %(l1)s::text[]),
                                                 (2, %(m2)s, %(l2)s::text[]), (3, %(m3)s, %(l3)s::text[])),
    pick AS (
      SELECT l.id AS k, l.sub, j, ((hashint4(l.id) & 2147483647) + j) %% 4 AS idx,
        (hashint4(l.id * 4 + j) & 2147483647) AS h,
        timestamp '2026-01-05 07:00' + (l.id %% 300000) * interval '83 seconds' + j * interval '9 days' AS enrolled
      FROM learners l CROSS JOIN LATERAL generate_series(0, (3 * l.id) %% 4) AS j
      ORDER BY l.id, j LIMIT %(rows)s),
    state AS (
      SELECT p.*, m.module_id, m.lessons, cardinality(m.lessons) AS n, p.h %% 100 AS b,
        CASE WHEN p.h %% 100 < 8 THEN 0
             WHEN p.h %% 100 < 62 THEN 1 + (p.h / 100) %% (cardinality(m.lessons) - 1)
             ELSE cardinality(m.lessons) END AS d,
        (p.h / 1000) %% 3 AS attempts_if_any,
        p.enrolled + ((p.h / 7) %% 180) * interval '1 minute' AS started,
        p.enrolled + ((p.h / 11) %% 60 + 1) * interval '1 day' + ((p.h / 13) %% 600) * interval '1 minute' AS done_at
      FROM pick p JOIN m ON m.idx = p.idx)
    INSERT INTO module_progress (issuer, sub, module_id, lessons_viewed, lessons_done, quiz_attempts, quiz_score,
      passed, completed, percent, last_lesson_id, last_position, content_version, completed_at, updated_at,
      enrolled_at, started_at, passed_at)
    SELECT %(issuer)s, s.sub, s.module_id,
      CASE WHEN s.b < 8 THEN '[]'
           ELSE '["' || array_to_string(s.lessons[1:least(s.d + 1, s.n)], '", "') || '"]' END,
      CASE WHEN s.d = 0 THEN '[]' ELSE '["' || array_to_string(s.lessons[1:s.d], '", "') || '"]' END,
      CASE WHEN s.b >= 62 THEN 1 + s.attempts_if_any WHEN s.b >= 40 THEN s.attempts_if_any ELSE 0 END,
      CASE WHEN s.b >= 62 THEN 70 + (s.h / 17) %% 31
           WHEN s.b >= 40 AND s.attempts_if_any > 0 THEN 20 + (s.h / 17) %% 50 END,
      s.b >= 62, s.b >= 62,
      CASE WHEN s.b >= 62 THEN 100 ELSE (100 * s.d) / (s.n + 1) END,
      CASE WHEN s.b >= 8 THEN s.lessons[least(s.d + 1, s.n)] END,
      CASE WHEN s.b >= 8 THEN ((s.h / 19) %% 100) / 100.0 END,
      '1.0.0',
      CASE WHEN s.b >= 62 THEN s.done_at END,
      CASE WHEN s.b < 8 THEN s.enrolled ELSE s.done_at END,
      s.enrolled,
      CASE WHEN s.b >= 8 THEN s.started END,
      CASE WHEN s.b >= 62 THEN s.done_at END
    FROM state s ORDER BY s.enrolled, s.k, s.j""",
    # A valid certificate for every completed row (what the tool issues when the completion rule first holds).
    """INSERT INTO certificates (learner_id, module_id, module_snapshot, learner_name, completed_at, score,
      verification_code, credential_id, credential_jwt, pdf, status, created_at)
    SELECT l.id, mp.module_id, '{"id": "' || mp.module_id || '", "version": "1.0.0"}', 'Bench Lernende ' || l.id,
      mp.completed_at, mp.quiz_score,
      upper(substr(md5('c' || mp.id), 1, 4) || '-' || substr(md5('c' || mp.id), 5, 4) || '-' ||
            substr(md5('c' || mp.id), 9, 4) || '-' || substr(md5('c' || mp.id), 13, 4) || '-' ||
            substr(md5('c' || mp.id), 17, 4) || '-' || substr(md5('c' || mp.id), 21, 4)),
      'https://tool.bench.invalid/verify/' || mp.id, 'placeholder.jwt', '\\x25504446'::bytea, 'valid',
      mp.completed_at + interval '5 seconds'
    FROM module_progress mp JOIN learners l ON l.issuer = mp.issuer AND l.sub = mp.sub
    WHERE mp.completed""",
    # Every 50th certificate replaced an earlier one (name corrected): the revoked one must not be exported.
    """INSERT INTO certificates (learner_id, module_id, module_snapshot, learner_name, completed_at, score,
      verification_code, credential_id, credential_jwt, pdf, status, revoked_at, revoked_reason, replaced_by,
      created_at)
    SELECT c.learner_id, c.module_id, c.module_snapshot, 'Bench Lernende (alt) ' || c.learner_id, c.completed_at,
      c.score,
      'R' || substr(c.verification_code, 2), c.credential_id || '-old', c.credential_jwt, c.pdf, 'revoked',
      c.created_at, 'ersetzt durch ' || c.verification_code, c.id, c.created_at - interval '1 day'
    FROM certificates c WHERE c.id %% 50 = 0""",
    "ANALYZE",
]


def generate(conn, rows: int) -> None:
    """Fill the migrated schema (search_path set on ``conn``) with ``rows`` progress rows."""
    from lti_tool.catalog import load_tool_catalog
    from lti_tool.models import BUNDESLAENDER

    lessons = {m.id: [lesson.id for lesson in m.lessons] for m in load_tool_catalog("")}
    # Enough learners for ``rows`` progress rows; the last few may have none (a launch without a module link).
    params = {"issuer": ISSUER, "rows": int(rows), "learners": int(rows * LEARNERS_PER_ROW) + 4,
              "organisations": ORGANISATIONS, "laender": list(BUNDESLAENDER)}
    for i, module_id in enumerate(MODULES):
        params[f"m{i}"] = module_id
        params[f"l{i}"] = lessons.get(module_id) or [f"lektion-{n}" for n in range(1, 8)]
    for statement in GENERATE:
        conn.execute(statement, params if "%" in statement else None)
    for table in ("organisations", "learners", "module_progress", "certificates"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def schema_url(schema: str) -> str:
    return PG_BASE_URL + ("&" if "?" in PG_BASE_URL else "?") + f"options=-csearch_path%3D{schema}"


def child(fmt: str, url: str, out_path: str) -> None:
    """Runs in a fresh process: the completion export as ``vamos report completions --from-lti`` makes it."""
    from lti_tool.reports import rows_from_lti
    from vamos_core.reports import COMPLETION_COLUMNS, write_csv, write_xlsx

    began, cpu_began = time.perf_counter(), time.process_time()
    # The CLI passes its progress display, which makes rows_from_lti count the rows first: measured too.
    rows = rows_from_lti(url, platforms=[ISSUER], content_dir=os.environ.get("VAMOS_CONTENT_DIR", ""),
                         progress=lambda info: None)
    if fmt == "csv":
        with open(out_path, "wb") as fh:
            count = write_csv(rows, COMPLETION_COLUMNS, fh)
    else:
        count = write_xlsx(rows, COMPLETION_COLUMNS, out_path, sheet="Abschlüsse")
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began  # this process only: PostgreSQL's share is not in it
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": count, "seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
                      "file_mib": round(os.path.getsize(out_path) / 2**20, 1), "cpu_seconds": round(cpu_seconds, 2)}))


def run(rows: int, repeats: int) -> dict:
    reason = postgres_available()
    if reason:
        return {"skipped": reason}
    import psycopg

    from lti_tool.db import Database

    schema = f"vamos_bench_reports_{secrets.token_hex(4)}"
    url = schema_url(schema)
    out: dict = {"rows": rows, "repeats": repeats,
                 "query": "the LTI tool's completion export (lti_tool.reports.rows_from_lti: completion query over "
                          "module_progress ⋈ learners ⟕ learner_organisations ⟕ organisations ⟕ valid certificates, "
                          "one platform, server-side cursor) into vamos_core.reports.write_csv / write_xlsx with "
                          "COMPLETION_COLUMNS, as vamos report completions --from-lti"}
    with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        began = time.perf_counter()
        db = Database(url)
        try:
            db.migrate()
        finally:
            db.dispose()
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            generate(conn, rows)
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("module_progress", "learners", "learner_organisations", "organisations",
                                "certificates")}
        out["generate_seconds"] = round(time.perf_counter() - began, 1)
        out["tables"] = counts
        log(f"reports: {counts} generated in {out['generate_seconds']} s")
        with tempfile.TemporaryDirectory(prefix="vamos-bench-reports-") as tmp:
            for fmt in ("csv", "xlsx"):
                runs = []
                for r in range(repeats):
                    path = str(Path(tmp) / f"export.{fmt}")
                    proc = subprocess.run([sys.executable, __file__, "--child", fmt, url, path],
                                          capture_output=True, text=True, timeout=900)
                    if proc.returncode != 0:
                        raise RuntimeError(proc.stderr[-2000:])
                    result = json.loads(proc.stdout.strip().splitlines()[-1])
                    runs.append(result)
                    log(f"reports {fmt} run {r + 1}: {result}")
                    os.unlink(path)
                out[fmt] = {"seconds": median_of(runs, "seconds"), "peak_rss_mib": median_of(runs, "peak_rss_mib"),
                            "file_mib": median_of(runs, "file_mib"), "rows": runs[0]["rows"], "runs": runs}
    finally:
        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000 if QUICK else 1_000_000)
    parser.add_argument("--repeats", type=int, default=1 if QUICK else 3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.rows, args.repeats)
    if args.json:
        print(json.dumps(result))
        return
    if "skipped" in result:
        print("reports: skipped (" + result["skipped"] + ")")
        return
    for fmt in ("csv", "xlsx"):
        x = result[fmt]
        print(f"{fmt}: {x['rows']} rows in {x['seconds']} s, peak RSS {x['peak_rss_mib']} MiB, {x['file_mib']} MiB file")


if __name__ == "__main__":
    main()
