"""What an operator installs: `pip install '.[openedx]'` into a fresh venv brings the blocks without the LTI stack,
and `tutor config save` with the plugin enabled renders the image, settings and key patches (Tutor from PyPI, no
Docker). Slow (two real pip installs, about two minutes), so both share one venv per test session."""
from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LTI_STACK = {"flask", "sqlalchemy", "gunicorn", "psycopg", "psycopg-binary", "redis", "alembic", "pylti1p3",
             "flask-babel"}


def run(*args, env=None, timeout=900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("openedx-venv")
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    # A copy of the source tree keeps the build out of the worktree (no build/ or egg-info left behind).
    source = tmp_path_factory.mktemp("source") / "vamos-lms"
    subprocess.run(["cp", "-r", str(REPO), str(source)], check=True)
    for junk in (".venv", "node_modules", "instance", "test-artifacts", "build"):
        subprocess.run(["rm", "-rf", str(source / junk)], check=True)
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{source}[openedx]")
    return folder


def installed(python: Path) -> set[str]:
    listing = run(python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check").stdout
    return {item["name"].lower() for item in json.loads(listing)}


def test_openedx_extra_installs_the_blocks_without_the_lti_stack(fresh_venv, tmp_path):
    python = fresh_venv / "bin" / "python"
    packages = installed(python)
    assert not packages & LTI_STACK, sorted(packages & LTI_STACK)
    assert {"xblock", "django", "web-fragments", "vamos-lms"} <= packages
    django_version = run(python, "-c", "import django; print(django.__version__)").stdout.strip()
    assert int(django_version.split(".")[0]) < 6
    # the three entry points load and the block classes import without Flask & co.
    script = ("from xblock.core import XBlock; "
              "print(sorted(t for t, _ in XBlock.load_classes() if t.startswith('vamos_')))")
    assert run(python, "-c", script).stdout.strip() == "['vamos_lesson', 'vamos_module', 'vamos_quiz']"
    # the command line still validates and exports (the LTI commands are simply absent)
    vamos = fresh_venv / "bin" / "vamos"
    run(vamos, "validate", REPO / "course_content")
    out = run(vamos, "build-olx", "--content", REPO / "course_content", "--module", "projektmanagement", "-o",
              tmp_path).stdout
    assert "ok projektmanagement" in out and (tmp_path / "projektmanagement.tar.gz").is_file()
    assert subprocess.run([str(python), "-c", "import flask"], capture_output=True).returncode != 0


def test_tutor_plugin_renders_its_patches(fresh_venv, tmp_path):
    python = fresh_venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "tutor>=19", REPO / "tutor-vamos")
    tutor = fresh_venv / "bin" / "tutor"
    env = dict(os.environ, TUTOR_ROOT=str(tmp_path / "tutor"), TUTOR_PLUGINS_ROOT=str(tmp_path / "tutor-plugins"))
    run(tutor, "plugins", "enable", "vamos", env=env)
    run(tutor, "config", "save", "--set", "VAMOS_CERT_VERIFY_URL=https://lernen.example.org/verify/", env=env)
    root = tmp_path / "tutor"
    dockerfile = (root / "env/build/openedx/Dockerfile").read_text()
    assert "apt install -y --no-install-recommends fonts-dejavu-core fonts-noto-core" in dockerfile
    assert "$PIP_COMMAND install 'vamos-lms[openedx]==0.1.0'" in dockerfile
    settings = (root / "env/apps/openedx/settings/lms/production.py").read_text()
    assert '"signing_key_file": "/openedx/config/vamos-signing-key.pem"' in settings
    assert '"verify_base_url": "https://lernen.example.org/verify/"' in settings
    compile(settings, "production.py", "exec")  # the rendered settings are valid Python
    key = (root / "env/apps/openedx/config/vamos-signing-key.pem").read_text()
    assert key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    compose = (root / "env/local/docker-compose.yml").read_text()
    assert "../apps/openedx/config:/openedx/config" in compose  # where the key is mounted, read-only
    assert "vamos-signing-key.pem" in (root / "env/kustomization.yml").read_text()  # and on Kubernetes
    # the key is generated once: saving again keeps it
    run(tutor, "config", "save", env=env)
    assert (root / "env/apps/openedx/config/vamos-signing-key.pem").read_text() == key


def test_docs_list_every_operator_step():
    docs = (REPO / "docs" / "openedx.md").read_text(encoding="utf-8")
    for step in ("pip install ./tutor-vamos", "tutor plugins enable vamos", "tutor config save",
                 "tutor images build openedx", "tutor local launch", "vamos build-olx",
                 "edx-cleaner -c build/olx/<module>/course.xml --ignore UnexpectedTag", "Advanced Module List",
                 "Import", "Rescore", "VAMOS_CERT_VERIFY_URL", "tutor config printvalue VAMOS_CERT_SIGNING_KEY"):
        assert step in docs, step


def test_setup_declares_the_extras_apart():
    text = (REPO / "setup.py").read_text(encoding="utf-8")
    assert "install_requires=CORE + CERTIFICATES," in text
    assert '"openedx": OPENEDX' in text and '"lti": LTI' in text
