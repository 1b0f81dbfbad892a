"""Load test: simulated learners against several tool servers (processes on different ports, ``--servers``, 4 by
default) sharing PostgreSQL and Redis: 1,000 learners arriving over 10 minutes (``BENCH_QUICK=1``: 40 in 40 s).

Each learner arrives at its own time (arrivals spread evenly over the first 80 % of ``--duration``), starts
the OIDC login on one server and posts the launch to the *other* (servers alternate per learner), then walks
through the module with think times — module page, every lesson read and marked done, the quiz (all on one
page; about half the learners answer correctly, pass, complete the module and get a certificate issued in
that request), the result page — every page on the next server in turn (sessions are shared).

Afterwards the database must hold exactly the events the client caused: one ``lesson_viewed`` and one
``lesson_completed`` per lesson and learner, one ``quiz_attempt`` per learner; a ``module_progress`` row per
learner, completed for those who passed, and one certificate each.

    .venv/bin/python bench/loadtest.py [--json] [--learners 300] [--duration 300]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    QUICK, HttpError, Stats, bench_world, client_session, db_scalar, find_csrf,
    latency_ms, launch_roundtrip, postgres_available, request, tool_server,
)
from bench.learner import ATTEMPT_RE, MODULE, answer_form, load_module, random_answers  # noqa: E402


def correct_answers(module) -> dict[str, list[str]]:
    return {"q-" + q.id: [o.id for o in q.options if o.correct] for q in module.quiz.questions}


async def learner_journey(n: int, http, stats: Stats, platform_, urls: list[str], module, think: tuple[float, float],
                          rng: random.Random, outcome: dict) -> None:
    sub = f"load-{n:05d}"
    a, b = urls[n % len(urls)], urls[(n + 1) % len(urls)]
    turn = [n]

    def host() -> str:
        turn[0] += 1
        return urls[turn[0] % len(urls)]

    async def pause() -> None:
        await asyncio.sleep(rng.uniform(*think))

    try:
        launched = await launch_roundtrip(http, stats, platform_, a, b, sub, MODULE)  # login on a, launch on b
        sid = launched.sid
        outcome["launched"] += 1
        csrf = ""
        for lesson in module.lessons:
            await pause()
            _, _, page, _ = await request(http, stats, "lesson_view", "GET",
                                          f"{host()}/module/{MODULE}/lesson/{lesson.id}?ls={sid}")
            csrf = csrf or find_csrf(page)
            outcome["expected_events"] += 1
            await pause()
            await request(http, stats, "lesson_done", "POST", f"{host()}/module/{MODULE}/lesson/{lesson.id}/done",
                          expect=(303,), data={"ls": sid, "csrf": csrf})
            outcome["expected_events"] += 1
        await pause()
        base = f"{host()}/module/{MODULE}"
        await request(http, stats, "quiz_page", "GET", f"{base}/quiz?ls={sid}")
        await request(http, stats, "quiz_start", "POST", f"{host()}/module/{MODULE}/quiz/start", expect=(303,),
                      data={"ls": sid, "csrf": csrf})
        _, _, page, _ = await request(http, stats, "quiz_form", "GET", f"{host()}/module/{MODULE}/quiz/attempt?ls={sid}")
        token = ATTEMPT_RE.search(page)
        if not token:
            raise HttpError("no attempt token")
        passing = n % 2 == 0
        answers = correct_answers(module) if passing else random_answers(module, rng)
        await pause()
        _, headers, _, _ = await request(
            http, stats, "quiz_submit", "POST", f"{host()}/module/{MODULE}/quiz/attempt", expect=(303,),
            data=answer_form(module, answers, {"ls": sid, "csrf": csrf, "attempt": token.group(1), "action": "submit"}))
        outcome["expected_events"] += 1
        if passing:
            outcome["expected_completed"] += 1
        result_url = headers["location"]
        result_url = result_url if result_url.startswith("http") else host() + result_url
        await request(http, stats, "quiz_result", "GET", result_url)
        await request(http, stats, "module_page", "GET", f"{host()}/module/{MODULE}?ls={sid}")
        outcome["finished"] += 1
    except Exception as exc:  # noqa: BLE001 - an error ends this learner's journey and is counted
        stats.error(type(exc).__name__, str(exc))


async def drive(urls: list[str], platform_, learners: int, duration: float, think: tuple[float, float]) -> dict:
    module = load_module()
    stats = Stats()
    outcome = {"launched": 0, "finished": 0, "expected_events": 0, "expected_completed": 0}
    arrival_window = duration * 0.8
    began = time.perf_counter()
    async with client_session(400) as http:
        async def arrive(n: int) -> None:
            await asyncio.sleep(n * arrival_window / learners)
            await learner_journey(n, http, stats, platform_, urls, module, think, random.Random(n), outcome)

        await asyncio.gather(*(arrive(n) for n in range(learners)))
    wall = time.perf_counter() - began
    requests = [x for k, v in stats.latencies.items() if k.startswith("http:") for x in v]
    return {
        "learners": learners, "wall_seconds": round(wall, 1), **outcome,
        "requests": len(requests), "requests_per_s": round(len(requests) / wall, 1),
        "errors": stats.total_errors(), "error_examples": stats.examples,
        "latency_ms": latency_ms(requests),
        "per_request_ms": {k[5:]: {**latency_ms(v), "n": len(v)} for k, v in stats.latencies.items()
                           if k.startswith("http:")},
    }


def run(learners: int, duration: float, think: tuple[float, float], workers: int, threads: int,
        servers: int = 4) -> dict:
    reason = postgres_available()
    if reason:
        return {"skipped": reason}
    with contextlib.ExitStack() as stack:
        b, platform_, workdir = stack.enter_context(bench_world("postgres+redis", "load"))
        hosts = [stack.enter_context(tool_server(b, workdir, workers=workers, threads=threads, name=f"host-{i}"))
                 for i in range(servers)]
        result = asyncio.run(drive([h.url for h in hosts], platform_, learners, duration, think))
        result["servers"] = (f"{servers} × gunicorn -k gthread -w {workers} --threads {threads} "
                             f"(ports {', '.join(str(h.port) for h in hosts)})")
        result["server_count"] = servers
        result["server_tracebacks"] = sum(h.errors_logged() for h in hosts)
        events = db_scalar(b, "SELECT count(*) FROM progress_events WHERE sub LIKE 'load-%'")
        completed = db_scalar(b, "SELECT count(*) FROM module_progress WHERE sub LIKE 'load-%' AND completed")
        certificates = db_scalar(b, "SELECT count(*) FROM certificates")
        result["db"] = {"events": events, "completed_rows": completed, "certificates": certificates}
        result["lost_events"] = result["expected_events"] - events
        result["duplicate_or_extra_events"] = max(0, events - result["expected_events"])
        result["all_events_accounted_for"] = events == result["expected_events"]
        result["completions_accounted_for"] = completed == certificates == result["expected_completed"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=40 if QUICK else 1000)
    parser.add_argument("--duration", type=float, default=40 if QUICK else 600)
    parser.add_argument("--servers", type=int, default=4, help="tool processes sharing PostgreSQL and Redis")
    parser.add_argument("--think-min", type=float, default=0.3 if QUICK else 0.5)
    parser.add_argument("--think-max", type=float, default=1.0 if QUICK else 3.0)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per tool server (default 1)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.learners, args.duration, (args.think_min, args.think_max), args.workers, args.threads,
                 args.servers)
    if args.json:
        print(json.dumps(result))
        return
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
