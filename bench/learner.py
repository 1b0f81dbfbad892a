"""Benchmark: learner traffic at 16 concurrent clients — lesson page views, lesson completions, quiz submissions.

Learners are launched first (real LTI launches, see bench/launch.py), then each phase runs ``--repeats`` times
for ``--duration`` seconds with ``--concurrency`` clients back to back (no think time):

* lesson view: GET a lesson page (records the view / reading position in the same transaction);
* lesson completion: POST "Lektion abgeschlossen" (an event + the derived progress row), each learner's
  lessons in order, then the next learner (a completion is never a repeat);
* quiz submission: POST the answers of an attempt (graded on the server, one event, the derived progress row and
  the score outbox in one transaction) — the attempts were started and their forms fetched before the timed
  run, so this is the submission alone;
* quiz attempt cycle: POST start → GET the attempt form → POST the answers, all timed together.

The module shows all questions on one page; learners never completed its lessons here, so no certificate is
issued. Fresh learners are launched for each write phase (``--pool``, ``--submit-pool``): a completion or an
attempt is never a repeat.

    .venv/bin/python bench/learner.py [--json] [--backends postgres+redis,sqlite]
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    QUICK, REPO, HttpError, available_backends, Stats, bench_world, client_session, closed_loop, cpu_probe, db_scalar, find_csrf, settle,
    latency_ms, launch_roundtrip, load_arguments, log, new_sub, request, summarize_runs, tool_server,
)

MODULE = "kommunikation-im-verband"  # 6 lessons, quiz all on one page, 3 attempts
PHASES = ("lesson_view", "lesson_completion", "quiz_submission", "quiz_attempt_cycle")
ATTEMPT_RE = re.compile(r'name="attempt" value="([^"]+)"')


def load_module(module_id: str = MODULE):
    from vamos_core.content import load_catalog

    return load_catalog(REPO / "course_content").get(module_id)


def random_answers(module, rng: random.Random) -> dict[str, list[str]]:
    answers = {}
    for q in module.quiz.questions:
        ids = [o.id for o in q.options]
        if q.type.value == "single":
            answers["q-" + q.id] = [rng.choice(ids)]
        else:
            answers["q-" + q.id] = rng.sample(ids, rng.randint(1, len(ids)))
    return answers


def answer_form(module, answers: dict[str, list[str]], extra: dict) -> list[tuple[str, str]]:
    form = list(extra.items())
    for name, values in answers.items():
        form.extend((name, v) for v in values)
    return form


async def launch_pool(http, platform_, url: str, count: int, concurrency: int = 8) -> list:
    stats = Stats()
    out: list = []
    first_lesson = load_module().lessons[0].id
    subs = [new_sub() for _ in range(count)]

    async def worker(i: int) -> None:
        while subs:
            sub = subs.pop()
            learner = await launch_roundtrip(http, stats, platform_, url, url, sub, MODULE)
            if not learner.csrf:  # the module page has no form: the first lesson page has the token
                _, _, page, _ = await request(http, stats, "lesson_view", "GET",
                                              f"{url}/module/{MODULE}/lesson/{first_lesson}?ls={learner.sid}")
                learner.csrf = find_csrf(page)
            out.append(learner)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return out


async def run_phases(url: str, platform_, concurrency: int, duration: float, warmup: float, repeats: int,
                     pool_size: int, submit_pool: int, probe=None, settle_db=None) -> dict:
    module = load_module()
    lessons = [lesson.id for lesson in module.lessons]
    rng = random.Random(7)
    base = f"{url}/module/{MODULE}"
    async with client_session(concurrency) as http:
        viewers = await launch_pool(http, platform_, url, concurrency)
        completers = await launch_pool(http, platform_, url, pool_size)
        submitters = await launch_pool(http, platform_, url, submit_pool)
        quizzers = await launch_pool(http, platform_, url, pool_size)
        log(f"learner: launched {len(viewers) + len(completers) + len(submitters) + len(quizzers)} learners")
        if settle_db is not None:
            settle_db()

        async def view(i: int, st: Stats) -> str:
            learner = viewers[i]
            lesson = lessons[rng.randrange(len(lessons))]
            await request(http, st, "lesson_view", "GET", f"{base}/lesson/{lesson}?ls={learner.sid}")
            return "lesson_view"

        completion_queue = [(learner, lesson) for learner in completers for lesson in lessons]
        completion_queue.reverse()

        async def complete(i: int, st: Stats) -> str:
            if not completion_queue:
                raise HttpError("completion pool exhausted")
            learner, lesson = completion_queue.pop()
            await request(http, st, "lesson_done", "POST", f"{base}/lesson/{lesson}/done", expect=(303,),
                          data={"ls": learner.sid, "csrf": learner.csrf})
            return "lesson_done"

        async def start_attempt(st: Stats, learner) -> tuple[dict, str]:
            fields = {"ls": learner.sid, "csrf": learner.csrf}
            await request(http, st, "quiz_start", "POST", f"{base}/quiz/start", expect=(303,), data=fields)
            _, _, page, _ = await request(http, st, "quiz_form", "GET", f"{base}/quiz/attempt?ls={learner.sid}")
            token = ATTEMPT_RE.search(page)
            if not token:
                raise HttpError("no attempt token in the quiz form")
            return fields, token.group(1)

        async def submit(st: Stats, fields: dict, token: str) -> None:
            form = answer_form(module, random_answers(module, rng), {**fields, "attempt": token, "action": "submit"})
            await request(http, st, "quiz_submit", "POST", f"{base}/quiz/attempt", expect=(303,), data=form)

        prepared: list[tuple[dict, str]] = []

        async def prepare_submissions() -> None:
            """Start one attempt per learner of the pool and fetch its form (not timed)."""
            prepared.clear()
            queue = list(submitters)

            async def worker() -> None:
                while queue:
                    prepared.append(await start_attempt(Stats(), queue.pop()))

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        async def submission(i: int, st: Stats) -> str:
            if not prepared:
                raise HttpError("submission pool exhausted")
            await submit(st, *prepared.pop())
            return "quiz_submission"

        # Round robin over the pool: one learner's attempts are far apart, so no two clients share a session.
        quiz_queue = [learner for _ in range(module.quiz.settings.max_attempts or 3) for learner in quizzers]
        quiz_queue.reverse()

        async def attempt_cycle(i: int, st: Stats) -> str:
            if not quiz_queue:
                raise HttpError("quiz pool exhausted")
            await submit(st, *await start_attempt(st, quiz_queue.pop()))
            return "quiz_attempt_cycle"

        results: dict[str, list[dict]] = {label: [] for label in PHASES}
        for r in range(repeats):
            for label, op in zip(PHASES, (view, complete, submission, attempt_cycle)):
                if label == "quiz_submission":
                    await prepare_submissions()
                stats = Stats()
                res = await closed_loop(concurrency, duration, warmup, op, stats, probe=probe)
                res["per_request_ms"] = {k[5:]: latency_ms(v) for k, v in stats.latencies.items()
                                         if k.startswith("http:")}
                if stats.examples:
                    res["error_examples"] = stats.examples
                results[label].append(res)
                log(f"learner {label} run {r + 1}: {res['ops_per_s']}/s p95 {res['p95']} ms errors {res['errors']} "
                    f"CPU ms/op {res.get('server_cpu_ms_per_op')} client {res['client_cpu_ms_per_op']}")
    return results


def run(backends: list[str], concurrency: int, duration: float, warmup: float, repeats: int, pool_size: int,
        submit_pool: int, workers: int, threads: int) -> dict:
    out: dict = {"concurrency": concurrency, "duration_s": duration, "repeats": repeats, "module": MODULE,
                 "server": f"gunicorn -k gthread -w {workers} --threads {threads}", "backends": {}}
    for name in available_backends(backends, out):
        with bench_world(name, "learner") as (b, platform_, workdir), \
                tool_server(b, workdir, workers=workers, threads=threads) as tool:
            results = asyncio.run(run_phases(tool.url, platform_, concurrency, duration, warmup, repeats,
                                             pool_size, submit_pool, probe=cpu_probe(tool),
                                             settle_db=lambda: settle(b)))
            entry = {label: summarize_runs(rs) for label, rs in results.items()}
            entry["server_tracebacks"] = tool.errors_logged()
            entry["events_in_db"] = db_scalar(b, "SELECT count(*) FROM progress_events")
            out["backends"][name] = entry
    return out


def main() -> None:
    parser = load_arguments(__doc__, "postgres+redis,sqlite", concurrency=16, duration=8)
    parser.add_argument("--pool", type=int, default=400 if QUICK else 2500,
                        help="learners launched for the completion and the attempt-cycle phase")
    parser.add_argument("--submit-pool", type=int, default=2000 if QUICK else 4500,
                        help="learners launched for the submission phase (one prepared attempt each per run)")
    args = parser.parse_args()
    result = run(args.backends.split(","), args.concurrency, args.duration, args.warmup, args.repeats, args.pool,
                 args.submit_pool, args.workers, args.threads)
    if args.json:
        print(json.dumps(result))
        return
    for name, e in result["backends"].items():
        if "skipped" in e:
            print(f"{name}: skipped ({e['skipped']})")
            continue
        for label in PHASES:
            x = e[label]
            print(f"{name:16} {label:18} {x['per_s']:7}/s  p50 {x['p50_ms']} p95 {x['p95_ms']} p99 {x['p99_ms']} ms  "
                  f"errors {x['errors']}")


if __name__ == "__main__":
    main()
