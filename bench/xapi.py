"""Benchmark: xAPI statements delivered to a real learning record store per second (issue 20).

The LRS is Ralph (PyPI ``ralph-malph[lrs]``, its LRS API under uvicorn on 127.0.0.1 with the filesystem backend,
started exactly as the xAPI tests start it: ``tests/xapi/ralph_lrs.py``). The outbox is the tool's own table in a
migrated database (PostgreSQL, and SQLite), filled with the statements a real learner journey produces
(``XapiRecorder``: launched, lessons experienced and completed, a quiz attempt with its per-question
statements, module completed), in batches as the events' transactions write them.

Measured: the tool's sender (``lti_tool.xapi_outbox.XapiSender``, the code the inline worker thread and
``vamos lti sync-xapi`` run) draining the outbox — 1 worker, and as many workers as gunicorn processes (4,
separate processes, claiming with leases) — from the first claim until nothing is pending. A run counts only
if every statement is ``sent`` in the outbox and the LRS's own statement file holds each id exactly once
(nothing lost, nothing twice).

    .venv/bin/python bench/xapi.py [--json] [--statements 5000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ISSUER, PG_BASE_URL, QUICK, _psycopg_url, log, median_of, postgres_available  # noqa: E402
from bench.reports import schema_url  # noqa: E402


def journey_statements(recorder, module, sub: str, at: datetime) -> list[dict]:
    """What one learner's way through a module reports, built by the tool's own recorder."""
    b = recorder.builder
    out = [b.launched(ISSUER, sub, module, at, f"launch-{sub}")]
    for i, lesson in enumerate(module.lessons):
        out.append(b.lesson_experienced(ISSUER, sub, module, lesson.id, at + timedelta(minutes=i), f"v-{sub}-{i}"))
        out.append(b.lesson_completed(ISSUER, sub, module, lesson.id, at + timedelta(minutes=i, seconds=30),
                                      f"c-{sub}-{i}"))
    quiz = module.quiz
    answers = {q.id: [] for q in quiz.questions}
    out.extend(b.quiz_attempt(ISSUER, sub, module, at + timedelta(hours=1), f"q-{sub}", answers=answers,
                              fractions={q.id: 1.0 for q in quiz.questions}, percent=100.0,
                              points=float(quiz.max_points), max_points=float(quiz.max_points), passed=True))
    out.append(b.module_completed(ISSUER, sub, module, at + timedelta(hours=1), f"q-{sub}", 100.0))
    return out


def fill(db, recorder, module, count: int) -> int:
    """``count`` statements (whole journeys, the last one cut) into the outbox, one transaction per journey."""
    from lti_tool.xapi_outbox import XapiRecorder

    written, n = 0, 0
    start = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    while written < count:
        statements = journey_statements(recorder, module, f"xapi-bench-{n}", start + timedelta(minutes=n))
        statements = statements[:count - written]
        with db.session() as s:
            written += XapiRecorder.enqueue(s, ISSUER, f"xapi-bench-{n}", statements)
        n += 1
    return written


def _worker(url: str, endpoint: str, username: str, password: str, batch: int, ready, started, queue) -> None:
    """One sender process: report ready (imports done, connected), wait for the common start, drain until
    nothing is left to claim; report what it sent and the CPU it spent from the start on."""
    from lti_tool.db import Database
    from lti_tool.xapi_outbox import XapiSender

    db = Database(url)
    sender = XapiSender(db, endpoint, username, password, batch=batch, retry_base=0.2, retry_max=2.0)
    sender.has_pending()  # connects now, not on the clock
    ready.put(os.getpid())
    started.wait()
    cpu_at_start = time.process_time()
    sent = retried = 0
    while True:
        r = sender.run_until_idle()
        sent, retried = sent + r.sent, retried + r.retried
        if not sender.has_pending():
            break
        time.sleep(0.05)  # rows waiting for a retry's backoff: poll the condition again
    db.dispose()
    queue.put({"sent": sent, "retried": retried, "cpu_s": time.process_time() - cpu_at_start})


def deliver(url: str, lrs, workers: int, batch: int, expected: int) -> dict:
    """Start ``workers`` sender processes at once; time them until the outbox is empty; check the LRS."""
    from sqlalchemy import create_engine, text

    before = len(lrs.stored_lines())
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per worker, like a gunicorn process
    ready, started, queue = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, lrs.endpoint, *lrs.auth, batch, ready, started, queue))
             for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:  # imports and connections are not timed: the clock starts when every worker is ready
        ready.get(timeout=120)
    from bench.common import _proc_cpu_seconds

    lrs_cpu = _proc_cpu_seconds(lrs.process.pid)
    began = time.perf_counter()
    started.set()
    reports = [queue.get(timeout=900) for _ in procs]
    seconds = time.perf_counter() - began
    lrs_cpu = _proc_cpu_seconds(lrs.process.pid) - lrs_cpu
    for p in procs:
        p.join(30)
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT status, count(*) FROM xapi_outbox GROUP BY status")).all())
    engine.dispose()
    lines = lrs.stored_lines()[before:]
    ids = [line["id"] for line in lines]
    ok = counts == {"sent": expected} and len(ids) == expected and len(set(ids)) == expected
    return {"workers": workers, "batch": batch, "seconds": round(seconds, 2),
            "statements_per_s": round(expected / seconds, 1), "outbox": counts, "lrs_stored": len(ids),
            "lrs_distinct": len(set(ids)), "retried": sum(r["retried"] for r in reports),
            "sender_cpu_ms_per_statement": round(sum(r["cpu_s"] for r in reports) * 1000 / expected, 3),
            "lrs_cpu_ms_per_statement": round(lrs_cpu * 1000 / expected, 3),
            "complete": ok}


def reset(url: str) -> None:
    """Every statement pending again (same ids), so the next run re-sends the same outbox to a fresh LRS."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE xapi_outbox SET status = 'pending', attempts = 0, claimed_by = NULL, "
                          "claimed_until = NULL, sent_at = NULL, next_attempt_at = :now"),
                     {"now": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)})
    engine.dispose()


def run_backend(name: str, statements: int, repeats: int, worker_counts: list[int], batch: int) -> dict:
    import psycopg

    from lti_tool.db import Database
    from lti_tool.xapi_outbox import XapiRecorder
    from tests.xapi.ralph_lrs import Ralph
    from vamos_core.xapi import StatementBuilder

    from vamos_core.content import load_catalog

    from bench.common import REPO

    module = load_catalog(REPO / "course_content").get("finanzierung")
    recorder = XapiRecorder(StatementBuilder(home_page="https://tool.example", pseudonym_key=b"bench-key",
                                             platform="VAMOs LTI-Tool"))
    tmp = Path(tempfile.mkdtemp(prefix="vamos-bench-xapi-"))
    schema = None
    if name == "sqlite":
        url = f"sqlite:///{tmp / 'tool.sqlite3'}"
    else:
        schema = f"vamos_bench_xapi_{secrets.token_hex(4)}"
        url = schema_url(schema)
        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(url)
    out: dict = {"statements": statements}
    try:
        db.migrate()
        began = time.perf_counter()
        fill(db, recorder, module, statements)
        out["fill_seconds"] = round(time.perf_counter() - began, 1)
        db.dispose()
        for workers in worker_counts:
            runs = []
            for r in range(repeats):
                lrs = Ralph(tmp / f"ralph-{workers}-{r}")  # a fresh LRS per run: every statement is new to it
                lrs.start()
                try:
                    reset(url)
                    runs.append(deliver(url, lrs, workers, batch, statements))
                finally:
                    lrs.stop()
                log(f"xapi {name} {workers} worker(s) run {r + 1}: {runs[-1]}")
            out[f"workers_{workers}"] = {"statements_per_s": median_of(runs, "statements_per_s"),
                                         "complete": all(x["complete"] for x in runs), "runs": runs}
    finally:
        db.dispose()
        if schema:
            with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return out


def run(statements: int, repeats: int, batch: int) -> dict:
    import importlib.util

    if importlib.util.find_spec("ralph") is None:
        return {"skipped": "ralph-malph[lrs] not installed (pip install -e '.[test]')"}
    out: dict = {"statements": statements, "batch": batch, "backends": {}}
    for name in ("postgres", "sqlite"):
        reason = postgres_available() if name == "postgres" else None
        out["backends"][name] = {"skipped": reason} if reason else run_backend(name, statements, repeats,
                                                                                [1, 4], batch)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 5,000: Ralph's filesystem backend (the LRS these machines can run) reads its whole statement file for each
    # POST's duplicate check, so its cost per statement grows with the statements it holds (10.6 ms CPU each at
    # 20,000, 250 s per run): a longer run would measure that backend, not the tool's sender.
    parser.add_argument("--statements", type=int, default=1000 if QUICK else 5000)
    parser.add_argument("--repeats", type=int, default=1 if QUICK else 3)
    parser.add_argument("--batch", type=int, default=20, help="statements per claim and POST (the sender's default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("VAMOS_LOG_LEVEL", "WARNING")
    result = run(args.statements, args.repeats, args.batch)
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
