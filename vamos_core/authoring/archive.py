"""ZIP export and import of module folders, with every hostile archive refused before anything is stored.

Refused: path traversal (``..``, absolute paths, drive letters, backslashes), symbolic links and other special
files, encrypted members, duplicate names, more than ``MAX_FILES`` members, more than ``MAX_UNPACKED`` bytes
unpacked in total, single members that decompress more than ``MAX_RATIO`` times (zip bombs). Sizes are checked
while reading, not trusted from the directory.
"""
from __future__ import annotations

import io
import stat
import zipfile
from typing import Mapping

MAX_FILES = 500
MAX_UNPACKED = 60 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_BYTES = 40 * 1024 * 1024
_FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # deterministic archives: the same module gives the same bytes


class ArchiveRefused(ValueError):
    """``str()`` is a German message for the trainer."""


def write_zip(module_id: str, files: Mapping[str, bytes]) -> bytes:
    """A ZIP with one folder ``<module_id>/`` holding the module files, in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(files):
            info = zipfile.ZipInfo(f"{module_id}/{relative}", date_time=_FIXED_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[relative])
    return buffer.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    """The module folder inside a ZIP as {relative path: bytes}; ArchiveRefused for anything hostile.

    The archive holds either the module files at its root or exactly one folder containing module.yaml.
    """
    if len(data) > MAX_ZIP_BYTES:
        raise ArchiveRefused(f"Die ZIP-Datei ist zu groß (höchstens {MAX_ZIP_BYTES // 1048576} MB).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ArchiveRefused("Die Datei ist kein gültiges ZIP-Archiv.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise ArchiveRefused(f"Das Archiv enthält {len(members)} Dateien; erlaubt sind höchstens {MAX_FILES}.")
        names: dict[str, zipfile.ZipInfo] = {}
        for member in members:
            name = _safe_name(member)
            if name in names:
                raise ArchiveRefused(f"Die Datei „{name}“ steht zweimal im Archiv.")
            names[name] = member
        prefix = _module_prefix(names)
        out: dict[str, bytes] = {}
        total = 0
        for name, member in names.items():
            if not name.startswith(prefix):
                raise ArchiveRefused(f"„{name}“ liegt außerhalb des Modulordners. Ein Archiv enthält genau ein Modul.")
            content = _read_limited(archive, member, MAX_UNPACKED - total)
            total += len(content)
            out[name[len(prefix):]] = content
        return out


def _safe_name(member: zipfile.ZipInfo) -> str:
    name = member.filename
    mode = member.external_attr >> 16
    if member.flag_bits & 0x1:
        raise ArchiveRefused("Das Archiv ist verschlüsselt. Bitte packen Sie es ohne Passwort.")
    parts = name.split("/")
    if ("\\" in name or name.startswith("/") or ":" in parts[0] or any(p in ("..", ".") for p in parts)
            or "" in parts or "\x00" in name):
        raise ArchiveRefused(f"Der Pfad „{name[:120]}“ ist nicht erlaubt (er zeigt aus dem Modulordner heraus).")
    kind = stat.S_IFMT(mode)  # 0: written without a file type (zipfile.writestr), a plain file
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise ArchiveRefused(f"„{name}“ ist eine Verknüpfung oder Sonderdatei. Erlaubt sind nur normale Dateien.")
    return name


def _module_prefix(names: dict[str, zipfile.ZipInfo]) -> str:
    if "module.yaml" in names:
        return ""
    roots = [n for n in names if n.count("/") == 1 and n.endswith("/module.yaml")]
    if len(roots) != 1:
        raise ArchiveRefused("Im Archiv fehlt die Datei module.yaml (im Hauptordner oder in genau einem Unterordner).")
    return roots[0][: -len("module.yaml")]


def _read_limited(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> bytes:
    """Read a member, stopping as soon as it exceeds the budget or its compression ratio says bomb."""
    limit = min(budget, max(member.compress_size, 1) * MAX_RATIO)
    chunks, size = [], 0
    with archive.open(member) as handle:
        while True:
            chunk = handle.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > budget:
                raise ArchiveRefused(f"Das Archiv ist entpackt zu groß (höchstens {MAX_UNPACKED // 1048576} MB).")
            if size > limit:
                raise ArchiveRefused(f"„{member.filename}“ ist auffällig stark gepackt (mögliche ZIP-Bombe). Das Archiv wird nicht eingelesen.")
            chunks.append(chunk)
    return b"".join(chunks)
