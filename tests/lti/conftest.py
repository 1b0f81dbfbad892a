"""Fixtures for the LTI tool tests: real HTTP servers on 127.0.0.1, a real LTI 1.3 platform.

* ``backend``: every end-to-end test runs twice — SQLite with the SQL launch cache, and
  PostgreSQL with Redis (skipped locally when those services are down, a failure on CI where
  VAMOS_REQUIRE_SERVICES=1).
* ``lti_env``: the tool (werkzeug server in a thread) plus the demo platform built on
  ``lti1p3platform`` (its own server), registered with each other. Nothing is mocked: the
  platform signs id_tokens with its RSA key and serves its JWKS over HTTP.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from lti_tool.config import ToolConfig
from lti_tool.db import Database
from lti_tool.demo_platform.platform import DemoPlatform
from lti_tool.demo_platform.run import start_demo
from lti_tool.models import Base
from tests.browser_support import skip_or_fail

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
PG_URL = os.environ.get("VAMOS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("VAMOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL schema of its own for this test session, migrated once, dropped at the end."""
    admin = create_engine(PG_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection problem means: no PostgreSQL here
        admin.dispose()
        skip_or_fail(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    schema = f"vamos_lti_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    db = Database(url)
    db.migrate()
    db.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    return REDIS_URL


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres+redis"])
def backend(request, tmp_path):
    """Config overrides for one storage backend, isolated per test."""
    if request.param == "sqlite":
        yield {"database_url": f"sqlite:///{tmp_path / 'tool.sqlite3'}", "redis_url": "", "auto_migrate": True}
        return
    url = request.getfixturevalue("pg_url")
    redis_url = request.getfixturevalue("redis_url")
    _truncate_all(url)
    prefix = f"vamos:test:{secrets.token_hex(4)}:"
    yield {"database_url": url, "redis_url": redis_url, "redis_prefix": prefix, "auto_migrate": False}
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)


def make_config(tmp_path: Path, backend: dict, **extra) -> ToolConfig:
    extra.setdefault("score_worker", "off")  # tests send scores explicitly unless they ask for the thread
    config = ToolConfig(
        instance_dir=tmp_path / "instance",
        secret_key="test-secret-" + secrets.token_hex(8),
        log_level="WARNING",
        **{"content_dir": str(FIXTURE_CONTENT), **backend, **extra},
    )
    config.finish()
    return config


def backend_env(backend: dict) -> dict:
    """The same backend as environment variables, for tool subprocesses and the CLI."""
    env = {
        "VAMOS_DATABASE_URL": backend["database_url"],
        "VAMOS_REDIS_URL": backend.get("redis_url", ""),
        "VAMOS_CONTENT_DIR": str(FIXTURE_CONTENT),
        "VAMOS_LOG_LEVEL": "WARNING",
    }
    if backend.get("redis_prefix"):
        env["VAMOS_REDIS_PREFIX"] = backend["redis_prefix"]
    return env


class CountingApp:
    """WSGI wrapper counting requests per path (e.g. how often the tool fetched the JWKS)."""

    def __init__(self, app):
        self.app = app
        self.hits: dict[str, int] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        self.hits[path] = self.hits.get(path, 0) + 1
        return self.app(environ, start_response)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


class BrowserSession(requests.Session):
    """An HTTP client that returns cookies as browsers do: ``Secure`` cookies also travel over plain HTTP to
    loopback hosts (potentially trustworthy origins), where the tool sets its partitioned cookies. (requests
    copies the jar into a fresh one per request, so a cookie policy would be lost; the flag is lifted here.)"""

    def prepare_request(self, request):
        for cookie in self.cookies:
            if cookie.secure and cookie.domain in LOOPBACK:
                cookie.secure = False
        return super().prepare_request(request)


def browser_session() -> requests.Session:
    return BrowserSession()


@dataclass
class Login:
    """What the browser holds after OIDC login: cookies, and the platform's auto-post form."""

    session: requests.Session
    action: str
    id_token: str
    state: str


FORM_RE = re.compile(
    r'action="(?P<action>[^"]+)".*?name="id_token" value="(?P<id_token>[^"]+)".*?name="state" value="(?P<state>[^"]+)"',
    re.S,
)


def parse_autopost(page: str) -> tuple[str, str, str]:
    m = FORM_RE.search(page)
    assert m, "no launch form in the page:\n" + page[:2000]
    return html.unescape(m["action"]), html.unescape(m["id_token"]), html.unescape(m["state"])


def unverified_claims(id_token: str) -> dict:
    body = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def error_code(response: requests.Response) -> str | None:
    m = re.search(r"Fehlercode: <code[^>]*>([a-z_]+)</code>", response.text)
    return m.group(1) if m else None


class LtiEnv:
    def __init__(self, config: ToolConfig, tool_server, platform_server, platform: DemoPlatform, tool_app, counter):
        self.config = config
        self.tool_server = tool_server
        self.platform_server = platform_server
        self.platform = platform
        self.tool_app = tool_app
        self.platform_hits = counter.hits

    @property
    def tool_url(self) -> str:
        return f"http://127.0.0.1:{self.tool_server.port}"

    @property
    def db(self) -> Database:
        return self.tool_app.extensions["vamos"].db

    def start_login(self, user: str = "lernende", link: str = "link-testmodul") -> Login:
        """Platform-initiated login over HTTP, through to the platform's signed auto-post form."""
        s = browser_session()
        r = s.get(self.platform.issuer + "/lti/initiate", params={"link": link, "user": user, "window": "1"})
        assert r.status_code == 200, r.text[:500]
        action, id_token, state = parse_autopost(r.text)
        return Login(s, action, id_token, state)

    def launch(self, login: Login, id_token: str | None = None, url: str | None = None, **kw) -> requests.Response:
        return login.session.post(
            url or login.action,
            data={"id_token": login.id_token if id_token is None else id_token, "state": login.state},
            **kw,
        )

    def count(self, model) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(model))


def start_env(config: ToolConfig, platform_host: str = "127.0.0.1") -> LtiEnv:
    """Tool and platform servers. ``platform_host="localhost"`` puts them on different sites,
    so a browser treats the tool's iframe as third-party."""
    demo = start_demo(config, platform_host=platform_host, start=False)
    tool_server, platform_server, platform, tool_app = demo.tool_server, demo.platform_server, demo.platform, demo.tool_app
    counter = CountingApp(platform_server.app)
    tool_counter = CountingApp(tool_app)
    tool_server.app = tool_counter
    platform_server.app = counter
    tool_server.start()
    platform_server.start()
    env = LtiEnv(config, tool_server, platform_server, platform, tool_app, counter)
    env.tool_hits = tool_counter.hits
    return env


@pytest.fixture
def lti_env(tmp_path, backend):
    env = start_env(make_config(tmp_path, backend))
    yield env
    env.platform_server.stop()
    env.tool_server.stop()
    env.db.dispose()


def run_cli(env: LtiEnv, *argv: str) -> int:
    """Run a ``vamos`` subcommand of lti_tool.cli against the environment's database."""
    import argparse
    from unittest import mock

    from lti_tool.cli import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(list(argv))
    backend = {"database_url": env.config.database_url, "redis_url": env.config.redis_url}
    with mock.patch.dict(os.environ, {**backend_env(backend), "VAMOS_INSTANCE_DIR": str(env.config.instance_dir)}):
        return args.func(args)
