"""Self-contained learning packages of a module for platforms without LTI 1.3: SCORM 2004 (4th edition) and cmi5.

One player for both (``player.py`` + ``assets/player.js``): the lessons rendered by the core's renderer, the test
graded in the browser with the rules of ``vamos_core.grading``, progress and bookmark kept by the platform's
runtime. The formats differ only in their manifest and their runtime adapter:

* ``scorm2004.py`` + ``assets/runtime-scorm2004.js``: ``imsmanifest.xml``; the SCORM 2004 RTE API
  (``API_1484_11``) for completion, success, score, interactions, ``cmi.location`` and ``cmi.suspend_data``.
* ``cmi5.py`` + ``assets/runtime-cmi5.js``: ``cmi5.xml`` (cmi5 course structure); the cmi5 launch sequence (fetch
  URL, ``LMS.LaunchData``, initialized … terminated) and xAPI statements to the platform's LRS, the statements'
  activity ids those of ``vamos_core.xapi`` (the same lesson has the same id in every channel).

An offline package cannot keep a secret: the test's answer key is in the package (docs/packages.md). Certificates
stay with the LTI tool; a package can link to it (``certificate_url``) or say nothing about certificates.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..model import Module
from ..xapi import DEFAULT_ACTIVITY_BASE

FORMATS = ("scorm2004", "cmi5")
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed: the same content gives the same package bytes


@dataclass(frozen=True)
class PackageOptions:
    activity_base: str = DEFAULT_ACTIVITY_BASE
    certificate_url: str | None = None  # the LTI tool's page for learners who come through a connected platform


@dataclass(frozen=True)
class BuiltPackage:
    module_id: str
    format: str
    archive: Path
    files: tuple[str, ...]


def package_files(module: Module, fmt: str, options: PackageOptions | None = None) -> dict[str, bytes]:
    """Every file of the package: relative path → bytes (pure; nothing is written)."""
    options = options or PackageOptions()
    if fmt == "scorm2004":
        from . import scorm2004

        return scorm2004.files(module, options)
    if fmt == "cmi5":
        from . import cmi5

        return cmi5.files(module, options)
    raise ValueError(f"unknown package format {fmt!r} (one of {', '.join(FORMATS)})")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic ZIP with the files at its root (the manifest must be at the root for an LMS import)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_package(module: Module, fmt: str, out_dir: Path | str, options: PackageOptions | None = None) -> BuiltPackage:
    files = package_files(module, fmt, options)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    archive = out / f"{module.id}-{fmt}.zip"
    archive.write_bytes(zip_bytes(files))
    return BuiltPackage(module.id, fmt, archive, tuple(sorted(files)))
