"""`make bench`: run every benchmark and write bench/results.json and bench/results.md.

Each benchmark runs as its own process (``--json``), one after the other, so they never compete for the two
cores. ``BENCH_QUICK=1`` shortens every duration and size for development; results written in quick mode say
so in their first line. ``--only launch,learner`` runs a subset.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import QUICK, REPO, git_commit, log, machine  # noqa: E402

BENCH = REPO / "bench"
STEPS = {
    "launch": ["bench/launch.py"],
    "learner": ["bench/learner.py"],
    "reports": ["bench/reports.py"],
    "certificates": ["bench/bench_certificates.py"] + (["-n", "20", "-r", "3", "--zip", "100"] if QUICK else
                                                        ["-n", "40", "-r", "5", "--zip", "1000"]),
    "certificates_2_processes": ["bench/bench_certificates.py", "--processes", "2", "--zip", "0"]
    + (["-n", "20", "-r", "3"] if QUICK else ["-n", "40", "-r", "5"]),
    "certificates_zip": ["bench/certificates_zip.py"],
    "dashboard": ["bench/dashboard.py"],
    "loadtest": ["bench/loadtest.py"],
    "authoring": ["bench/authoring.py"],
    "growth": ["bench/growth.py"],
    "xapi": ["bench/xapi.py"],
}

TARGETS = {
    "launch_ratio_baseline": 1.0, "launch_ratio_ltijs": 2.0, "launch_cpu_ms": 5, "launch_p95_ms": 30,
    "lesson_views_per_s": 400, "lesson_view_p95_ms": 50, "quiz_per_s": 150, "draft_save_preview_p95_ms": 100,
    "publish_s": 1.0, "csv_s": 15, "xlsx_s": 90, "export_mib": 250, "certificates_per_s": 20, "zip_s": 5,
    "dashboard_p95_ms": 300, "load_p99_ms": 300, "load_learners": 1000,
}


def run_step(name: str, argv: list[str]) -> dict:
    log(f"== {name}: {' '.join(argv)}")
    began = time.time()
    proc = subprocess.run([sys.executable, *argv, "--json"], cwd=REPO, stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    seconds = round(time.time() - began, 1)
    if proc.returncode != 0:
        return {"failed": f"exit code {proc.returncode}", "step_seconds": seconds}
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"failed": "no JSON result", "step_seconds": seconds}
    result["step_seconds"] = seconds
    result["ran_at"] = datetime.fromtimestamp(began, timezone.utc).isoformat(timespec="seconds")
    result["commit"] = git_commit()
    return result


def ok(value, target, higher_is_better: bool) -> str:
    if value is None:
        return "–"
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "**not met**"


def server_cpu(summary: dict) -> str:
    """Median CPU milliseconds per operation of each server process group (tool or baseline, platform JWKS
    server, PostgreSQL, Redis) over the runs: where the machine's two cores went."""
    per_run = [r.get("server_cpu_ms_per_op") or {} for r in summary.get("runs", [])]
    names = sorted({name for run in per_run for name in run})
    parts = []
    for name in names:
        values = sorted(run[name] for run in per_run if name in run)
        if values and values[len(values) // 2] > 0:
            parts.append(f"{name} {values[len(values) // 2]}")
    return ", ".join(parts) or "–"


def markdown(results: dict) -> str:
    m, r = results["meta"], results["results"]
    out = [f"# Benchmark results{' (BENCH_QUICK=1: shortened runs, not the reference figures)' if m['quick'] else ''}",
           "",
           f"- date: {m['date']}  ",
           f"- commit: `{m['commit']}`  ",
           f"- machine: {m['machine']['cpu']}, {m['machine']['cores']} cores, {m['machine']['ram_gib']} GiB RAM, "
           f"Python {m['machine']['python']}, {m['machine']['os']}  ",
           f"- load average when the run started: {m.get('load_average_at_start')} (other work on the machine "
           "lowers every figure)  ",
           *([f"- merged: {m['merged']}  "] if m.get("merged") else []),
           *([f"- step `{name}`: run {res['ran_at']}, commit `{res.get('commit', '?')}`  "
              for name, res in results["results"].items() if m.get("merged") and isinstance(res, dict)
              and res.get("ran_at")]),
           *([f"- **incomplete**: still to run: {', '.join(m['steps_pending'])}  "] if m.get("steps_pending") else []),
           f"- total time: {m['total_seconds']} s. How to read this file: README.md, \"Benchmarks: how to read "
           "bench/results.md\".", ""]
    rows = [("figure", "measured", "target", "")]

    launch = r.get("launch", {})
    for backend, e in launch.get("backends", {}).items():
        if "tool" not in e:
            rows.append((f"launch ({backend})", e.get("skipped", "failed"), "", ""))
            continue
        t, b = e["tool"], e["baseline"]
        rows.append((f"launch throughput vs pylti1p3 baseline, {backend}, {launch['concurrency']} concurrent",
                     f"{t['launches_per_s']}/s vs baseline {b['launches_per_s']}/s = "
                     f"**{e['throughput_ratio_tool_vs_baseline']}×** (per run {e.get('throughput_ratio_per_run')})",
                     "≥ 1.0×", ok(e["throughput_ratio_tool_vs_baseline"], TARGETS["launch_ratio_baseline"], True)))
        lj = e.get("ltijs", {})
        if "launches_per_s" in lj:
            rows.append((f"launch throughput vs ltijs, {backend}, {launch['concurrency']} concurrent",
                         f"{t['launches_per_s']}/s vs ltijs {lj['launches_per_s']}/s = "
                         f"**{e.get('throughput_ratio_tool_vs_ltijs')}×** (per run "
                         f"{e.get('throughput_ratio_per_run_vs_ltijs')})", "≥ 2.0×",
                         ok(e.get("throughput_ratio_tool_vs_ltijs"), TARGETS["launch_ratio_ltijs"], True)))
        elif backend != "sqlite":
            rows.append((f"launch throughput vs ltijs, {backend}", lj.get("skipped", "–"), "≥ 2.0×", "–"))
        rows.append((f"server CPU per complete launch (tool + PostgreSQL/SQLite + Redis), {backend}",
                     f"{t.get('server_cpu_ms_per_launch')} ms (baseline {b.get('server_cpu_ms_per_launch')}, ltijs "
                     f"{lj.get('server_cpu_ms_per_launch', '–')}; load average "
                     f"{m.get('load_average_at_start')})", "≤ 5 ms on an idle machine",
                     ok(t.get("server_cpu_ms_per_launch"), TARGETS["launch_cpu_ms"], False)))
        low = e.get("tool_at_latency_concurrency")
        if low:
            rows.append((f"launch latency (whole round trip), {backend}, {low['concurrency']} concurrent",
                         f"p50 {low['p50_ms']} / p95 {low['p95_ms']} / p99 {low['p99_ms']} ms", "p95 ≤ 30 ms",
                         ok(low["p95_ms"], TARGETS["launch_p95_ms"], False)))
        rows.append((f"launch latency, {backend}, {launch['concurrency']} concurrent",
                     f"p50 {t['p50_ms']} / p95 {t['p95_ms']} / p99 {t['p99_ms']} ms (baseline p95 {b['p95_ms']}"
                     + (f", ltijs p95 {lj['p95_ms']}" if "p95_ms" in lj else "") + " ms)", "", ""))
    learner = r.get("learner", {})
    for backend, e in learner.get("backends", {}).items():
        if "lesson_view" not in e:
            rows.append((f"learner traffic ({backend})", e.get("skipped", "failed"), "", ""))
            continue
        v, c, q = e["lesson_view"], e["lesson_completion"], e["quiz_submission"]
        cycle = e.get("quiz_attempt_cycle")
        rows.append((f"lesson page views, {backend}, {learner['concurrency']} clients",
                     f"{v['per_s']}/s, p50 {v['p50_ms']} / p95 {v['p95_ms']} / p99 {v['p99_ms']} ms",
                     "≥ 400/s, p95 ≤ 50 ms",
                     "met" if (v["per_s"] or 0) >= 400 and (v["p95_ms"] or 1e9) <= 50 else "**not met**"))
        rows.append((f"lesson completions, {backend}", f"{c['per_s']}/s, p95 {c['p95_ms']} ms", "", ""))
        rows.append((f"quiz submissions (answers posted, graded, stored), {backend}",
                     f"{q['per_s']}/s, p95 {q['p95_ms']} ms", "≥ 150/s", ok(q["per_s"], TARGETS["quiz_per_s"], True)))
        if cycle:
            rows.append((f"quiz attempt cycle (start + form + submit), {backend}",
                         f"{cycle['per_s']}/s, p95 {cycle['p95_ms']} ms", "", ""))
    reports = r.get("reports", {})
    for fmt, limit in (("csv", "csv_s"), ("xlsx", "xlsx_s")):
        if fmt in reports:
            x = reports[fmt]
            rows.append((f"{fmt.upper()} export of {x['rows']:,} rows (PostgreSQL)",
                         f"{x['seconds']} s, peak RSS {x['peak_rss_mib']} MiB",
                         f"≤ {TARGETS[limit]} s, ≤ 250 MB",
                         "met" if x["seconds"] <= TARGETS[limit] and x["peak_rss_mib"] <= 250 else "**not met**"))
        elif reports:
            rows.append((f"{fmt.upper()} export", reports.get("skipped") or reports.get("failed", "?"), "", ""))
    cert = r.get("certificates", {})
    if "certificates_per_second_median" in cert:
        rows.append(("certificates (PDF/A-3 + VC-JWT), 1 process", f"{cert['certificates_per_second_median']}/s",
                     "≥ 20/s", ok(cert["certificates_per_second_median"], TARGETS["certificates_per_s"], True)))
        if "zip_seconds" in cert:
            rows.append((f"ZIP of {cert['zip_certificates']} certificates rendered on the spot (core, no database)",
                         f"{cert['zip_seconds']} s, {cert['zip_mib']} MiB", "", ""))
    czip = r.get("certificates_zip", {})
    if "seconds" in czip:
        rows.append((f"ZIP of {czip['certificates']} stored certificates (PostgreSQL, streamed as the route does)",
                     f"{czip['seconds']} s, {czip['mib']} MiB", "≤ 5 s", ok(czip["seconds"], TARGETS["zip_s"], False)))
    elif czip:
        rows.append(("ZIP of stored certificates", czip.get("skipped") or czip.get("failed", "?"), "≤ 5 s", "–"))
    dash = r.get("dashboard", {})
    if "under_load_ms" in dash:
        u, q = dash["under_load_ms"], dash["quiet_all_ms"]
        rows.append((f"dashboard, any filter, {dash['rows']:,} progress rows, while the learner benchmark runs",
                     f"p50 {u['p50']} / p95 **{u['p95']}** ms over {dash['under_load_samples']} requests (quiet: "
                     f"p95 {q['p95']} ms; the nine row queries of before: {dash['rows_based_unfiltered_seconds']} s)",
                     "p95 ≤ 300 ms", ok(u["p95"], TARGETS["dashboard_p95_ms"], False)))
    elif dash:
        rows.append(("dashboard on rollups", dash.get("skipped") or dash.get("failed", "?"), "p95 ≤ 300 ms", "–"))
    cert2 = r.get("certificates_2_processes", {})
    if "certificates_per_second_median" in cert2:
        rows.append(("certificates, 2 processes", f"{cert2['certificates_per_second_median']}/s", "", ""))
    load = r.get("loadtest", {})
    if "latency_ms" in load:
        lat = load["latency_ms"]
        rows.append((f"load test: {load['learners']} learners, {load['wall_seconds']} s, "
                     f"{load.get('server_count', 2)} tool processes",
                     f"{load['errors']} errors, {load['lost_events']} lost events "
                     f"({load['db']['events']}/{load['expected_events']} in the database), "
                     f"p50 {lat['p50']} / p95 {lat['p95']} / p99 {lat['p99']} ms",
                     "1,000 learners, 0 errors, 0 lost, p99 ≤ 300 ms",
                     "met" if load["errors"] == 0 and load["lost_events"] == 0 and (lat["p99"] or 1e9) <= 300
                     and load["learners"] >= TARGETS["load_learners"] else "**not met**"))
    elif load:
        rows.append(("load test", load.get("skipped") or load.get("failed", "?"), "", ""))

    authoring = r.get("authoring", {})
    for backend, e in authoring.get("backends", {}).items():
        if "save_and_preview" not in e:
            rows.append((f"authoring ({backend})", e.get("skipped", "failed"), "", ""))
            continue
        both = e["save_and_preview"]
        rows.append((f"draft save + preview (server time, in process), {backend}",
                     f"p50 {both['p50']} / p95 {both['p95']} ms (save p95 {e['save']['p95']}, preview p95 "
                     f"{e['preview']['p95']} ms)", "p95 ≤ 100 ms",
                     ok(both["p95"], TARGETS["draft_save_preview_p95_ms"], False)))
        rows.append((f"publish with {e['learners_on_old_version']:,} learners on the old version, {backend}",
                     f"{e['publish_s']} s (first load of the new version {e['first_load_of_new_version_s']} s)",
                     "≤ 1 s", ok(e["publish_s"], TARGETS["publish_s"], False)))

    xapi = r.get("xapi", {})
    for backend, e in xapi.get("backends", {}).items():
        if "workers_1" not in e:
            rows.append((f"xAPI statements to the LRS ({backend})", e.get("skipped", "failed"), "", "–"))
            continue
        parts = []
        for key in ("workers_1", "workers_4"):
            w = e.get(key)
            if w:
                run0 = w["runs"][0]
                parts.append(f"{key.split('_')[1]} worker(s): **{w['statements_per_s']}/s** "
                             f"(sender {run0['sender_cpu_ms_per_statement']} ms CPU, Ralph "
                             f"{run0.get('lrs_cpu_ms_per_statement', '?')} ms CPU per statement"
                             f"{'' if w['complete'] else '; INCOMPLETE: statements lost or doubled'})")
        rows.append((f"xAPI statements delivered to the LRS per second (Ralph, {e['statements']:,} statements, "
                     f"batch {xapi.get('batch')}), {backend}", "; ".join(parts), "measured (no target)",
                     "–" if all(e.get(k, {}).get("complete", True) for k in ("workers_1", "workers_4"))
                     else "**lost or doubled**"))
    if xapi and not xapi.get("backends"):
        rows.append(("xAPI statements to the LRS", xapi.get("skipped") or xapi.get("failed", "?"), "", "–"))
    out.append("## Figures and targets")
    out.append("")
    for i, row in enumerate(rows):
        out.append("| " + " | ".join(str(c) for c in row) + " |")
        if i == 0:
            out.append("|---|---|---|---|")
    out += ["", "## Details", ""]
    if launch.get("backends"):
        out.append(f"**Launch** ({launch['server']}, {launch['concurrency']} concurrent clients, "
                   f"median of {launch['repeats']} runs of {launch['duration_s']} s, tool and baseline alternating):")
        out.append("")
        out.append("| backend | server | launches/s | p50 | p95 | p99 ms | errors | client CPU ms/launch | "
                   "server CPU ms/launch | per request p95 ms |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for backend, e in launch["backends"].items():
            for label in ("tool", "baseline", "ltijs"):
                if "launches_per_s" not in e.get(label, {}):
                    continue
                x = e[label]
                per = ", ".join(f"{k} {v['p95']}" for k, v in x["runs"][0].get("per_request_ms", {}).items())
                out.append(f"| {backend} | {label} | {x['launches_per_s']} | {x['p50_ms']} | {x['p95_ms']} | "
                           f"{x['p99_ms']} | {x['errors']} | {x['client_cpu_ms_per_launch']} | "
                           f"{server_cpu(x)} | {per} |")
        out.append("")
    if learner.get("backends"):
        out.append(f"**Learner traffic** ({learner['server']}, {learner['concurrency']} clients, median of "
                   f"{learner['repeats']} runs of {learner['duration_s']} s, module `{learner['module']}`):")
        out.append("")
        out.append("| backend | operation | per s | p50 | p95 | p99 ms | errors | client CPU ms/op | server CPU ms/op |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for backend, e in learner["backends"].items():
            for label in ("lesson_view", "lesson_completion", "quiz_submission", "quiz_attempt_cycle"):
                if label in e:
                    x = e[label]
                    out.append(f"| {backend} | {label} | {x['per_s']} | {x['p50_ms']} | {x['p95_ms']} | {x['p99_ms']} | "
                               f"{x['errors']} | {x['client_cpu_ms_per_op']} | {server_cpu(x)} |")
        out.append("")
    if "latency_ms" in load:
        out.append(f"**Load test** ({load['servers']}; PostgreSQL + Redis shared): {load['launched']} launched, "
                   f"{load['finished']} finished, {load['requests']} requests ({load['requests_per_s']}/s), "
                   f"events in the database {load['db']['events']} of {load['expected_events']} expected, "
                   f"completed {load['db']['completed_rows']} / certificates {load['db']['certificates']} of "
                   f"{load['expected_completed']} expected, server tracebacks {load['server_tracebacks']}.")
        out.append("")
        out.append("| request | n | p50 | p95 | p99 ms |")
        out.append("|---|---|---|---|---|")
        for k, v in load["per_request_ms"].items():
            out.append(f"| {k} | {v['n']} | {v['p50']} | {v['p95']} | {v['p99']} |")
        out.append("")
    growth = r.get("growth", {})
    if growth.get("table"):
        sizes = [f"{s['rows']:,} rows" for s in growth["sizes"]]
        out.append("**Growth** (PostgreSQL + Redis, gunicorn 4×2; p50 (p95) in ms, the factor is the p50 of the "
                   "largest size over the smallest's):")
        out.append("")
        out.append("| figure | " + " | ".join(sizes) + " | factor |")
        out.append("|---|" + "---|" * len(sizes) + "---|")
        for row in growth["table"]:
            out.append(f"| {row['figure']} | " + " | ".join(row["ms"]) + f" | {row['factor']}× |")
        out.append("")
    if "quiet_ms" in dash:
        out.append(f"**Dashboard** ({dash['rows']:,} progress rows → {dash['rollup_rows']:,} month counters; backfill "
                   f"{dash['backfill_seconds']} s): quiet p50/p95 per filter — " + ", ".join(
                       f"{k} {v['p50']}/{v['p95']} ms" for k, v in dash["quiet_ms"].items())
                   + f"; learners meanwhile per s: {dash.get('learner_phases_per_s')}.")
        out.append("")
    failed = [k for k, v in r.items() if isinstance(v, dict) and "failed" in v]
    if failed:
        out.append("Failed steps: " + ", ".join(failed))
    out.append("")
    out.append("Raw figures, every run: `bench/results.json`.")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated steps: " + ", ".join(STEPS))
    parser.add_argument("--out", default=str(BENCH))
    parser.add_argument("--merge", action="store_true",
                        help="keep the other steps' results of an existing results.json (re-running some steps)")
    args = parser.parse_args()
    steps = [s for s in args.only.split(",") if s] or list(STEPS)
    began = time.time()
    results: dict = {}
    previous = Path(args.out) / "results.json"
    merged_from = None
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        results = {k: v for k, v in old["results"].items() if k not in steps}
        merged_from = old["meta"]["date"]
        for name, res in results.items():  # results of runs before steps carried their own date
            res.setdefault("ran_at", merged_from)
            res.setdefault("commit", old["meta"]["commit"])
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": git_commit(),
            "machine": machine(), "quick": QUICK, "targets": TARGETS,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "steps_pending": list(steps)}
    out = Path(args.out)
    for name in steps:
        results[name] = run_step(name, STEPS[name])
        meta["steps_pending"] = steps[steps.index(name) + 1:]
        meta["total_seconds"] = round(time.time() - began)
        if merged_from:
            meta["merged"] = f"re-ran {', '.join(steps)}; each step's own run below"
        data = {"meta": meta, "results": results}  # written after every step: a long run is never lost
        (out / "results.json").write_text(json.dumps(data, indent=1) + "\n")
        (out / "results.md").write_text(markdown(data))
    log(f"wrote {out / 'results.json'} and {out / 'results.md'}")


if __name__ == "__main__":
    main()
