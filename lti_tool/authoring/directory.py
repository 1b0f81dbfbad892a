"""One catalogue per platform: the shipped VAMOs-Standard plus the modules that platform published.

Learner pages, Deep Linking, certificates and reports ask this directory, never the tables: a published
authored version is written once per process to ``<instance>/authored/<id>/<n>/<id>/`` and loaded by the core
loader like any shipped folder, so validation, rendering and grading take one code path. Versions are immutable,
so a loaded one is kept in memory for the life of the process (keyed by id and number); the only per-request
work for an authored module is one primary-key read of which version is current.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

from vamos_core.authoring.folder import write_folder
from vamos_core.content import Catalog, load_module
from vamos_core.model import Module

from . import store


class ModuleDirectory:
    def __init__(self, shipped: Catalog, db, root: Path):
        self.shipped = shipped
        self.db = db
        self.root = Path(root)
        self._loaded: dict[tuple[str, int], Module] = {}
        self._lock = threading.Lock()

    def is_shipped(self, module_id: str) -> bool:
        return self.shipped.get(module_id) is not None

    def get(self, module_id: str, issuer: str | None, version: str | None = None) -> Module | None:
        """The module as learners of ``issuer``'s platform get it (``version``: an older authored version,
        e.g. the one a quiz attempt was started on). None when it does not exist for this platform."""
        shipped = self.shipped.get(module_id)
        if shipped is not None:
            return shipped
        if not issuer or not module_id:
            return None
        with self.db.session() as s:
            current = store.published(s, module_id)
        if current is None or current[0] != issuer:
            return None
        number = int(version) if version and str(version).isdigit() else current[1]
        return self.version(module_id, number)

    def get_public(self, module_id: str) -> Module | None:
        """A shipped or currently published module by id alone: for its media, which are teaching material
        served without a session (cached lesson HTML works for everyone, also in cookie-less iframes)."""
        shipped = self.shipped.get(module_id)
        if shipped is not None:
            return shipped
        with self.db.session() as s:
            current = store.published(s, module_id)
        return self.version(module_id, current[1]) if current else None

    def for_platform(self, issuer: str | None) -> list[Module]:
        """Every module a platform's trainers can place and its learners can open: shipped first."""
        modules = list(self.shipped)
        if issuer:
            with self.db.session() as s:
                published = store.published_for(s, issuer)
            modules += [m for m in (self.version(mid, n) for mid, n in published) if m is not None]
        return modules

    def titles(self, issuers) -> dict[str, str]:
        out = {m.id: m.title for m in self.shipped}
        for issuer in issuers:
            out.update({m.id: m.title for m in self.for_platform(issuer)})
        return out

    def version(self, module_id: str, number: int) -> Module | None:
        key = (module_id, number)
        module = self._loaded.get(key)
        if module is not None:
            return module
        with self.db.session() as s:
            row = store.version(s, module_id, number)
            if row is None:
                return None
            doc = json.loads(row.document)
            folder = self._materialise(s, module_id, number, doc)
        module = load_module(folder)
        with self._lock:
            if len(self._loaded) > 256:
                self._loaded.clear()
            self._loaded[key] = module
        return module

    def _materialise(self, s, module_id: str, number: int, doc: dict) -> Path:
        """Write the version's folder once; concurrent writers (threads, processes) rename atomically."""
        final = self.root / module_id / str(number)
        folder = final / module_id
        if (folder / "module.yaml").is_file():
            return folder
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{number}-", dir=final.parent))
        write_folder(doc, tmp / module_id, lambda sha: store.get_blob(s, sha))
        try:
            os.rename(tmp, final)
        except OSError:  # another process was first: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
        return folder


class PlatformCatalog:
    """The catalogue as one platform sees it, with the ``Catalog`` interface the pages use (``get``, iteration)."""

    def __init__(self, directory: ModuleDirectory, issuer: str | None):
        self.directory = directory
        self.issuer = issuer

    def get(self, module_id: str, version: str | None = None) -> Module | None:
        return self.directory.get(module_id, self.issuer, version)

    def __iter__(self):
        return iter(self.directory.for_platform(self.issuer))


def published_lesson_counts(db) -> dict[str, int]:
    """Lessons per currently published authored module (reports' totals on hosts without the content folder)."""
    from sqlalchemy import select

    from ..models import AuthoredModule, AuthoredVersion

    with db.session() as s:
        rows = s.execute(select(AuthoredVersion.module_id, AuthoredVersion.document).join(
            AuthoredModule, (AuthoredModule.id == AuthoredVersion.module_id)
            & (AuthoredModule.published_version == AuthoredVersion.number)))
        return {module_id: len(json.loads(doc)["lessons"]) for module_id, doc in rows}


def published_modules(database_url: str, root: Path, module_ids=None) -> list[Module]:
    """Every currently published authored module of the tool's database (all platforms), loaded by the core:
    for ``vamos build-olx --from-lti`` on an operator's machine."""
    from sqlalchemy import select

    from ..db import Database
    from ..models import AuthoredModule

    db = Database(database_url)
    try:
        directory = ModuleDirectory(Catalog({}), db, root)
        with db.session() as s:
            rows = s.execute(select(AuthoredModule.id, AuthoredModule.published_version).where(
                AuthoredModule.status == AuthoredModule.PUBLISHED).order_by(AuthoredModule.id)).all()
        wanted = set(module_ids or ())
        return [m for m in (directory.version(mid, n) for mid, n in rows if not wanted or mid in wanted) if m]
    finally:
        db.dispose()
