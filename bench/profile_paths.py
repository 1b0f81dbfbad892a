"""Profile the hot paths in one process: launch round trip, lesson view, quiz submission.

Runs the tool's Flask app in this process (test client: no HTTP, no gunicorn) against a real backend and
reports CPU milliseconds per operation of *this* process (the database and Redis servers are not counted),
the number of SQL statements per operation, and optionally a pyinstrument profile. This is how the figures in
bench/perf_log.md were taken.

    .venv/bin/python bench/profile_paths.py [--backend postgres+redis|sqlite] [--path launch|lesson|quiz]
                                            [-n 300] [--profile]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    CLIENT_ID, ISSUER, BenchPlatform, bench_world, find_csrf,
)
from bench.learner import ATTEMPT_RE, answer_form, load_module, random_answers  # noqa: E402

MODULE = "kommunikation-im-verband"


class Client:
    """The learner's browser and the platform, played against the test client."""

    def __init__(self, app, platform_: BenchPlatform):
        self.http = app.test_client(use_cookies=False)
        self.platform = platform_

    def launch(self, sub: str, module: str = MODULE) -> dict:
        params = {"iss": ISSUER, "client_id": CLIENT_ID, "login_hint": sub,
                  "target_link_uri": "http://localhost/lti/launch", "lti_message_hint": "bench-link"}
        r = self.http.get("/lti/login?" + urlencode(params))
        assert r.status_code == 302, r.status_code
        query = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
        token = self.platform.id_token(query["nonce"], sub, "bench-link", module, "http://localhost/lti/launch")
        state_cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("vamos_lti_state_"))
        r = self.http.post("/lti/launch", data={"id_token": token, "state": query["state"]},
                           headers={"Cookie": state_cookie.split(";", 1)[0]})
        assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[:300])
        target = r.headers["Location"]
        page = self.http.get(target)
        assert page.status_code == 200, page.status_code
        sid = parse_qs(urlsplit(target).query)["ls"][0]
        return {"sid": sid, "csrf": find_csrf(page.get_data(as_text=True))}


def count_statements(engine) -> list[int]:
    from sqlalchemy import event

    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        counter[0] += 1

    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgres+redis")
    parser.add_argument("--path", default="launch", choices=["launch", "lesson", "quiz"])
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the measured part")
    parser.add_argument("--cprofile", action="store_true",
                        help="print cProfile's own-time table of the measured part (exact call counts)")
    args = parser.parse_args()

    import os

    from werkzeug.datastructures import MultiDict

    with bench_world(args.backend, "profile") as (b, platform_, workdir):
        os.environ.update({**b.env(), "VAMOS_INSTANCE_DIR": str(workdir / "instance"), "VAMOS_LOG_LEVEL": "WARNING",
                           "VAMOS_SECRET_KEY": "profile-secret-" + "x" * 32})
        from lti_tool import create_app

        app = create_app()
        client = Client(app, platform_)
        module = load_module(MODULE)
        rng = random.Random(1)
        statements = count_statements(app.extensions["vamos"].db.engine)
        for i in range(30):  # warm caches, pools and the JWKS
            client.launch(f"warm-{i}")

        if args.path == "launch":
            subs = [f"user-{i % 200}" for i in range(args.n)]

            def op(i: int) -> None:
                client.launch(subs[i])
        else:
            learners = [client.launch(f"learner-{i}") for i in range(max(16, args.n // 3 + 1))]
            lessons = [lesson.id for lesson in module.lessons]
            for learner in learners:  # every lesson seen once: the measured views are repeat views
                for lesson in lessons:
                    client.http.get(f"/module/{MODULE}/lesson/{lesson}?ls={learner['sid']}")
                learner["csrf"] = learner["csrf"] or find_csrf(client.http.get(
                    f"/module/{MODULE}/lesson/{lessons[0]}?ls={learner['sid']}").get_data(as_text=True))

            if args.path == "lesson":
                def op(i: int) -> None:
                    learner = learners[i % len(learners)]
                    r = client.http.get(f"/module/{MODULE}/lesson/{rng.choice(lessons)}?ls={learner['sid']}")
                    assert r.status_code == 200
            else:
                def op(i: int) -> None:
                    learner = learners[i % len(learners)]
                    fields = {"ls": learner["sid"], "csrf": learner["csrf"]}
                    r = client.http.post(f"/module/{MODULE}/quiz/start", data=fields)
                    assert r.status_code == 303, r.status_code
                    page = client.http.get(f"/module/{MODULE}/quiz/attempt?ls={learner['sid']}")
                    token = ATTEMPT_RE.search(page.get_data(as_text=True)).group(1)
                    form = answer_form(module, random_answers(module, rng),
                                       {**fields, "attempt": token, "action": "submit"})
                    r = client.http.post(f"/module/{MODULE}/quiz/attempt", data=MultiDict(form))
                    assert r.status_code in (303, 409), r.status_code

        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        statements[0] = 0
        exact = None
        if args.cprofile:
            import cProfile

            exact = cProfile.Profile()
            exact.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(args.n):
            op(i)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if exact:
            import pstats

            exact.disable()
            pstats.Stats(exact).sort_stats("tottime").print_stats(40)
        if profiler:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"{args.path} on {args.backend}: {cpu * 1000 / args.n:.2f} ms CPU / op in this process, "
              f"{wall * 1000 / args.n:.2f} ms wall / op, {statements[0] / args.n:.1f} SQL statements / op "
              f"(n={args.n})")


if __name__ == "__main__":
    main()
