"""Benchmark: complete LTI 1.3 launches against the tool, the pylti1p3 baseline and ltijs, side by side.

One launch = GET login initiation → 302 to the platform's auth URL (state, nonce, state cookie) → the
client, playing the platform, signs an id_token (RS256) for that nonce → POST id_token + state → the first
page (the tool: 303 to the module page, then GET it; the baseline renders its page in the launch answer).
ltijs (bench/ltijs_peer, PostgreSQL backend only): 302 to the app route with its ``ltik``, then GET it with the
session cookie. A launch counts only when its page is a 200 showing that launch's user (the name the platform
sent). ``--concurrency`` clients launch back to back; the tools' runs alternate, and the median of ``--repeats``
runs is reported, with the ratios tool/baseline and tool/ltijs (each from the same run). Server CPU per launch
is the CPU of the tool's processes plus PostgreSQL's and Redis's over the run, divided by the launches.

    .venv/bin/python bench/launch.py [--json] [--backends sqlite,postgres+redis] [--duration 10]
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    CLIENT_ID, DEPLOYMENT_ID, ISSUER, LtijsServer, available_backends, BenchPlatform, Gunicorn, Stats, bench_world, client_session, closed_loop, cpu_probe,
    latency_ms, launch_roundtrip, load_arguments, log, summarize_runs, tool_server,
)

MODULE = "finanzierung"


def baseline_server(b, platform_: BenchPlatform, workdir: Path, **kw) -> Gunicorn:
    key_file = workdir / "baseline-private.pem"
    key_file.write_bytes(platform_.private_pem)  # any RSA key: the baseline signs nothing in a launch
    env = {"BASELINE_ISSUER": ISSUER, "BASELINE_CLIENT_ID": CLIENT_ID, "BASELINE_DEPLOYMENT_ID": DEPLOYMENT_ID,
           "BASELINE_AUTH_LOGIN_URL": platform_.auth_url, "BASELINE_AUTH_TOKEN_URL": platform_.base + "/token",
           "BASELINE_KEY_SET_URL": platform_.jwks_url, "BASELINE_PRIVATE_KEY_FILE": str(key_file),
           "BASELINE_CACHE_DIR": str(workdir / "baseline-cache")}
    if b.redis_url:
        env.update(BASELINE_REDIS_URL=b.redis_url, BASELINE_REDIS_PREFIX=b.redis_prefix + "baseline:")
    return Gunicorn("bench.baseline_tool:create_app()", env, workdir, name="baseline", **kw)


PATHS = {"tool": {}, "baseline": {"login_path": "/login", "launch_path": "/launch"},
         "ltijs": {"login_path": "/login", "launch_path": "/"}}


async def measure(server, platform_: BenchPlatform, concurrency: int, duration: float, warmup: float,
                  label: str, users: list[str]) -> dict:
    """One closed-loop run; the platform's JWKS server counts to the peers' CPU (they fetch it per launch)."""
    stats = Stats()
    paths = PATHS[label]

    async def op(i: int, st: Stats) -> str:
        await launch_roundtrip(http, st, platform_, server.url, server.url, random.choice(users), MODULE, **paths)
        return "launch"

    async with client_session(concurrency) as http:
        result = await closed_loop(concurrency, duration, warmup, op, stats, probe=cpu_probe(server, platform_))
    result["per_request_ms"] = {k[5:]: latency_ms(v) for k, v in stats.latencies.items() if k.startswith("http:")}
    result["client_sign_ms_p50"] = latency_ms(stats.latencies.get("client:sign", []))["p50"]
    if stats.examples:
        result["error_examples"] = stats.examples
    return result


def run(backends: list[str], concurrency: int, duration: float, repeats: int, warmup: float,
        workers: int, threads: int, latency_concurrency: int = 4) -> dict:
    out: dict = {"concurrency": concurrency, "duration_s": duration, "repeats": repeats, "module": MODULE,
                 "server": f"gunicorn -k gthread -w {workers} --threads {threads}", "backends": {}}
    for name in available_backends(backends, out):
        with contextlib.ExitStack() as stack:
            b, platform_, workdir = stack.enter_context(bench_world(name, "launch"))
            tool = stack.enter_context(tool_server(b, workdir, workers=workers, threads=threads))
            base = stack.enter_context(baseline_server(b, platform_, workdir, workers=workers, threads=threads))
            servers = {"tool": tool, "baseline": base}
            ltijs_reason = LtijsServer.available() if name != "sqlite" else "ltijs runs on PostgreSQL only"
            if ltijs_reason is None:  # as many Node processes as gunicorn workers
                servers["ltijs"] = stack.enter_context(LtijsServer(platform_, workdir, workers=workers))
            users = [f"bench-user-{i}" for i in range(500)]
            runs: dict[str, list[dict]] = {label: [] for label in servers}
            latency_runs: list[dict] = []
            for r in range(repeats):
                # The latency target is set at 4 concurrent (below saturation): a run of the tool alone.
                latency_runs.append(asyncio.run(measure(tool, platform_, latency_concurrency, duration, warmup,
                                                        "tool", users)))
                log(f"launch {name} tool at {latency_concurrency} concurrent run {r + 1}: "
                    f"p95 {latency_runs[-1]['p95']} ms")
                for label, server in servers.items():
                    result = asyncio.run(measure(server, platform_, concurrency, duration, warmup, label, users))
                    log(f"launch {name} {label} run {r + 1}: {result['ops_per_s']}/s p95 {result['p95']} ms "
                        f"errors {result['errors']} CPU ms/launch {result.get('server_cpu_ms_per_op')} "
                        f"client {result['client_cpu_ms_per_op']}")
                    runs[label].append(result)
            entry: dict = {}
            for label, rs in runs.items():
                entry[label] = summarize_runs(rs, "launches_per_s", "client_cpu_ms_per_launch")
                entry[label]["server_tracebacks"] = servers[label].errors_logged()
                entry[label]["server"] = servers[label].describe()
                entry[label]["server_cpu_ms_per_launch"] = median_cpu(rs, label)
            entry["tool_at_latency_concurrency"] = {
                "concurrency": latency_concurrency, **summarize_runs(latency_runs, "launches_per_s")}
            if "ltijs" not in servers:
                entry["ltijs"] = {"skipped": ltijs_reason}
            for peer in ("baseline", "ltijs"):
                if peer not in runs:
                    continue
                # Ratios from the same run (the machine's load changes between runs), then their median.
                ratios = [a["ops_per_s"] / b_["ops_per_s"] for a, b_ in zip(runs["tool"], runs[peer])
                          if b_["ops_per_s"]]
                entry[f"throughput_ratio_tool_vs_{peer}"] = round(statistics.median(ratios), 2) if ratios else None
                entry[f"throughput_ratio_per_run_vs_{peer}"] = [round(x, 2) for x in ratios]
            entry["throughput_ratio_per_run"] = entry.get("throughput_ratio_per_run_vs_baseline", [])
            out["backends"][name] = entry
    return out


def median_cpu(runs: list[dict], label: str) -> float | None:
    """Server CPU ms per complete launch: the tool's (or peer's) processes plus the database and cache servers
    (and the platform's JWKS server, which the peers ask on every launch), median over the runs."""
    per_run = []
    for r in runs:
        cpu = r.get("server_cpu_ms_per_op") or {}
        per_run.append(sum(v for k, v in cpu.items() if k in (label, "postgres", "redis", "platform_jwks")))
    return round(statistics.median(per_run), 2) if per_run else None


def main() -> None:
    parser = load_arguments(__doc__, "sqlite,postgres+redis", concurrency=8, duration=12)
    parser.add_argument("--latency-concurrency", type=int, default=4)
    args = parser.parse_args()
    result = run(args.backends.split(","), args.concurrency, args.duration, args.repeats, args.warmup,
                 args.workers, args.threads, args.latency_concurrency)
    if args.json:
        print(json.dumps(result))
    else:
        for name, e in result["backends"].items():
            if "skipped" in e:
                print(f"{name}: skipped ({e['skipped']})")
                continue
            for label in ("tool", "baseline", "ltijs"):
                x = e.get(label, {})
                if "launches_per_s" not in x:
                    print(f"{name:16} {label:9} skipped ({x.get('skipped')})")
                    continue
                print(f"{name:16} {label:9} {x['launches_per_s']:7}/s  p50 {x['p50_ms']} p95 {x['p95_ms']} "
                      f"p99 {x['p99_ms']} ms  errors {x['errors']}")
            print(f"{name:16} ratio tool/baseline: {e['throughput_ratio_tool_vs_baseline']}, tool/ltijs: "
                  f"{e.get('throughput_ratio_tool_vs_ltijs')}")


if __name__ == "__main__":
    main()
