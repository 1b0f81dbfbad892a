"""Login handled by one tool process, launch by another: the state, nonce and session live in
the shared store (PostgreSQL + Redis, or the SQLite file), never in process memory."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lti_tool.models import LtiUser

from .conftest import backend_env, error_code, make_config, start_env

TOOL_PROCESS = Path(__file__).with_name("tool_process.py")
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_tool(env_vars: dict, instance: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, **env_vars, "VAMOS_INSTANCE_DIR": str(instance), "VAMOS_SECRET_KEY": "shared-test-secret",
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(TOOL_PROCESS), str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    return proc, wait_until_healthy(proc, f"http://127.0.0.1:{port}", 180)


def wait_until_healthy(proc: subprocess.Popen, url: str, seconds: float) -> str:
    """Poll ``/healthz`` until the server answers or its process died (a condition, not a short deadline a busy
    2-core machine exceeds: the ceiling only catches a process that hangs); kill it and fail otherwise."""
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return url
        except requests.RequestException:  # not listening yet, or the worker still loading the app
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"server at {url} did not start (exit code {proc.poll()})")


@pytest.fixture
def two_processes(tmp_path, backend):
    # The in-process tool of start_env registers the platform and migrates; the platform's
    # OIDC login URL is then pointed at process A.
    env = start_env(make_config(tmp_path, backend))
    procs = []
    try:
        a, url_a = _start_tool(backend_env(backend), tmp_path / "instance")
        procs.append(a)
        b, url_b = _start_tool(backend_env(backend), tmp_path / "instance")
        procs.append(b)
        env.platform.tool_url = url_a
        yield env, url_a, url_b
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        env.platform_server.stop()
        env.tool_server.stop()
        env.db.dispose()


def test_login_on_one_process_launch_on_another(two_processes):
    env, url_a, url_b = two_processes
    login = env.start_login(user="trainer")
    assert login.action == url_a + "/lti/launch"  # the platform posts back to A …
    response = env.launch(login, url=url_b + "/lti/launch")  # … but the balancer sends it to B
    assert response.status_code == 200, response.text[:300]
    assert response.url.startswith(url_b + "/module/testmodul")
    assert "Angemeldet als: Trainerin oder Trainer" in response.text

    # The session made on B is readable on A.
    sid = response.url.split("ls=")[1]
    page_on_a = requests.get(url_a + "/module/testmodul", params={"ls": sid})
    assert page_on_a.status_code == 200 and "Testmodul Vereinsarbeit" in page_on_a.text

    # Single use across processes: the same id_token + state + cookie replayed on A is refused.
    replay = requests.post(
        url_a + "/lti/launch",
        data={"id_token": login.id_token, "state": login.state},
        cookies={f"vamos_lti_state_{login.state}": login.state},
    )
    assert replay.status_code == 401 and error_code(replay) == "unknown_state"
    assert env.count(LtiUser) == 1


def test_concurrent_double_submit_on_two_processes_launches_once(two_processes):
    from concurrent.futures import ThreadPoolExecutor

    env, url_a, url_b = two_processes
    login = env.start_login()
    cookies = {f"vamos_lti_state_{login.state}": login.state}

    def post(url):
        return requests.post(url + "/lti/launch", data={"id_token": login.id_token, "state": login.state},
                             cookies=cookies, allow_redirects=False).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(post, [url_a, url_b, url_a, url_b]))
    assert sorted(codes) == [303, 401, 401, 401]
