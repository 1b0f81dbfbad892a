"""The `vamos validate` command as trainers run it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAMOS = [sys.executable, "-m", "vamos_cli.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*VAMOS, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_shipped_content_validates_with_one_line_per_module():
    result = run("validate", "course_content")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    module_folders = [p for p in (ROOT / "course_content").iterdir() if (p / "module.yaml").is_file()]
    assert len(module_folders) == 6
    assert len(lines) == len(module_folders)
    for line in lines:
        assert " lessons, " in line and " questions, " in line and " min" in line


def test_broken_module_lists_every_problem_and_exits_non_zero(module_folder):
    module_folder.replace("module.yaml", "language: de\n", "language: de\ncolour: blau\n")
    module_folder.replace("quiz.yaml", "type: multiple", "type: essay")
    result = run("validate", str(module_folder.root))
    assert result.returncode == 1
    assert f"{module_folder.root}/module.yaml:7: colour: unknown key" in result.stderr
    assert f"{module_folder.root}/quiz.yaml:17: questions[1].type:" in result.stderr
    assert "ok testmodul" not in result.stdout


def test_single_module_path(module_folder):
    result = run("validate", str(module_folder.root))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok testmodul: 2 lessons, 2 questions, 30 min")
