"""``vamos lti …``, ``vamos serve`` and ``vamos demo``: thin commands over the LTI tool."""
from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta


def _db(args=None):
    from .config import ToolConfig
    from .db import Database

    config = ToolConfig.from_env()
    db = Database(config.database_url)
    if config.auto_migrate:
        db.migrate()
    return config, db


def cmd_migrate(args) -> int:
    from .config import ToolConfig
    from .db import Database

    db = Database(ToolConfig.from_env().database_url)
    db.migrate()
    print("database schema is up to date")
    return 0


def _print_urls(base_url: str, reg) -> None:
    from .registrations import tool_urls

    urls = tool_urls(base_url or "https://<your-tool-host>", reg)
    print("Paste into the platform's tool configuration:")
    print(f"  Login URL (OIDC initiation): {urls.login}")
    print(f"    (or, if the platform sends no client_id: {urls.login_for_registration})")
    print(f"  Launch / redirect URL:       {urls.launch}")
    print(f"  Public keyset URL (JWKS):    {urls.jwks}")


def cmd_add_platform(args) -> int:
    from . import registrations

    config, db = _db()
    with db.session() as s:
        reg = registrations.add_platform(
            s,
            issuer=args.issuer,
            client_id=args.client_id,
            auth_login_url=args.auth_login_url,
            auth_token_url=args.auth_token_url,
            key_set_url=args.key_set_url,
            deployment_ids=args.deployment_id or [],
            auth_audience=args.auth_audience,
            name=args.name or "",
        )
        print(f"registered {reg.name} (registration {reg.id})")
        print(f"  issuer={reg.issuer} client_id={reg.client_id}")
        for dep in reg.deployments:
            print(f"  deployment {dep.deployment_id}: {dep.status}")
        _print_urls(args.base_url or config.base_url, reg)
    return 0


def cmd_list_platforms(args) -> int:
    from . import registrations

    config, db = _db()
    with db.session() as s:
        regs = registrations.list_registrations(s)
        if not regs:
            print("no platforms registered (vamos lti add-platform …)")
        for reg in regs:
            print(f"{reg.id}  {reg.name}")
            print(f"  issuer:     {reg.issuer}")
            print(f"  client_id:  {reg.client_id}")
            print(f"  auth login: {reg.auth_login_url}")
            print(f"  token:      {reg.auth_token_url}" + (f" (audience {reg.auth_audience})" if reg.auth_audience else ""))
            print(f"  JWKS:       {reg.key_set_url}")
            for dep in reg.deployments:
                print(f"  deployment {dep.deployment_id}: {dep.status}")
    return 0


def cmd_list_deployments(args) -> int:
    from . import registrations

    config, db = _db()
    with db.session() as s:
        deps = registrations.list_deployments(s, args.status)
        if not deps:
            print("no deployments" + (f" with status {args.status}" if args.status else ""))
        for dep in deps:
            print(f"{dep.status:8} {dep.deployment_id}  issuer={dep.registration.issuer} "
                  f"client_id={dep.registration.client_id} first seen {dep.created_at:%Y-%m-%d %H:%M}")
    return 0


def cmd_approve_deployment(args) -> int:
    from . import registrations

    config, db = _db()
    with db.session() as s:
        reg = registrations.find_registration(s, args.issuer, args.client_id)
        if reg is None:
            print("no such registration (issuer/client_id); see vamos lti list-platforms", file=sys.stderr)
            return 1
        dep = registrations.approve_deployment(s, reg, args.deployment_id)
        print(f"deployment {dep.deployment_id} of {reg.issuer} is {dep.status}")
    return 0


def cmd_rotate_keys(args) -> int:
    from . import keys

    config, db = _db()
    overlap = timedelta(hours=args.overlap_hours if args.overlap_hours is not None else config.key_overlap_hours)
    with db.session() as s:
        new, old = keys.rotate(s, overlap)
        print(f"new signing key {new.kid}")
        for key in old:
            print(f"key {key.kid} stays published until {key.retire_at:%Y-%m-%d %H:%M} UTC, then retires")
    return 0


def cmd_rotate_credential_key(args) -> int:
    """A new credential signing key. Old credential keys stay published: credentials they signed must verify."""
    from . import credential_keys

    _config, db = _db()
    with db.session() as s:
        new, old = credential_keys.rotate(s)
        print(f"new credential key {new.kid}")
        for key in old:
            print(f"credential key {key.kid} no longer signs and stays published")
    return 0


def _send_outbox(sender, once: bool, poll_interval: float, what: str) -> int:
    """One pass with --once, else the worker loop until stopped (SIGTERM/Ctrl-C)."""
    import signal

    from .outbox import OutboxWorker

    if once:
        r = sender.run_until_idle()
        print(f"{what} sent={r.sent} delayed={r.retried} failed={r.failed}")
        return 0
    worker = OutboxWorker(sender, poll_interval)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop(timeout=0))
    print(f"sending {what} (stop with Ctrl-C)", flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_sync_scores(args) -> int:
    """Send the score outbox (AGS)."""
    from .cache import make_cache
    from .score_sync import ScoreSender, retry_failed

    config, db = _db()
    cache = make_cache(config, db)
    if args.retry_failed:
        print(f"{retry_failed(db)} failed score(s) queued again")
    return _send_outbox(ScoreSender.from_config(config, db, cache), args.once, config.score_poll_interval, "scores")


def cmd_sync_xapi(args) -> int:
    """Send the xAPI outbox to the learning record store."""
    from .xapi_outbox import XapiSender, retry_failed

    config, db = _db()
    if not config.xapi_lrs_url:
        print("VAMOS_XAPI_LRS_URL ist nicht gesetzt: kein LRS konfiguriert.")
        return 2
    if args.retry_failed:
        print(f"{retry_failed(db)} failed statement(s) queued again")
    return _send_outbox(XapiSender.from_config(config, db), args.once, config.xapi_poll_interval, "statements")


def cmd_retention(args) -> int:
    """Pseudonymise learner-level data of people inactive for longer than the retention period."""
    from . import coordination, dsgvo

    config, db = _db()
    days = args.days if args.days is not None else config.retention_days
    if days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    count = dsgvo.retention(db, days)
    with db.session() as s:
        coordination.audit(s, None, "retention", {"days": days}, count, actor_issuer="*")
    print(f"retention {days} days: {count} person(s) pseudonymised")
    return 0


def cmd_rebuild_rollups(args) -> int:
    """Recompute the dashboard counters from the rows (after rows were written by SQL, not by the tool);
    ``--check`` only compares them with the figures computed from the rows, per platform."""
    from sqlalchemy import select

    from . import reports, rollups
    from .models import ModuleProgress

    _, db = _db()
    if not args.check:
        with db.connection() as conn:
            count = rollups.rebuild(conn)
        print(f"dashboard counters rebuilt from the rows: {count} counters")
        return 0
    with db.session() as s:
        platforms = list(s.scalars(select(ModuleProgress.issuer).distinct()))
    differing = []
    for platform in platforms:
        filters = reports.Filters(platforms=[platform])
        rolled, rows = reports.dashboard(db, filters), reports.dashboard_from_rows(db, filters)
        if [rolled.total.get(f) for f in reports.FACTS] != [rows.total.get(f) for f in reports.FACTS] or \
                [(m["id"], *(m[f] for f in reports.FACTS)) for m in rolled.modules] != \
                [(m["id"], *(m[f] for f in reports.FACTS)) for m in rows.modules if any(m[f] for f in reports.FACTS)]:
            differing.append(platform)
    for platform in differing:
        print(f"counters differ from the rows: {platform} (run without --check to rebuild)")
    print(f"{len(platforms) - len(differing)} of {len(platforms)} platform(s) agree with the rows")
    return 1 if differing else 0


def cmd_grant_platform(args) -> int:
    """Grant (or with --revoke take back) a further platform to a coordinator."""
    from . import coordination

    config, db = _db()
    with db.session() as s:
        if args.revoke:
            changed = coordination.revoke_grant(s, args.coordinator_issuer, args.coordinator_sub, args.platform)
            print("grant removed" if changed else "no such grant")
        else:
            changed = coordination.grant(s, args.coordinator_issuer, args.coordinator_sub, args.platform)
            print("platform granted" if changed else "already granted")
    return 0


def cmd_serve(args) -> int:
    from werkzeug.serving import run_simple

    from .app import create_app

    app = create_app()
    print(f"VAMOs LTI tool (development server) on http://{args.host}:{args.port}/ — use gunicorn in production")
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0


def cmd_demo(args) -> int:
    from pathlib import Path

    from .config import ToolConfig
    from .demo_platform.run import start_demo

    config = ToolConfig.from_env(instance_dir=Path(args.instance), database_url="", redis_url="", auto_migrate=True)
    import logging

    from .demo_platform.platform import DEMO_USERS

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request: the addresses stay on screen
    demo = start_demo(config, tool_port=args.tool_port, platform_port=args.platform_port)
    print("VAMOs-Demo (nur zur Entwicklung, nicht für den Betrieb)")
    print(f"  Demo-Lernplattform: {demo.platform_url}/   ← im Browser öffnen")
    print(f"  Werkzeug (Tool):    {demo.tool_url}/   (SQLite in {config.instance_dir})")
    print("  Personen in der Demo-Lernplattform:")
    for user in DEMO_USERS.values():
        print(f"    {user.name:<18} {user.role_label}")
    print(f"\nÖffnen Sie {demo.platform_url}/ und klicken Sie bei einem Modul und einer Person auf „Starten“."
          "\nAndere Ports: TOOL_PORT=8001 LMS_PORT=8000 make demo. Beenden mit Strg+C.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping")
    finally:
        demo.stop()
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    lti = subparsers.add_parser("lti", help="manage the LTI 1.3 tool (platforms, deployments, keys)")
    lti_sub = lti.add_subparsers(dest="lti_command", required=True, metavar="LTI_COMMAND")

    migrate = lti_sub.add_parser("migrate", help="create or upgrade the database schema (Alembic)")
    migrate.set_defaults(func=cmd_migrate)

    add = lti_sub.add_parser("add-platform", help="register a platform (LMS) by hand")
    add.add_argument("--issuer", required=True)
    add.add_argument("--client-id", required=True)
    add.add_argument("--deployment-id", action="append", help="may be repeated; listed deployments are active")
    add.add_argument("--auth-login-url", required=True, help="platform's OIDC authorization endpoint")
    add.add_argument("--auth-token-url", required=True, help="platform's OAuth2 token endpoint")
    add.add_argument("--key-set-url", required=True, help="platform's public JWKS URL")
    add.add_argument("--auth-audience", help="audience for token requests, if the platform needs one")
    add.add_argument("--name", help="a label, e.g. 'Moodle Landesverband'")
    add.add_argument("--base-url", help="public URL of this tool (default VAMOS_BASE_URL)")
    add.set_defaults(func=cmd_add_platform)

    lst = lti_sub.add_parser("list-platforms", help="list registered platforms and deployments")
    lst.set_defaults(func=cmd_list_platforms)

    deps = lti_sub.add_parser("list-deployments", help="list deployments (e.g. --status pending)")
    deps.add_argument("--status", choices=["active", "pending"])
    deps.set_defaults(func=cmd_list_deployments)

    approve = lti_sub.add_parser("approve-deployment", help="activate a (pending) deployment")
    approve.add_argument("--issuer", required=True)
    approve.add_argument("--client-id", required=True)
    approve.add_argument("--deployment-id", required=True)
    approve.set_defaults(func=cmd_approve_deployment)

    rotate = lti_sub.add_parser("rotate-keys", help="add a new tool signing key; old keys retire after an overlap")
    rotate.add_argument("--overlap-hours", type=int, help="default VAMOS_KEY_OVERLAP_HOURS (72)")
    rotate.set_defaults(func=cmd_rotate_keys)
    rotate_cred = lti_sub.add_parser("rotate-credential-key",
                                     help="add a new key for signing credentials; old ones stay published")
    rotate_cred.set_defaults(func=cmd_rotate_credential_key)

    sync = lti_sub.add_parser("sync-scores", help="send scores to the platforms' gradebooks (AGS outbox worker)")
    sync.add_argument("--once", action="store_true", help="send what is due now, then exit")
    sync.add_argument("--retry-failed", action="store_true", help="queue permanently failed scores again first")
    sync.set_defaults(func=cmd_sync_scores)

    xapi = lti_sub.add_parser("sync-xapi", help="send xAPI statements to the learning record store (outbox worker)")
    xapi.add_argument("--once", action="store_true", help="send what is due now, then exit")
    xapi.add_argument("--retry-failed", action="store_true", help="queue permanently failed statements again first")
    xapi.set_defaults(func=cmd_sync_xapi)

    retention = lti_sub.add_parser("retention", help="pseudonymise learner data after the retention period (DSGVO)")
    retention.add_argument("--days", type=int, help="default VAMOS_RETENTION_DAYS (730)")
    retention.set_defaults(func=cmd_retention)

    rebuild = lti_sub.add_parser("rebuild-rollups", help="recompute the dashboard counters from the rows")
    rebuild.add_argument("--check", action="store_true", help="only compare the counters with the rows")
    rebuild.set_defaults(func=cmd_rebuild_rollups)

    grant = lti_sub.add_parser("grant-platform", help="let a coordinator see a further platform's reports")
    grant.add_argument("--coordinator-issuer", required=True, help="issuer the coordinator launches from")
    grant.add_argument("--coordinator-sub", required=True, help="the coordinator's user id (sub) on that platform")
    grant.add_argument("--platform", required=True, help="issuer of the platform to grant")
    grant.add_argument("--revoke", action="store_true", help="remove the grant instead")
    grant.set_defaults(func=cmd_grant_platform)

    serve = subparsers.add_parser("serve", help="run the LTI tool with the development server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.set_defaults(func=cmd_serve)

    demo = subparsers.add_parser("demo", help="start the tool and a local demo LMS (development aid)")
    demo.add_argument("--tool-port", type=int, default=5001)
    demo.add_argument("--platform-port", type=int, default=5000)
    demo.add_argument("--instance", default="instance/demo", help="folder for the demo's SQLite database")
    demo.set_defaults(func=cmd_demo)
