"""``make test`` on a fresh machine (issue 15): ``.ci/system-packages`` installs the missing Debian packages as
root and checks them afterwards, or names the exact apt command. Run against stub commands on a PATH of their
own (``id``, ``apt-get``, the venv's Python), so the test changes nothing on this machine."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "system-packages"
BASH = "/bin/bash"


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def fresh_machine(tmp_path: Path, uid: int) -> tuple[Path, Path]:
    """No chromium, pdftoppm, fc-match, no fonts; ``apt-get install`` "installs" by creating the commands and
    the font marker files the Python stub looks for."""
    bin_dir, fonts = tmp_path / "bin", tmp_path / "fonts"
    bin_dir.mkdir()
    fonts.mkdir()
    log = tmp_path / "apt.log"
    stub(bin_dir, "id", f'echo {uid}')
    stub(bin_dir, "apt-get", f'''echo "$@" >> {log}
if [ "$1" = install ]; then
  for p in "$@"; do case "$p" in
    chromium) printf '#!{BASH}\\n' > {bin_dir}/chromium; /usr/bin/chmod +x {bin_dir}/chromium ;;
    poppler-utils) printf '#!{BASH}\\n' > {bin_dir}/pdftoppm; /usr/bin/chmod +x {bin_dir}/pdftoppm ;;
    fontconfig) printf '#!{BASH}\\n' > {bin_dir}/fc-match; /usr/bin/chmod +x {bin_dir}/fc-match ;;
    fonts-*) : > {fonts}/"$p" ;;
  esac; done
fi''')
    # The venv's Python answers missing_font_packages(); here: the packages without a marker file.
    stub(bin_dir, "python", f'''for p in fonts-dejavu-core fonts-noto-core; do [ -e {fonts}/$p ] || printf '%s ' $p; done; echo''')
    return bin_dir, log


def run(bin_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([BASH, str(SCRIPT), str(bin_dir / "python")], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), **env}, cwd=ROOT)


def test_as_root_installs_every_missing_package_and_checks_again(tmp_path):
    bin_dir, log = fresh_machine(tmp_path, uid=0)
    result = run(bin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    assert calls[0].startswith("update")
    installed = calls[1].split()
    assert installed[:3] == ["install", "-y", "--no-install-recommends"]
    assert {"chromium", "poppler-utils", "fontconfig", "fonts-dejavu-core", "fonts-noto-core"} <= set(installed)
    assert "installiert und geprüft" in result.stdout
    again = run(bin_dir)  # a second run finds everything and installs nothing
    assert again.returncode == 0 and "alle vorhanden" in again.stdout
    assert len(log.read_text().splitlines()) == 2


def test_without_root_names_the_exact_apt_command_and_stops_when_fonts_are_missing(tmp_path):
    bin_dir, log = fresh_machine(tmp_path, uid=1000)
    result = run(bin_dir)
    assert result.returncode == 1
    assert ("sudo apt-get install -y --no-install-recommends chromium poppler-utils fontconfig fonts-dejavu-core "
            "fonts-noto-core") in result.stdout
    assert not log.exists()  # nothing installed


def test_without_root_only_chromium_missing_continues_with_skips_except_on_ci(tmp_path):
    bin_dir, _ = fresh_machine(tmp_path, uid=1000)
    for name in ("pdftoppm", "fc-match"):
        stub(bin_dir, name, "")
    for package in ("fonts-dejavu-core", "fonts-noto-core"):
        (tmp_path / "fonts" / package).touch()
    local = run(bin_dir)
    assert local.returncode == 0 and "sudo apt-get install -y --no-install-recommends chromium" in local.stdout
    assert "Browser-Tests werden übersprungen" in local.stdout
    assert run(bin_dir, VAMOS_REQUIRE_SERVICES="1").returncode == 1
