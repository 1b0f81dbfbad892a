"""Authoring figures (issue 20, "what the new features must hold"): draft save + preview, and publishing a new
version while many learners have progress on the previous one.

In-process through the Flask test client (no HTTP, no gunicorn): the figures are the tool's own server time for
the two requests a trainer's edit costs (autosave of a lesson, then the live preview), on each backend.
Publishing is timed with ``--learners`` progress rows on the old version: publish does no per-learner work
(rows are re-derived lazily on each learner's next visit, ``progress.fresh``), so its time must not grow with them.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ISSUER, QUICK, available_backends, bench_world, latency_ms, log, settle  # noqa: E402


def run(name: str, edits: int, learners: int) -> dict:
    from sqlalchemy import insert

    from lti_tool.app import create_app
    from lti_tool.authoring.service import Author
    from lti_tool.config import ToolConfig
    from lti_tool.coordination import actor_hash
    from lti_tool.models import ModuleProgress, utcnow

    with bench_world(name, "vamos-bench-authoring-") as (b, _platform, workdir):
        config = ToolConfig(instance_dir=workdir / "instance", database_url=b.database_url, redis_url=b.redis_url,
                            redis_prefix=b.redis_prefix or "vamos:lti:", secret_key="bench", log_level="WARNING",
                            score_worker="off", auto_migrate=False)
        config.finish()
        app = create_app(config)
        tool = app.extensions["vamos"]
        author = Author(ISSUER, "trainer", None, actor_hash("bench", ISSUER, "trainer"))
        module_id = tool.authoring.copy(author, "projektmanagement")
        lesson_id = tool.authoring.draft(ISSUER, module_id).doc["lessons"][2]["meta"]["id"]
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        tool.cache.set("session:" + sid, {"role": "trainer", "issuer": ISSUER, "sub": "trainer", "csrf": csrf}, 3600)
        client = app.test_client()
        body = tool.authoring.draft(ISSUER, module_id).doc["lessons"][2]["body"]
        save_ms, preview_ms, both_ms = [], [], []
        for i in range(edits):
            draft = tool.authoring.draft(ISSUER, module_id)
            text = f"{body}\n\nÄnderung {i}: Ein weiterer Satz über das Projekt."
            form = {"ls": sid, "csrf": csrf, "revision": str(draft.revision), "title": "Lektion", "minutes": "12",
                    "body": text, "autosave": "1"}
            t0 = time.perf_counter()
            saved = client.post(f"/authoring/{module_id}/lessons/{lesson_id}", data=form)
            t1 = time.perf_counter()
            shown = client.post(f"/authoring/{module_id}/preview-text", data={"ls": sid, "csrf": csrf, "body": text})
            t2 = time.perf_counter()
            assert saved.status_code == 200 and shown.status_code == 200, (saved.status_code, shown.status_code)
            save_ms.append(t1 - t0)
            preview_ms.append(t2 - t1)
            both_ms.append(t2 - t0)

        # Version 1 published, then `learners` progress rows on it, then version 2 published (timed).
        draft = tool.authoring.draft(ISSUER, module_id)
        tool.authoring.publish(author, module_id, draft.revision, "Version 1")
        now = utcnow()
        rows = [dict(issuer=ISSUER, sub=f"learner-{n}", module_id=module_id, lessons_viewed="[]", lessons_done="[]",
                     quiz_attempts=0, passed=False, completed=False, percent=0, content_version="1", updated_at=now,
                     enrolled_at=now) for n in range(learners)]
        with tool.db.session() as s:
            for start in range(0, len(rows), 10000):
                s.execute(insert(ModuleProgress.__table__), rows[start:start + 10000])
        settle(b)

        def change(doc):
            doc["lessons"][0]["body"] += "\n\nNeu in Version 2: ein Absatz mehr."
        draft = tool.authoring.draft(ISSUER, module_id)
        tool.authoring.save(author, module_id, draft.revision, change)
        draft = tool.authoring.draft(ISSUER, module_id)
        t0 = time.perf_counter()
        number = tool.authoring.publish(author, module_id, draft.revision, "Version 2: ein Absatz mehr")
        publish_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = tool.modules.get(module_id, ISSUER)  # the first learner request after publishing loads v2 once
        load_s = time.perf_counter() - t0
        assert number == 2 and first.version == "2"
        tool.db.dispose()
        return {"edits": edits, "save": latency_ms(save_ms), "preview": latency_ms(preview_ms),
                "save_and_preview": latency_ms(both_ms), "learners_on_old_version": learners,
                "publish_s": round(publish_s, 4), "first_load_of_new_version_s": round(load_s, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres+redis")
    parser.add_argument("--edits", type=int, default=30 if QUICK else 200)
    parser.add_argument("--learners", type=int, default=10000 if QUICK else 100000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict = {"backends": {}}
    for name in available_backends(args.backends.split(","), out):
        log(f"authoring on {name}: {args.edits} edits, {args.learners} learners")
        out["backends"][name] = run(name, args.edits, args.learners)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
