"""The course catalogue as the tool sees it: every valid module from vamos_core.

Modules with content errors are left out (and logged), so one broken module written by a
trainer never takes the tool down for the others.
"""
from __future__ import annotations

import logging
from pathlib import Path

from vamos_core.content import Catalog, load_valid_modules

log = logging.getLogger(__name__)


def load_tool_catalog(content_dir: str | Path | None = None) -> Catalog:
    catalog, problems = load_valid_modules(content_dir)
    if problems:
        log.warning("content problems=%d (modules with problems are not offered)", len(problems))
    return catalog
