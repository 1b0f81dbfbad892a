"""Benchmark: 1,000,000 progress rows on PostgreSQL exported to CSV and XLSX — wall time and peak memory.

A table of ``--rows`` progress rows is generated with ``generate_series`` in a schema of its own. Each export
runs in a fresh child process that streams the rows from a server-side cursor (psycopg named cursor) into
``vamos_core.reports.write_csv`` / ``write_xlsx`` with ``COMPLETION_COLUMNS``; the child reports its wall time
and its peak resident memory (``ru_maxrss``). Until the coordinator export of the LTI tool exists, the query
here stands in for it.

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

from bench.common import PG_BASE_URL, QUICK, _psycopg_url, log, median_of, postgres_available  # noqa: E402

QUERY = """SELECT learner, organisation, module, started_at, lessons_done, lessons_total, quiz_score, completed_at,
certificate_code FROM {schema}.bench_progress ORDER BY id"""

CREATE = """
CREATE TABLE {schema}.bench_progress (
  id bigint PRIMARY KEY, learner text NOT NULL, organisation text NOT NULL, module text NOT NULL,
  started_at timestamp NOT NULL, lessons_done int NOT NULL, lessons_total int NOT NULL,
  quiz_score double precision, completed_at timestamp, certificate_code text);
INSERT INTO {schema}.bench_progress
SELECT i,
  'urn:uuid:' || md5(i::text)::uuid,
  (ARRAY['Verein Miteinander e.V.','Forum Vielfalt','Brücke Nord','=Formel? e.V.','Kulturhaus Süd'])[1 + i % 5]
    || ' ' || (i % 97),
  (ARRAY['finanzierung','fuehrung-im-ehrenamt','kommunikation-im-verband','projektmanagement'])[1 + i % 4],
  timestamp '2026-01-01 08:00' + (i % 400000) * interval '1 minute',
  i % 8, 7,
  CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 101)::float END,
  CASE WHEN i % 8 = 7 THEN timestamp '2026-02-01 08:00' + (i % 400000) * interval '1 minute' END,
  CASE WHEN i % 8 = 7 THEN upper(substr(md5('c' || i), 1, 12)) END
FROM generate_series(1, {rows}) AS i;
ANALYZE {schema}.bench_progress;
"""


def child(fmt: str, schema: str, out_path: str) -> None:
    """Runs in a fresh process: stream the query into the writer, print wall time and peak RSS."""
    import psycopg

    from vamos_core.reports import COMPLETION_COLUMNS, write_csv, write_xlsx

    began = time.perf_counter()
    with psycopg.connect(_psycopg_url(PG_BASE_URL)) as conn, conn.transaction():
        cur = conn.cursor(name="bench_export")  # server-side: rows arrive in batches of itersize
        cur.itersize = 5000
        cur.execute(QUERY.format(schema=schema))
        keys = [c.key for c in COMPLETION_COLUMNS]

        def rows():
            for record in cur:
                yield dict(zip(keys, record))

        if fmt == "csv":
            with open(out_path, "wb") as fh:
                count = write_csv(rows(), COMPLETION_COLUMNS, fh)
        else:
            count = write_xlsx(rows(), COMPLETION_COLUMNS, out_path)
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": count, "seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
                      "file_mib": round(os.path.getsize(out_path) / 2**20, 1)}))


def run(rows: int, repeats: int) -> dict:
    reason = postgres_available()
    if reason:
        return {"skipped": reason}
    import psycopg

    schema = f"vamos_bench_reports_{secrets.token_hex(4)}"
    out: dict = {"rows": rows, "repeats": repeats, "query": "server-side cursor, itersize 5000, ORDER BY id (primary key)"}
    with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        began = time.perf_counter()
        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(CREATE.format(schema=schema, rows=int(rows)))
        out["generate_seconds"] = round(time.perf_counter() - began, 1)
        log(f"reports: {rows} rows generated in {out['generate_seconds']} s")
        with tempfile.TemporaryDirectory(prefix="vamos-bench-reports-") as tmp:
            for fmt in ("csv", "xlsx"):
                runs = []
                for r in range(repeats):
                    path = str(Path(tmp) / f"export.{fmt}")
                    proc = subprocess.run([sys.executable, __file__, "--child", fmt, schema, path],
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
