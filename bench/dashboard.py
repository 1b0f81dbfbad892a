"""Benchmark: the coordinator dashboard on 1,000,000 progress rows (PostgreSQL) — every filter, quiet and while
the learner benchmark runs against the tool on the same database.

Data: ``bench/reports.py``'s generator (one platform, 200 organisations, four modules, dates over ten months),
then the rollups backfilled exactly as migration 0010 does (``lti_tool.rollups.rebuild``, timed). Measured in
process, as the dashboard route calls it: ``lti_tool.reports.dashboard`` (rollups) for a rotation of filters —
none, a module, an organisation, "keine Angabe", a whole month, a period with partial months, a course, and a
combination — p50/p95 per filter quiet, then p50/p95 over the rotation while ``bench/learner.py``'s phases run
(gunicorn 4×2, 16 clients: lesson views, completions, quiz submissions; their events move the counters). The
row-level computation of the same figures (``reports.dashboard_from_rows``, the nine aggregate queries of
before) is timed once unfiltered for comparison.

    .venv/bin/python bench/dashboard.py [--json] [--rows 1000000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    generated_world, ISSUER, QUICK, REDIS_URL, Backend, _psycopg_url,
    latency_ms, log, postgres_available, register_platform, tool_server,
)
from bench.reports import generate  # noqa: E402


def filter_rotation(db) -> list[tuple[str, object]]:
    from sqlalchemy import select

    from lti_tool import reports
    from lti_tool.models import LtiContext, Organisation

    with db.session() as s:
        org = s.scalar(select(Organisation.id).order_by(Organisation.id).offset(5).limit(1))
        course = s.scalar(select(LtiContext.id).limit(1))
    f = lambda **kw: reports.Filters(platforms=[ISSUER], **kw)  # noqa: E731
    return [("none", f()), ("module", f(modules=["finanzierung"])), ("organisation", f(organisation=org)),
            ("keine_angabe", f(organisation="none")), ("month", f(since=date(2026, 3, 1), until=date(2026, 3, 31))),
            ("partial_months", f(since=date(2026, 2, 10), until=date(2026, 6, 20))),
            ("course", f(context_pk=course or 1)),
            ("combined", f(modules=["projektmanagement"], organisation=org, since=date(2026, 1, 15)))]


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def run(rows: int, samples: int, load_duration: float) -> dict:
    reason = postgres_available()
    if reason:
        return {"skipped": reason}
    import psycopg

    from lti_tool import reports, rollups
    out: dict = {"rows": rows, "samples_per_filter": samples}
    with generated_world("dashboard") as (url, schema, prefix, workdir, platform_, db):
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            generate(conn, rows)
        began = time.perf_counter()
        with db.connection() as conn:
            out["rollup_counters"] = rollups.rebuild(conn)
        out["backfill_seconds"] = round(time.perf_counter() - began, 1)
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE progress_rollups")
            conn.execute("VACUUM ANALYZE progress_rollups_daily")
            out["rollup_rows"] = conn.execute("SELECT count(*) FROM progress_rollups").fetchone()[0]
            out["rollup_daily_rows"] = conn.execute("SELECT count(*) FROM progress_rollups_daily").fetchone()[0]
        log(f"dashboard: {rows} rows, backfill {out['backfill_seconds']} s, {out['rollup_rows']} rollup rows")
        rotation = filter_rotation(db)
        out["rows_based_unfiltered_seconds"] = round(timed(lambda: reports.dashboard_from_rows(db, rotation[0][1])), 2)
        quiet: dict[str, list[float]] = {}
        for name, filters in rotation:
            reports.dashboard(db, filters)  # warm
            quiet[name] = [timed(lambda: reports.dashboard(db, filters)) for _ in range(samples)]
        out["quiet_ms"] = {name: latency_ms(v) for name, v in quiet.items()}
        out["quiet_all_ms"] = latency_ms([x for v in quiet.values() for x in v])
        log(f"dashboard quiet: {out['quiet_all_ms']} (rows-based unfiltered {out['rows_based_unfiltered_seconds']} s)")

        # Under load: the learner benchmark's phases against the tool on this database, the dashboard meanwhile.
        platform_.start()
        register_platform(db, platform_)
        backend = Backend("postgres+redis", url, REDIS_URL, prefix, schema)
        from bench.learner import run_phases

        with tool_server(backend, workdir) as tool:
            done = threading.Event()
            learner: dict = {}

            def learners() -> None:
                try:
                    learner.update(asyncio.run(run_phases(tool.url, platform_, 16, load_duration, 1, 1,
                                                          200 if QUICK else 600, 300 if QUICK else 1500)))
                finally:
                    done.set()

            thread = threading.Thread(target=learners, daemon=True)
            thread.start()
            time.sleep(2)  # the learners launch first
            loaded: list[float] = []
            i = 0
            while not done.is_set():
                loaded.append(timed(lambda: reports.dashboard(db, rotation[i % len(rotation)][1])))
                i += 1
                time.sleep(0.05)  # a coordinator clicking through filters, not a tight loop
            thread.join()
            out["under_load_ms"] = latency_ms(loaded)
            out["under_load_samples"] = len(loaded)
            out["learner_phases_per_s"] = {k: v[0]["ops_per_s"] for k, v in learner.items() if v}
            out["server_tracebacks"] = tool.errors_logged()
        log(f"dashboard under load: {out['under_load_ms']} over {len(loaded)} samples; learners "
            f"{out['learner_phases_per_s']}")
        out["p95_ms"] = out["under_load_ms"]["p95"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000 if QUICK else 1_000_000)
    parser.add_argument("--samples", type=int, default=5 if QUICK else 20)
    parser.add_argument("--load-duration", type=float, default=3 if QUICK else 10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.rows, args.samples, args.load_duration)
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
