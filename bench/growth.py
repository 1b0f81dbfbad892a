"""Growth: how launch, lesson view, dashboard and export cost grow from 10,000 to 1,000,000 progress rows
(PostgreSQL + Redis, gunicorn 4×2).

For each size a schema of its own is filled by ``bench/reports.py``'s generator (one platform, 200 organisations,
four modules), the rollups backfilled as migration 0010 does, the bench platform registered, and the tool served
on it. Measured at each size: complete launches of new learners (4 concurrent, ``bench/launch.py``'s client),
lesson page views (16 clients), the dashboard unfiltered and filtered by a module (in process, as the route calls
it) and the CSV export of every row (``bench/reports.py``'s child, as ``vamos report completions --from-lti``).
The table gives p50/p95 per size and the factor of the largest size's p50 over the smallest's.

    .venv/bin/python bench/growth.py [--json] [--sizes 10000,100000,1000000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    generated_world, ISSUER, QUICK, REDIS_URL, Backend, Stats, _psycopg_url,
    client_session, closed_loop, latency_ms, log, new_sub, postgres_available,
    register_platform, request,
    settle, tool_server,
)
from bench.reports import generate  # noqa: E402


async def http_figures(url: str, platform_, duration: float) -> dict:
    from bench.launch import measure
    from bench.learner import MODULE, launch_pool, load_module

    class Server:  # bench.launch.measure wants the server's url and name only (no CPU probe here)
        pass

    server = Server()
    server.url, server.name, server.proc = url, "tool", None
    launch = await measure(server, platform_, 4, duration, 1, "tool", [new_sub() for _ in range(5000)])
    lessons = [lesson.id for lesson in load_module().lessons]
    rng = random.Random(3)
    async with client_session(16) as http:
        viewers = await launch_pool(http, platform_, url, 16)

        async def view(i: int, st: Stats) -> str:
            lesson = lessons[rng.randrange(len(lessons))]
            await request(http, st, "lesson_view", "GET", f"{url}/module/{MODULE}/lesson/{lesson}?ls={viewers[i].sid}")
            return "lesson_view"

        views = await closed_loop(16, duration, 1, view, Stats())
    return {"launch": {k: launch[k] for k in ("p50", "p95", "ops_per_s", "errors")},
            "lesson_view": {k: views[k] for k in ("p50", "p95", "ops_per_s", "errors")}}


def one_size(rows: int, duration: float, samples: int) -> dict:
    import psycopg

    from lti_tool import reports, rollups
    out: dict = {"rows": rows}
    with generated_world("growth") as (url, schema, prefix, workdir, platform_, db):
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            generate(conn, rows)
        with db.connection() as conn:
            rollups.rebuild(conn)
        platform_.start()
        register_platform(db, platform_)
        backend = Backend("postgres+redis", url, REDIS_URL, prefix, schema)
        settle(backend)
        for name, filters in (("dashboard", reports.Filters(platforms=[ISSUER])),
                              ("dashboard_module", reports.Filters(platforms=[ISSUER], modules=["finanzierung"]))):
            reports.dashboard(db, filters)
            times = []
            for _ in range(samples):
                began = time.perf_counter()
                reports.dashboard(db, filters)
                times.append(time.perf_counter() - began)
            out[name] = latency_ms(times)
        with tempfile.TemporaryDirectory(prefix="vamos-bench-growth-") as tmp:
            proc = subprocess.run([sys.executable, str(Path(__file__).parent / "reports.py"), "--child", "csv", url,
                                   os.path.join(tmp, "export.csv")], capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            out["export_csv_seconds"] = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
        with tool_server(backend, workdir) as tool:
            out.update(asyncio.run(http_figures(tool.url, platform_, duration)))
            out["server_tracebacks"] = tool.errors_logged()
        log(f"growth {rows}: {out}")
    return out


def table(sizes: list[dict]) -> list[dict]:
    """One row per figure: p50 (p95) per size and the growth factor of the p50 from the first to the last size."""
    figures = [("launch (complete, 4 concurrent)", lambda s: s["launch"]),
               ("lesson view (16 clients)", lambda s: s["lesson_view"]),
               ("dashboard, unfiltered", lambda s: s["dashboard"]),
               ("dashboard, one module", lambda s: s["dashboard_module"])]
    rows = []
    for label, get in figures:
        cells = [get(s) for s in sizes]
        first, last = cells[0]["p50"], cells[-1]["p50"]
        rows.append({"figure": label, "ms": [f"{c['p50']} ({c['p95']})" for c in cells],
                     "factor": round(last / first, 2) if first and last else None})
    first, last = sizes[0]["export_csv_seconds"], sizes[-1]["export_csv_seconds"]
    rows.append({"figure": "CSV export of every row (s)", "ms": [str(s["export_csv_seconds"]) for s in sizes],
                 "factor": round(last / first, 2) if first else None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,30000" if QUICK else "10000,100000,1000000")
    parser.add_argument("--duration", type=float, default=3 if QUICK else 8)
    parser.add_argument("--samples", type=int, default=5 if QUICK else 20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    reason = postgres_available()
    if reason:
        result: dict = {"skipped": reason}
    else:
        sizes = [one_size(int(n), args.duration, args.samples) for n in args.sizes.split(",")]
        result = {"sizes": sizes, "table": table(sizes)}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
