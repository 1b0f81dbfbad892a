"""The packaged course catalogue, for the SDK workbench's scenarios only: the blocks themselves read their content
from their fields (the course's OLX), never from here. Loaded once per content folder, valid modules only.

``vamos_core.load_catalog`` is all-or-nothing; inside a running LMS one module with a content error must not
take the other modules down, so the blocks use ``load_valid_modules`` and keep the modules that load cleanly
(a module with problems is never partially loaded — the core guarantees that). Problems are logged.
"""
from __future__ import annotations

import logging
import threading

from vamos_core.content import Catalog, Module, default_content_dir, load_valid_modules

log = logging.getLogger(__name__)
_lock = threading.Lock()
_catalogs: dict[str, Catalog] = {}


def catalog() -> Catalog:
    """The valid modules of the configured content folder (``VAMOS_CONTENT_DIR`` or the packaged content)."""
    root = default_content_dir().resolve()
    key = str(root)
    cached = _catalogs.get(key)
    if cached is not None:
        return cached
    with _lock:
        if key not in _catalogs:
            loaded, problems = load_valid_modules(root)
            for problem in sorted(set(problems)):
                log.error("course content problem (module not loaded): %s", problem)
            _catalogs[key] = loaded
        return _catalogs[key]


def get_module(module_id: str | None) -> Module | None:
    return catalog().get(module_id) if module_id else None


def clear_cache() -> None:
    """Forget loaded catalogues (tests, or after new content was installed)."""
    with _lock:
        _catalogs.clear()
