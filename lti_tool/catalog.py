"""The course catalogue as the tool sees it: every valid module from vamos_core.

Modules with content errors are left out (and logged), so one broken module written by a
trainer never takes the tool down for the others.

Loading and validating the four modules takes about a second, so the app loads them when it is created
(not in the first learner's request) and a process loads the same unchanged folder only once: the catalogue
is remembered per folder and the size and modification time of its files.
"""
from __future__ import annotations

import logging
from pathlib import Path

from vamos_core.content import Catalog, default_content_dir, load_valid_modules

log = logging.getLogger(__name__)

_LOADED: dict[tuple, Catalog] = {}


def _signature(root: Path) -> tuple:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def load_tool_catalog(content_dir: str | Path | None = None) -> Catalog:
    root = Path(content_dir) if content_dir else default_content_dir()
    key = (str(root.resolve()), _signature(root)) if root.is_dir() else None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    catalog, problems = load_valid_modules(root)
    if problems:
        log.warning("content problems=%d (modules with problems are not offered)", len(problems))
    if key is not None:
        if len(_LOADED) >= 8:  # one or two folders per process in practice (tests use a few more)
            _LOADED.clear()
        _LOADED[key] = catalog
    return catalog
