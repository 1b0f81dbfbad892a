"""A real learning record store for the tests: Ralph (``ralph-malph[lrs]`` from PyPI, the test extra of setup.py),
its LRS API served by uvicorn on 127.0.0.1 (through ``run_ralph.py``, which works around a write-mode bug of
Ralph 5.1's filesystem backend) with the *filesystem* backend (statements in a JSON-lines file: no
Elasticsearch, MongoDB or ClickHouse needed) and HTTP basic auth from an ``auth.json`` it reads.

Ralph 5.1 installs into the project's venv without changing any of our pinned dependencies (checked with
``pip install --dry-run`` and ``pip check``), so no separate venv is needed.

``stop()``/``start()`` take the LRS away and bring it back on the same port with the same statement file: the
outage tests.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser_support import skip_or_fail

XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ralph:
    def __init__(self, folder: Path):
        import bcrypt  # a dependency of ralph-malph[lrs]

        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.username = "vamos-tool"
        self.password = secrets.token_urlsafe(24)
        self.password_file = folder / "lrs-password"
        self.password_file.write_text(self.password)
        # Ralph's credentials file: a bcrypt hash, the scopes, and the agent that becomes the statements' authority.
        (folder / "auth.json").write_text(json.dumps([{
            "agent": {"objectType": "Agent", "account": {"homePage": "http://127.0.0.1", "name": "vamos-tool"}},
            "scopes": ["all"],
            "hash": bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode(),
            "username": self.username,
        }]))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = folder / "ralph.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url + "/xAPI/"

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.password

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "RALPH_APP_DIR": str(self.folder / "app"),
            "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder / "statements"),
            "RALPH_BACKENDS__LRS__FS__DEFAULT_LRS_FILE": "statements.jsonl",
        }
        (self.folder / "statements").mkdir(exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("run_ralph.py")), "127.0.0.1", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Ralph stopped at start:\n" + self.log.read_text()[-3000:])
            try:
                if requests.get(self.url + "/__heartbeat__", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling a condition (the server answering), not a fixed wait
        raise RuntimeError("Ralph did not answer in time:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def statements(self, **params) -> list[dict]:
        """Every statement the LRS returns for the query (following ``more`` links)."""
        out: list[dict] = []
        url = self.url + "/xAPI/statements"
        query = {"limit": 100, **params}
        while url:
            r = requests.get(url, params=query, auth=self.auth, headers=XAPI_HEADERS, timeout=10)
            r.raise_for_status()
            body = r.json()
            out.extend(body["statements"])
            more = body.get("more")
            url, query = (self.url + more, None) if more else (None, None)
        return out

    def stored_lines(self) -> list[dict]:
        """The raw statement file of the filesystem backend: one line per stored statement (duplicates would
        show here even if a query folded them)."""
        path = self.folder / "statements" / "statements.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def ralph(tmp_path_factory):
    """One Ralph LRS per test session (import this fixture into the test module)."""
    import importlib.util

    # find_spec, not import: importing ralph.api here would build its app with this process's settings.
    if importlib.util.find_spec("ralph") is None or importlib.util.find_spec("uvicorn") is None:
        skip_or_fail("ralph-malph[lrs] not installed (pip install -e '.[test]')")
    lrs = Ralph(tmp_path_factory.mktemp("ralph"))
    lrs.start()
    yield lrs
    lrs.stop()
