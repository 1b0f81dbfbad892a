"""Benchmark: a coordinator's ZIP of 1,000 stored certificates (PostgreSQL) — what "Alle Zertifikate als ZIP"
costs, as the route streams it.

Data: a migrated schema with 1,000 learners of one platform and a valid certificate each, whose stored PDFs are
real certificates (``vamos_core.certificates.render_pdf``; 20 rendered and reused, the ZIP stores bytes and does
not look inside). Measured: ``lti_tool.certificates.course_zip`` consumed chunk by chunk into a file, exactly as
the streamed response sends it — wall time from the first query to the last byte, bytes, and the archive read
back (every entry stored, CRC checked).

    .venv/bin/python bench/certificates_zip.py [--json] [--count 1000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ISSUER, PG_BASE_URL, QUICK, _psycopg_url, log, median_of, postgres_available  # noqa: E402
from bench.reports import schema_url  # noqa: E402


def run(count: int, repeats: int) -> dict:
    reason = postgres_available()
    if reason:
        return {"skipped": reason}
    import psycopg

    from bench.bench_certificates import certificate_data, module
    from lti_tool import certificates
    from lti_tool.db import Database
    from lti_tool.models import Certificate, Learner
    from vamos_core.certificates import render_pdf

    schema = f"vamos_bench_zip_{secrets.token_hex(4)}"
    url = schema_url(schema)
    with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(url)
    out: dict = {"certificates": count, "repeats": repeats}
    try:
        db.migrate()
        samples = [render_pdf(d) for d in certificate_data(20, module())]
        out["pdf_kib"] = round(sum(map(len, samples)) / len(samples) / 1024, 1)
        with db.session() as s:
            for i in range(count):
                learner = Learner(issuer=ISSUER, sub=f"zip-{i}", pseudonym=secrets.token_hex(16), role="learner")
                s.add(learner)
                s.flush()
                s.add(Certificate(learner_id=learner.id, module_id="finanzierung", module_snapshot="{}",
                                  learner_name=f"Bench Lernende {i}", completed_at=datetime(2026, 11, 2) +
                                  timedelta(minutes=i), verification_code=f"BNCH-{i:04d}-{secrets.token_hex(2)}",
                                  credential_id=f"urn:uuid:{i}", credential_jwt="x.y.z", pdf=samples[i % 20],
                                  status="valid"))
        runs = []
        with tempfile.TemporaryDirectory(prefix="vamos-bench-zip-") as tmp:
            path = os.path.join(tmp, "zertifikate.zip")
            for r in range(repeats):
                began = time.perf_counter()
                with open(path, "wb") as fh:
                    for chunk in certificates.course_zip(db, ISSUER, None):
                        fh.write(chunk)
                seconds = time.perf_counter() - began
                with zipfile.ZipFile(path) as archive:
                    infos = archive.infolist()
                    assert len(infos) == count and archive.testzip() is None
                    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
                runs.append({"seconds": round(seconds, 2), "mib": round(os.path.getsize(path) / 2**20, 1)})
                log(f"certificates zip run {r + 1}: {runs[-1]}")
        out.update(seconds=median_of(runs, "seconds"), mib=median_of(runs, "mib"), runs=runs)
    finally:
        db.dispose()
        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=1 if QUICK else 3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.count, args.repeats)
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
