"""Shared pieces of the benchmarks: machine facts, backends, gunicorn servers, a platform that signs
id_tokens, and an asyncio load client (aiohttp) with latency statistics.

Everything listens on 127.0.0.1 only, on free ports, and is torn down by the context managers.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
VENV_BIN = Path(sys.executable).parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

# SIGTERM (e.g. from run_all or a timeout) unwinds like Ctrl-C, so servers and schemas are torn down.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

PG_BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

ISSUER = "https://platform.bench.invalid"
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "bench-deployment"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


# ---------------------------------------------------------------- machine and statistics


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gib = round(int(line.split()[1]) / 2**20, 1)
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram_gib,
            "python": platform.python_version(), "os": platform.platform()}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out + ("+uncommitted changes" if dirty else "") if out else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_ms(values: list[float]) -> dict:
    return {f"p{p}": round(percentile(values, p) * 1000, 1) if values else None for p in (50, 95, 99)}


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def load_arguments(description: str, backends: str, concurrency: int, duration: float):
    """The options every closed-loop HTTP benchmark takes (QUICK mode shortens the defaults)."""
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=backends)
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--duration", type=float, default=4 if QUICK else duration)
    parser.add_argument("--warmup", type=float, default=1 if QUICK else 2)
    parser.add_argument("--repeats", type=int, default=1 if QUICK else 3)
    # The production recommendation (docs/lti.md): 2 processes per core with 2 threads each. Measured on 2 cores:
    # 4 × 2 serves ~40 % more lesson views than 2 × 4 at a lower p95 (fewer threads contend for one GIL).
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    return parser


def summarize_runs(runs: list[dict], rate_key: str = "per_s", cpu_key: str = "client_cpu_ms_per_op") -> dict:
    """Medians over repeated runs of one operation (rate, latency percentiles, client CPU) plus the raw runs."""
    return {
        rate_key: median_of(runs, "ops_per_s"),
        "p50_ms": median_of(runs, "p50"), "p95_ms": median_of(runs, "p95"), "p99_ms": median_of(runs, "p99"),
        "errors": sum(r["errors"] for r in runs),
        cpu_key: median_of(runs, "client_cpu_ms_per_op"),
        "client_cpu_share_of_machine": median_of(runs, "client_cpu_share_of_machine"),
        "runs": runs,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the platform (signing keys, JWKS)


class BenchPlatform:
    """Plays the LTI platform: an RSA key whose JWKS is served over HTTP by a separate process
    (``python -m http.server``), and id_tokens signed with it for each login's nonce."""

    name = "platform_jwks"

    def __init__(self, workdir: Path):
        from cryptography.hazmat.primitives import serialization
        from jwcrypto.jwk import JWK

        jwk = JWK.generate(kty="RSA", size=2048)
        self.kid = jwk.thumbprint()
        self.private_pem = jwk.export_to_pem(private_key=True, password=None)
        self.key = serialization.load_pem_private_key(self.private_pem, None)
        public = json.loads(jwk.export_public())
        public.update(kid=self.kid, alg="RS256", use="sig")
        self.dir = workdir / "platform"
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "jwks.json").write_text(json.dumps({"keys": [public]}))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        return self.base + "/jwks.json"

    @property
    def auth_url(self) -> str:
        return self.base + "/authorize"  # never requested: the client reads state/nonce from the redirect

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                                      "--directory", str(self.dir)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_http(self.jwks_url)

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)

    def id_token(self, nonce: str, sub: str, link: str, module: str | None, target: str) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300, "nonce": nonce,
            "name": display_name(sub), CLAIM + "deployment_id": DEPLOYMENT_ID,
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "roles": [LEARNER_ROLE], CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": link, "title": "Bench link"},
            CLAIM + "context": {"id": "bench-course", "title": "Bench course", "label": "BENCH"},
            CLAIM + "launch_presentation": {"document_target": "iframe", "locale": "de-DE"},
        }
        if module:
            claims[CLAIM + "custom"] = {"module": module}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


def display_name(sub: str) -> str:
    """The name the platform sends for ``sub``: unique per user, so a page can prove whose launch it shows."""
    return f"Bench Lernende {sub[-12:]}"


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


# ---------------------------------------------------------------- backends


@dataclass
class Backend:
    """Where a tool keeps its state: ``sqlite`` (file + SQL launch cache) or ``postgres+redis``."""

    name: str
    database_url: str
    redis_url: str = ""
    redis_prefix: str = ""
    schema: str | None = None

    def env(self) -> dict:
        env = {"VAMOS_DATABASE_URL": self.database_url, "VAMOS_REDIS_URL": self.redis_url,
               "VAMOS_AUTO_MIGRATE": "0"}
        if self.redis_prefix:
            env["VAMOS_REDIS_PREFIX"] = self.redis_prefix
        return env


def postgres_available() -> str | None:
    """None if PostgreSQL and Redis answer, else the reason."""
    try:
        import psycopg

        with psycopg.connect(_psycopg_url(PG_BASE_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable ({type(exc).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable ({type(exc).__name__})"
    return None


def _psycopg_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


@contextlib.contextmanager
def backend(name: str, workdir: Path, platform_: BenchPlatform):
    """A migrated, empty database with the bench platform registered; removed afterwards."""
    from lti_tool.db import Database

    if name == "sqlite":
        path = workdir / f"tool-{secrets.token_hex(3)}.sqlite3"
        b = Backend(name, f"sqlite:///{path}")
    else:
        schema = f"vamos_bench_{secrets.token_hex(4)}"
        import psycopg

        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = PG_BASE_URL + ("&" if "?" in PG_BASE_URL else "?") + f"options=-csearch_path%3D{schema}"
        b = Backend(name, url, REDIS_URL, f"vamos:bench:{secrets.token_hex(4)}:", schema)
    db = Database(b.database_url)
    try:
        db.migrate()
        register_platform(db, platform_)
        yield b
    finally:
        db.dispose()
        if b.schema:
            drop_schema(b.schema, b.redis_prefix)


def register_platform(db, platform_: "BenchPlatform") -> None:
    """The bench platform (issuer, client id, deployment, its JWKS URL) registered in the tool's database."""
    from lti_tool import registrations

    with db.session() as s:
        registrations.add_platform(s, issuer=ISSUER, client_id=CLIENT_ID, auth_login_url=platform_.auth_url,
                                   auth_token_url=platform_.base + "/token", key_set_url=platform_.jwks_url,
                                   deployment_ids=[DEPLOYMENT_ID], name="Bench platform")


def drop_schema(schema: str, redis_prefix: str = "") -> None:
    """Remove a bench schema and the Redis keys under its prefix."""
    import psycopg
    import redis

    with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    if redis_prefix:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(redis_prefix + "*"):
            client.delete(key)


def available_backends(names: list[str], out: dict):
    """The backend names that can run here; the others are recorded in ``out["backends"]`` with the reason."""
    for name in names:
        reason = None if name == "sqlite" else postgres_available()
        if reason:
            out["backends"][name] = {"skipped": reason}
        else:
            yield name


@contextlib.contextmanager
def bench_world(name: str, prefix: str):
    """A work folder, a started platform (JWKS server) and a migrated ``name`` backend with the platform
    registered: ``(backend, platform, workdir)``; all removed afterwards."""
    workdir = fresh_workdir(prefix)
    platform_ = BenchPlatform(workdir)
    platform_.start()
    try:
        with backend(name, workdir, platform_) as b:
            yield b, platform_, workdir
    finally:
        platform_.stop()
        remove_workdir(workdir)


@contextlib.contextmanager
def generated_world(label: str):
    """For benchmarks that generate their rows by SQL (dashboard, growth): a PostgreSQL schema of their own,
    migrated, a work folder and a (not yet started) bench platform; ``(url, schema, redis_prefix, workdir,
    platform, db)``, all removed afterwards."""
    import psycopg

    from bench.reports import schema_url  # bench.reports builds on this module
    from lti_tool.db import Database

    schema = f"vamos_bench_{label}_{secrets.token_hex(4)}"
    url = schema_url(schema)
    prefix = f"vamos:bench:{secrets.token_hex(4)}:"
    with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    workdir = fresh_workdir(label)
    platform_ = BenchPlatform(workdir)
    db = Database(url)
    try:
        db.migrate()
        yield url, schema, prefix, workdir, platform_, db
    finally:
        db.dispose()
        platform_.stop()
        remove_workdir(workdir)
        drop_schema(schema, prefix)


def settle(b: Backend) -> None:
    """After a bulk set-up (thousands of launches), before timed runs: VACUUM ANALYZE and a checkpoint, as pgbench
    does before each run, so the timed phase does not pay for the set-up's autovacuum and checkpoint work."""
    if b.schema:
        import psycopg

        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (b.schema,))]
            for table in tables:
                conn.execute(f'VACUUM ANALYZE "{b.schema}"."{table}"')
            conn.execute("CHECKPOINT")
    else:
        import sqlite3

        conn = sqlite3.connect(b.database_url.removeprefix("sqlite:///"), timeout=30)
        try:
            conn.execute("ANALYZE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def db_scalar(b: Backend, sql: str):
    from sqlalchemy import create_engine, text

    engine = create_engine(b.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- gunicorn


class Gunicorn:
    """``gunicorn APP`` on a free port of 127.0.0.1 (gthread workers: keep-alive, like behind a proxy)."""

    def __init__(self, app: str, env: dict, workdir: Path, workers: int = 4, threads: int = 2, name: str = "tool"):
        self.app, self.workers, self.threads, self.name = app, workers, threads, name
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "VAMOS_LOG_LEVEL": "WARNING",
                    "VAMOS_INSTANCE_DIR": str(workdir / "instance"), "VAMOS_SECRET_KEY": "bench-secret-" + "x" * 32,
                    **env}
        self.log_path = workdir / f"gunicorn-{name}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"gunicorn -k gthread -w {self.workers} --threads {self.threads}"

    def __enter__(self) -> "Gunicorn":
        cmd = [str(VENV_BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers), "-k", os.environ.get("BENCH_GUNICORN_WORKER", "gthread"),
               "--threads", str(self.threads), "--keep-alive", "30", "--log-level", "warning",
               *(["-c", os.environ["BENCH_GUNICORN_CONFIG"]] if os.environ.get("BENCH_GUNICORN_CONFIG") else []), self.app]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "wb"))
        return _started(self)

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)

    def errors_logged(self) -> int:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text.count("Traceback")


def _started(server):
    """The server once its /healthz answers and its processes are idle (every worker has finished starting: the
    tool's workers prepare fonts and templates before they serve, and a worker still doing so would compete with
    the timed run); stopped, with its log's end in the error, if it never answers."""
    try:
        wait_http(server.url + "/healthz")
    except RuntimeError:
        server.__exit__()
        raise RuntimeError(f"{server.name} did not start: {server.log_path.read_text()[-2000:]}")
    _wait_idle(server)
    return server


def _wait_idle(server, timeout: float = 60.0) -> None:
    """Until the server's process tree used under 5 % of a core over half a second (or ``timeout``)."""
    probe = cpu_probe(server)
    deadline = time.monotonic() + timeout
    before = probe()[server.name]
    while time.monotonic() < deadline:
        time.sleep(0.5)  # sampling the CPU counters: the condition is "idle", measured over an interval
        now = probe()[server.name]
        if now - before < 0.025:
            return
        before = now


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM, 20 s to finish, then SIGKILL."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class LtijsServer:
    """The ltijs peer (bench/ltijs_peer): ``node index.js`` with NODE_ENV=production, ``workers`` Node processes
    (cluster) on a free port, its tables in a PostgreSQL database of its own (ltijs-sequelize's migrations name
    the ``public`` schema, so a schema of its own would not do)."""

    DIR = REPO / "bench" / "ltijs_peer"

    def __init__(self, platform_: "BenchPlatform", workdir: Path, workers: int = 4, name: str = "ltijs"):
        self.name, self.workers, self.port = name, workers, free_port()
        self.database = f"vamos_bench_ltijs_{secrets.token_hex(4)}"
        db = urlsplit(_psycopg_url(PG_BASE_URL))
        self.env = {**os.environ, "NODE_ENV": "production", "LTIJS_PORT": str(self.port),
                    "LTIJS_WORKERS": str(workers), "LTIJS_KEY": secrets.token_hex(16),
                    "LTIJS_DB_NAME": self.database, "LTIJS_DB_USER": db.username or "postgres",
                    "LTIJS_DB_PASS": db.password or "", "LTIJS_DB_HOST": db.hostname or "127.0.0.1",
                    "LTIJS_DB_PORT": str(db.port or 5432),
                    "LTIJS_ISSUER": ISSUER, "LTIJS_CLIENT_ID": CLIENT_ID, "LTIJS_AUTH_URL": platform_.auth_url,
                    "LTIJS_TOKEN_URL": platform_.base + "/token", "LTIJS_KEYSET_URL": platform_.jwks_url}
        self.log_path = workdir / f"ltijs-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"ltijs (node cluster × {self.workers}, NODE_ENV=production, ltijs-sequelize on PostgreSQL)"

    @staticmethod
    def available() -> str | None:
        if not shutil.which("node"):
            return "node not installed"
        if not (LtijsServer.DIR / "node_modules" / "ltijs").is_dir():
            return "bench/ltijs_peer/node_modules missing (make bench installs it)"
        return postgres_available()

    def __enter__(self) -> "LtijsServer":
        import psycopg

        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.proc = subprocess.Popen([shutil.which("node"), "index.js"], cwd=self.DIR, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "wb"))
        return _started(self)

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)
        import psycopg

        with psycopg.connect(_psycopg_url(PG_BASE_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def errors_logged(self) -> int:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text.count("Error")


def tool_server(b: Backend, workdir: Path, **kw) -> Gunicorn:
    return Gunicorn("lti_tool:create_app()", b.env(), workdir, **kw)


# ---------------------------------------------------------------- the load client


class Stats:
    """Latencies (seconds) per kind of operation, and errors with a few examples."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.examples: list[str] = []
        self.recording = True

    def add(self, kind: str, seconds: float) -> None:
        if self.recording:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {detail[:300]}")

    def total_errors(self) -> int:
        return sum(self.errors.values())


class HttpError(Exception):
    pass


def client_session(limit: int = 0):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=limit or 100, force_close=False, ttl_dns_cache=None)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def request(http, stats: Stats, kind: str, method: str, url: str, expect: tuple[int, ...] = (200,),
                  cookies: dict | None = None, **kw) -> tuple[int, dict, str, float]:
    """One HTTP request, timed; raises HttpError on an unexpected status."""
    headers = kw.pop("headers", {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    began = time.perf_counter()
    async with http.request(method, url, allow_redirects=False, headers=headers, **kw) as resp:
        body = await resp.text()
        elapsed = time.perf_counter() - began
        status = resp.status
        resp_headers = {"location": resp.headers.get("Location", ""),
                        "set-cookie": resp.headers.getall("Set-Cookie", [])}
    stats.add("http:" + kind, elapsed)
    if status not in expect:
        raise HttpError(f"{kind} {method} {url[:80]} -> {status} {body[:200]}")
    return status, resp_headers, body, elapsed


def cookies_from(headers: dict) -> dict:
    """Name and value of every Set-Cookie (its first ``name=value`` pair). Not ``http.cookies.SimpleCookie``:
    it drops the whole header when it meets an attribute it does not know, such as ``Partitioned`` (CHIPS)."""
    jar = {}
    for raw in headers.get("set-cookie", []):
        name, sep, value = raw.split(";", 1)[0].partition("=")
        if sep and name.strip() and "max-age=0" not in raw.lower().replace(" ", ""):  # not a deletion
            jar[name.strip()] = value.strip()
    return jar


def absolute(base: str, location: str) -> str:
    return location if location.startswith("http") else base + location


@dataclass
class Launched:
    sub: str
    base: str  # where the launch landed
    page_url: str  # the first page (module page)
    sid: str
    csrf: str = ""
    page: str = ""


async def launch_roundtrip(http, stats: Stats, platform_: BenchPlatform, login_base: str, launch_base: str,
                           sub: str, module: str | None, link: str = "bench-link",
                           login_path: str = "/lti/login", launch_path: str = "/lti/launch",
                           fetch_first_page: bool = True) -> Launched:
    """OIDC login initiation → auth redirect (state, nonce) → signed id_token → launch → first page."""
    params = {"iss": ISSUER, "client_id": CLIENT_ID, "login_hint": sub, "target_link_uri": launch_base + launch_path,
              "lti_message_hint": link}
    _, headers, _, _ = await request(http, stats, "login", "GET", login_base + login_path + "?" + urlencode(params),
                                     expect=(302,))
    auth = urlsplit(headers["location"])
    query = {k: v[0] for k, v in parse_qs(auth.query).items()}
    if query.get("redirect_uri", "").split("/", 3)[-1] != (launch_base + launch_path).split("/", 3)[-1]:
        raise HttpError(f"unexpected redirect_uri {query.get('redirect_uri')}")
    began = time.perf_counter()
    id_token = platform_.id_token(query["nonce"], sub, link, module, launch_base + launch_path)
    stats.add("client:sign", time.perf_counter() - began)
    cookies = cookies_from(headers)
    status, headers, body, _ = await request(http, stats, "launch", "POST", launch_base + launch_path,
                                             expect=(200, 302, 303), cookies=cookies,
                                             data={"id_token": id_token, "state": query["state"]})
    if status == 200:  # the baseline answers the launch with its first page
        return _shows_user(Launched(sub, launch_base, launch_base + launch_path, "", page=body))
    target = absolute(launch_base, headers["location"])
    sid = parse_qs(urlsplit(target).query).get("ls", [""])[0]
    launched = Launched(sub, launch_base, target, sid)
    if fetch_first_page:
        # ltijs checks its session cookie on the page after the launch; the other tools set none.
        _, _, body, _ = await request(http, stats, "first_page", "GET", target,
                                      cookies={**cookies, **cookies_from(headers)} or None)
        launched.page = body
        launched.csrf = find_csrf(body)
        _shows_user(launched)
    return launched


def _shows_user(launched: Launched) -> Launched:
    """A launch counts only when its page shows that launch's user (a page of another session would not)."""
    if html.escape(display_name(launched.sub)) not in launched.page:
        raise HttpError(f"the first page does not show the launch's user: {launched.page[:200]!r}")
    return launched


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def find_csrf(page: str) -> str:
    m = CSRF_RE.search(page)
    return html.unescape(m.group(1)) if m else ""


def _proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm, rest = (entry / "stat").read_text().rsplit(")", 1)
                out.append((int(entry.name), int(rest.split()[1]), comm.split("(", 1)[1]))
            except (OSError, IndexError, ValueError):
                continue
    return out


def cpu_probe(*servers) -> Callable[[], dict[str, float]]:
    """CPU seconds used so far by each server's process tree and by the PostgreSQL and Redis servers: the
    difference over a measured run, divided by the operations, is the machine's CPU cost per operation."""
    def snapshot() -> dict[str, float]:
        procs = _processes()
        children: dict[int, list[int]] = {}
        for pid, ppid, _ in procs:
            children.setdefault(ppid, []).append(pid)
        out: dict[str, float] = {}
        for server in servers:
            tree, todo = [], [server.proc.pid] if server.proc else []
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(children.get(pid, []))
            out[server.name] = sum(_proc_cpu_seconds(pid) for pid in tree)
        out["postgres"] = sum(_proc_cpu_seconds(pid) for pid, _, name in procs if name.startswith("postgres"))
        out["redis"] = sum(_proc_cpu_seconds(pid) for pid, _, name in procs if name.startswith("redis-server"))
        return out

    return snapshot


async def closed_loop(concurrency: int, duration: float, warmup: float,
                      op: Callable[[int, Stats], Awaitable[str | None]], stats: Stats,
                      probe: Callable[[], dict[str, float]] | None = None) -> dict:
    """``concurrency`` workers run ``op`` back to back for ``warmup + duration`` seconds; only the last
    ``duration`` seconds count. Returns operations/s, latency percentiles, client CPU and, with a ``probe``
    (``cpu_probe``), the servers' CPU milliseconds per operation."""
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + duration
    done: list[float] = []
    stats.recording = False
    cpu0 = None
    servers0: dict[str, float] = {}

    async def worker(i: int) -> None:
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            if now >= measure_from and not stats.recording:
                stats.recording = True
            try:
                began = time.perf_counter()
                kind = await op(i, stats) or "op"
                finished = time.perf_counter()
                if began >= measure_from and finished <= end:
                    done.append(finished - began)
                    stats.add("op:" + kind, finished - began)
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                if time.perf_counter() >= measure_from:
                    stats.error(type(exc).__name__, str(exc))
                await asyncio.sleep(0.05)  # a failing operation must not spin

    async def cpu_marker() -> None:
        nonlocal cpu0, servers0
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        servers0 = probe() if probe else {}

    marker = asyncio.ensure_future(cpu_marker())
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    await marker
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    servers1 = probe() if probe else {}
    client_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime) if cpu0 else 0.0
    http_requests = sum(len(v) for k, v in stats.latencies.items() if k.startswith("http:"))
    return {
        "ops_per_s": round(len(done) / duration, 1),
        "ops": len(done),
        **latency_ms(done),
        "errors": stats.total_errors(),
        "http_requests_per_s": round(http_requests / duration, 1),
        "client_cpu_share_of_machine": round(client_cpu / duration / (os.cpu_count() or 1), 3),
        "client_cpu_ms_per_op": round(client_cpu * 1000 / len(done), 2) if done else None,
        **({"server_cpu_ms_per_op": {name: round((servers1[name] - servers0.get(name, 0.0)) * 1000 / len(done), 2)
                                     for name in servers1}} if probe and done else {}),
    }


def fresh_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"vamos-bench-{prefix}-"))


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def new_sub() -> str:
    return "bench-" + uuid.uuid4().hex[:16]


@dataclass
class Timer:
    began: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return time.perf_counter() - self.began
