"""The first hour (issue 15): ``make demo`` prints the addresses and the three demo users first and nothing
else (no setuptools warnings, no request log), and takes its ports from TOOL_PORT and LMS_PORT."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_demo_passes_the_ports_to_vamos_demo():
    out = subprocess.run(["make", "-n", "demo", "TOOL_PORT=8123", "LMS_PORT=8124"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "vamos demo --tool-port 8123 --platform-port 8124" in out


def test_vamos_demo_prints_addresses_and_users_first_and_serves_on_the_ports(tmp_path):
    tool_port, lms_port = free_port(), free_port()
    vamos = Path(sys.executable).with_name("vamos")
    proc = subprocess.Popen([str(vamos), "demo", "--tool-port", str(tool_port), "--platform-port", str(lms_port),
                             "--instance", str(tmp_path / "demo")], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONWARNINGS": "default"})
    try:
        lines = []
        for line in proc.stdout:  # waits for each line: no sleep
            lines.append(line.rstrip())
            if "Strg+C" in line:
                break
        assert lines[0].startswith("VAMOs-Demo")
        assert f"Demo-Lernplattform: http://localhost:{lms_port}/" in lines[1]
        assert f"http://127.0.0.1:{tool_port}/" in lines[2]
        text = "\n".join(lines)
        for name in ("Lea Lernende", "Tarek Trainer", "Kim Koordination"):
            assert name in text
        assert "Warning" not in text and "warn" not in text.lower()
        home = requests.get(f"http://localhost:{lms_port}/", timeout=10)
        assert home.status_code == 200 and "Demo-Lernplattform" in home.text
        assert requests.get(f"http://127.0.0.1:{tool_port}/healthz", timeout=10).json() == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
