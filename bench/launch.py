"""Benchmark: complete LTI 1.3 launches against the tool and the pylti1p3 baseline, side by side.

One launch = GET login initiation → 302 to the platform's auth URL (state, nonce, state cookie) → the
client, playing the platform, signs an id_token (RS256) for that nonce → POST id_token + state → the first
page (the tool: 303 to the module page, then GET it; the baseline renders its page in the launch answer).
``--concurrency`` clients launch back to back; tool and baseline runs alternate, and the median of
``--repeats`` runs is reported, with the ratio tool/baseline.

    .venv/bin/python bench/launch.py [--json] [--backends sqlite,postgres+redis] [--duration 10]
"""
from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    CLIENT_ID, DEPLOYMENT_ID, ISSUER, available_backends, BenchPlatform, Gunicorn, Stats, bench_world, client_session, closed_loop, cpu_probe,
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


async def measure(server: Gunicorn, platform_: BenchPlatform, concurrency: int, duration: float, warmup: float,
                  baseline: bool, users: list[str]) -> dict:
    """One closed-loop run; the platform's JWKS server counts to the baseline's CPU (it fetches per launch)."""
    stats = Stats()
    paths = {"login_path": "/login", "launch_path": "/launch"} if baseline else {}

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
        workers: int, threads: int) -> dict:
    out: dict = {"concurrency": concurrency, "duration_s": duration, "repeats": repeats, "module": MODULE,
                 "server": f"gunicorn -k gthread -w {workers} --threads {threads}", "backends": {}}
    for name in available_backends(backends, out):
        with bench_world(name, "launch") as (b, platform_, workdir), \
                tool_server(b, workdir, workers=workers, threads=threads) as tool, \
                baseline_server(b, platform_, workdir, workers=workers, threads=threads) as base:
            users = [f"bench-user-{i}" for i in range(500)]
            runs: dict[str, list[dict]] = {"tool": [], "baseline": []}
            for r in range(repeats):
                for label, server in (("tool", tool), ("baseline", base)):
                    result = asyncio.run(measure(server, platform_, concurrency, duration, warmup,
                                                 label == "baseline", users))
                    log(f"launch {name} {label} run {r + 1}: {result['ops_per_s']}/s p95 {result['p95']} ms "
                        f"errors {result['errors']} CPU ms/launch {result.get('server_cpu_ms_per_op')} "
                        f"client {result['client_cpu_ms_per_op']}")
                    runs[label].append(result)
            entry = {}
            for label, rs in runs.items():
                entry[label] = summarize_runs(rs, "launches_per_s", "client_cpu_ms_per_launch")
                entry[label]["server_tracebacks"] = (tool if label == "tool" else base).errors_logged()
            t, bl = entry["tool"]["launches_per_s"], entry["baseline"]["launches_per_s"]
            entry["throughput_ratio_tool_vs_baseline"] = round(t / bl, 2) if t and bl else None
            ratios = [a["ops_per_s"] / b_["ops_per_s"] for a, b_ in zip(runs["tool"], runs["baseline"])
                      if b_["ops_per_s"]]
            entry["throughput_ratio_per_run"] = [round(x, 2) for x in ratios]
            out["backends"][name] = entry
    return out


def main() -> None:
    args = load_arguments(__doc__, "sqlite,postgres+redis", concurrency=8, duration=12).parse_args()
    result = run(args.backends.split(","), args.concurrency, args.duration, args.repeats, args.warmup,
                 args.workers, args.threads)
    if args.json:
        print(json.dumps(result))
    else:
        for name, e in result["backends"].items():
            if "skipped" in e:
                print(f"{name}: skipped ({e['skipped']})")
                continue
            for label in ("tool", "baseline"):
                x = e[label]
                print(f"{name:16} {label:9} {x['launches_per_s']:7}/s  p50 {x['p50_ms']} p95 {x['p95_ms']} "
                      f"p99 {x['p99_ms']} ms  errors {x['errors']}")
            print(f"{name:16} ratio tool/baseline: {e['throughput_ratio_tool_vs_baseline']}")


if __name__ == "__main__":
    main()
