"""Authoring use cases: who may do what, validation by the core, versions, audit.

Trainers (LTI Instructor, ContentDeveloper, TeachingAssistant → role ``trainer``) write for their platform;
coordinators read lists, history and exports. A module of another platform does not exist for the caller
(``NotFound`` → 404). Every refusal leaves the database as it was: nothing half-written is stored.
"""
from __future__ import annotations

import copy
import json
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vamos_core.authoring import archive, check, diff, document, folder, media
from vamos_core.content import ContentError, load_module

from ..models import AuditEntry, AuthoredModule, utcnow
from . import store
from .directory import ModuleDirectory
from .store import Conflict, Draft

__all__ = ["AuthoringService", "Author", "Conflict", "NotFound", "Refused", "NotPublishable"]


class NotFound(LookupError):
    pass


BLOB_CACHE_BYTES = 64 * 1024 * 1024  # per process; cleared when full
_BLOBS: dict[str, bytes] = {}
_BLOB_BYTES = 0
_BLOBS_LOCK = threading.Lock()


class Refused(ValueError):
    """A refusal with German messages for the trainer (``problems``: every finding, e.g. of a ZIP import)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = problems or []
        super().__init__(message)


class NotPublishable(Refused):
    def __init__(self, result: check.CheckResult):
        self.result = result
        super().__init__("Der Entwurf hat noch Probleme und kann nicht veröffentlicht werden.",
                         [str(p) for p in result.problems])


@dataclass(frozen=True)
class Author:
    issuer: str
    sub: str
    registration_id: str | None
    actor: str  # keyed hash of issuer + sub: the pseudonym in the audit log and the version history


@dataclass(frozen=True)
class Saved:
    revision: int
    result: check.CheckResult


class AuthoringService:
    def __init__(self, db, directory: ModuleDirectory):
        self.db = db
        self.directory = directory

    # ------------------------------------------------------------ reading

    def modules(self, issuer: str) -> list[AuthoredModule]:
        with self.db.session() as s:
            return store.list_for(s, issuer)

    def draft(self, issuer: str, module_id: str) -> Draft:
        with self.db.session() as s:
            found = store.get(s, module_id, issuer)
        if found is None:
            raise NotFound(module_id)
        return found

    def blob(self, sha256: str) -> bytes:
        with self.db.session() as s:
            return store.get_blob(s, sha256)

    def check(self, doc: dict) -> check.CheckResult:
        return check.check_document(doc, self._checked_blob)

    def _checked_blob(self, sha256: str) -> bytes:
        """A media file's bytes for the validation folder, remembered per process by their SHA-256 (blobs are
        content-addressed and never change): a save writes every figure of the module for its check."""
        data = _BLOBS.get(sha256)
        if data is None:
            with self.db.session() as s:
                data = store.get_blob(s, sha256)
            with _BLOBS_LOCK:
                global _BLOB_BYTES
                if _BLOB_BYTES + len(data) > BLOB_CACHE_BYTES:
                    _BLOBS.clear()
                    _BLOB_BYTES = 0
                if len(data) <= BLOB_CACHE_BYTES // 4:
                    _BLOBS[sha256] = data
                    _BLOB_BYTES += len(data)
        return data

    def versions(self, issuer: str, module_id: str):
        self.draft(issuer, module_id)
        with self.db.session() as s:
            return store.versions(s, module_id)

    def version_doc(self, issuer: str, module_id: str, number: int) -> dict:
        self.draft(issuer, module_id)
        with self.db.session() as s:
            row = store.version(s, module_id, number)
        if row is None:
            raise NotFound(f"{module_id} v{number}")
        return json.loads(row.document)

    def changes(self, issuer: str, module_id: str, number: int) -> list[diff.FileDiff]:
        """What version ``number`` changed against the version before it (the first: against nothing)."""
        new = self.version_doc(issuer, module_id, number)
        old = self.version_doc(issuer, module_id, number - 1) if number > 1 else None
        return diff.diff_documents(old, new)

    def draft_changes(self, issuer: str, module_id: str) -> list[diff.FileDiff]:
        current = self.draft(issuer, module_id)
        old = self.version_doc(issuer, module_id, current.published_version) if current.published_version else None
        draft = current.doc
        if old is not None:  # the version label is set at publishing, it is not a change of the draft
            draft = copy.deepcopy(draft)
            draft["module"]["version"] = old["module"].get("version")
        return diff.diff_documents(old, draft)

    # ------------------------------------------------------------ creating

    def create(self, author: Author, title: str) -> str:
        title = (title or "").strip()
        if not title:
            raise Refused("Bitte geben Sie dem neuen Modul einen Titel.")
        if len(title) > 200:
            raise Refused("Der Titel ist zu lang (höchstens 200 Zeichen).")
        with self.db.session() as s:
            module_id = document.new_module_id(title, store.all_ids(s) | set(self.directory.shipped.modules))
            store.insert_module(s, document.new_document(module_id, title), author.issuer, author.registration_id, author.actor)
            self._audit(s, author, "authoring_create", {"module": module_id})
        return module_id

    def copy(self, author: Author, source_id: str) -> str:
        """A copy of a shipped module (or of one of this platform's own) to adapt; ids inside stay the same."""
        shipped = self.directory.shipped.get(source_id)
        blobs: dict[str, bytes] = {}
        if shipped is not None:
            def meta(path: str, data: bytes) -> dict:
                found = media.meta_from_bytes(path, data)
                blobs[found["sha256"]] = data
                return found

            source_doc = folder.document_from_files(folder.read_folder(shipped.path), meta)
        else:
            source_doc = self.draft(author.issuer, source_id).doc
        title = str(source_doc["module"].get("title") or source_id)
        with self.db.session() as s:
            module_id = document.new_module_id(title, store.all_ids(s) | set(self.directory.shipped.modules))
            doc = document.with_id(source_doc, module_id)
            doc["module"]["version"] = "Entwurf"
            for sha, data in blobs.items():
                store.put_blob(s, sha, data)
            store.insert_module(s, doc, author.issuer, author.registration_id, author.actor, copied_from=source_id)
            self._audit(s, author, "authoring_copy", {"module": module_id, "from": source_id})
        return module_id

    # ------------------------------------------------------------ changing the draft

    def save(self, author: Author, module_id: str, revision: int, change: Callable[[dict], None]) -> Saved:
        """Apply ``change`` to the draft as it is now and store it if nobody saved since ``revision``.

        Drafts with problems are saved (work is never lost); the result lists the problems per field.
        Conflict carries the stored draft so the view can show both versions."""
        current = self.draft(author.issuer, module_id)
        if current.status == AuthoredModule.ARCHIVED:
            raise Refused("Das Modul ist archiviert. Stellen Sie es zuerst wieder her.")
        doc = copy.deepcopy(current.doc)
        change(doc)
        doc["module"]["id"] = module_id  # the id is born once; no form may change it
        with self.db.session() as s:
            new_revision = store.save_draft(s, module_id, author.issuer, revision, doc, author.actor)
        return Saved(new_revision, self.check(doc))

    def apply_preview(self, issuer: str, module_id: str, change: Callable[[dict], None]) -> dict:
        """The draft with ``change`` applied, not stored (conflict page, live preview)."""
        doc = copy.deepcopy(self.draft(issuer, module_id).doc)
        change(doc)
        return doc

    def add_media(self, author: Author, module_id: str, revision: int, kind: str, data: bytes, filename: str,
                  text: str) -> tuple[str, Saved]:
        """Store an image (``text`` = alt text) or a download (``text`` = title); MediaRefused stores nothing."""
        current = self.draft(author.issuer, module_id)
        taken = set(current.doc.get("files", {}))
        try:
            if kind == "image":
                path, stored, meta = media.accept_image(data, filename, text, taken)
            else:
                path, stored, meta = media.accept_download(data, filename, text, taken)
        except media.MediaRefused as exc:
            raise Refused(str(exc)) from None
        with self.db.session() as s:
            store.put_blob(s, meta["sha256"], stored)

        def change(doc: dict) -> None:
            doc.setdefault("files", {})[path] = meta

        return path, self.save(author, module_id, revision, change)

    # ------------------------------------------------------------ versions

    def publish(self, author: Author, module_id: str, revision: int, note: str) -> int:
        note = (note or "").strip()
        if not note:
            raise Refused("Bitte schreiben Sie kurz, was sich geändert hat (Änderungsnotiz).")
        current = self.draft(author.issuer, module_id)
        if current.revision != revision:
            raise Conflict(current)
        result = self.check(current.doc)
        if not result.ok:
            raise NotPublishable(result)
        return self._new_version(author, current, current.doc, note, "authoring_publish")

    def rollback(self, author: Author, module_id: str, number: int, note: str) -> int:
        """Publish an old version's content again, as a new version (history is never rewritten). The draft
        becomes that content too, so the next edit starts from what learners see."""
        current = self.draft(author.issuer, module_id)
        old = self.version_doc(author.issuer, module_id, number)
        note = (note or "").strip() or f"Version {number} wiederhergestellt"
        new_number = self._new_version(author, current, old, note, "authoring_rollback", restored_from=number)
        with self.db.session() as s:
            store.save_draft(s, module_id, author.issuer, current.revision, old, author.actor)
        return new_number

    def _new_version(self, author: Author, current: Draft, doc: dict, note: str, action: str,
                     restored_from: int | None = None) -> int:
        doc = copy.deepcopy(doc)
        digest = folder.content_hash(doc)
        with self.db.session() as s:
            last = store.versions(s, current.module_id)[:1]
            if last and last[0].content_hash == digest and current.status == AuthoredModule.PUBLISHED:
                raise Refused(f"Keine Änderung seit Version {last[0].number}: Es gibt nichts Neues zu veröffentlichen.")
            number = (last[0].number if last else 0) + 1
            doc["module"]["version"] = str(number)
            store.add_version(s, current.module_id, doc, digest, note[:2000], author.actor, restored_from)
            self._audit(s, author, action, {"module": current.module_id, "version": number,
                                            **({"restored": restored_from} if restored_from else {})})
        return number

    def archive(self, author: Author, module_id: str) -> None:
        """Learners no longer get it (their certificates stay valid); the history stays."""
        self.draft(author.issuer, module_id)
        with self.db.session() as s:
            store.set_status(s, module_id, AuthoredModule.ARCHIVED)
            self._audit(s, author, "authoring_archive", {"module": module_id})

    def restore(self, author: Author, module_id: str) -> None:
        current = self.draft(author.issuer, module_id)
        status = AuthoredModule.PUBLISHED if current.published_version else AuthoredModule.DRAFT
        with self.db.session() as s:
            store.set_status(s, module_id, status)
            self._audit(s, author, "authoring_restore", {"module": module_id})

    def delete(self, author: Author, module_id: str) -> None:
        """Only a module that was never published can be deleted; a published one is archived instead,
        because learners' progress and certificates name it."""
        current = self.draft(author.issuer, module_id)
        if current.published_version:
            raise Refused("Veröffentlichte Module werden nicht gelöscht, weil Lernende Fortschritt und Zertifikate "
                          "darin haben. Archivieren Sie das Modul stattdessen.")
        with self.db.session() as s:
            store.delete(s, module_id)
            self._audit(s, author, "authoring_delete", {"module": module_id})

    # ------------------------------------------------------------ files

    def export_zip(self, issuer: str, module_id: str, number: int | None = None) -> tuple[str, bytes]:
        """The module folder as ZIP, in the ``course_content/`` format (``vamos validate`` accepts it)."""
        doc = self.version_doc(issuer, module_id, number) if number else self.draft(issuer, module_id).doc
        with self.db.session() as s:
            files = dict(folder.text_files(doc))
            files.update({path: store.get_blob(s, meta["sha256"]) for path, meta in doc.get("files", {}).items()})
        label = f"v{number}" if number else "entwurf"
        return f"{module_id}-{label}.zip", archive.write_zip(module_id, files)

    def import_zip(self, author: Author, data: bytes) -> str:
        """A module from a ZIP: every problem listed at once (file, line, field), nothing stored on refusal.

        The module's own id is kept when it is free or already this platform's (then the ZIP becomes that
        module's draft); a shipped id or another platform's id gets a new id."""
        try:
            files = archive.read_zip(data)
        except archive.ArchiveRefused as exc:
            raise Refused(str(exc)) from None
        problems = [f"{path}: {msg}" for path, msg in
                    ((p, media.check_file(p, d)) for p, d in sorted(files.items()) if not _is_content(p)) if msg]
        module_id = _declared_id(files)
        with tempfile.TemporaryDirectory(prefix="vamos-import-") as tmp:
            target = Path(tmp) / module_id
            for relative, content in files.items():
                path = target / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            try:
                load_module(target)
            except ContentError as exc:
                problems += [str(p).replace(str(target) + "/", "") for p in exc.problems]
        if problems:
            raise Refused("Das Archiv enthält Fehler. Es wurde nichts gespeichert.", problems)
        blobs: dict[str, bytes] = {}

        def meta(path: str, content: bytes) -> dict:
            found = media.meta_from_bytes(path, content)
            blobs[found["sha256"]] = content
            return found

        doc = folder.document_from_files(files, meta)
        with self.db.session() as s:
            own = store.get(s, module_id, author.issuer)
            if own is None and (store.exists(s, module_id) or self.directory.is_shipped(module_id)):
                module_id = document.new_module_id(str(doc["module"].get("title") or module_id),
                                                   store.all_ids(s) | set(self.directory.shipped.modules))
            doc = document.with_id(doc, module_id)
            for sha, content in blobs.items():
                store.put_blob(s, sha, content)
            if own is None:
                store.insert_module(s, doc, author.issuer, author.registration_id, author.actor)
            else:
                store.save_draft(s, module_id, author.issuer, own.revision, doc, author.actor)
            self._audit(s, author, "authoring_import", {"module": module_id, "hash": folder.content_hash(doc)[:16]})
        return module_id

    # ------------------------------------------------------------ audit

    @staticmethod
    def _audit(s, author: Author, action: str, details: dict) -> None:
        s.add(AuditEntry(at=utcnow(), actor=author.actor, actor_issuer=author.issuer, action=action,
                         details=json.dumps(details, sort_keys=True, ensure_ascii=False)))


def _is_content(path: str) -> bool:
    return path in folder.CONTENT_FILES or (path.startswith(folder.LESSONS_DIR + "/") and path.endswith(".md"))


def _declared_id(files: dict[str, bytes]) -> str:
    """The module id module.yaml declares (the loader checks it); a safe placeholder when unreadable."""
    try:
        data = folder.load_yaml(files["module.yaml"].decode("utf-8")) or {}
        value = data.get("id") if isinstance(data, dict) else None
    except Exception:  # noqa: BLE001 - the loader reports the precise problem
        value = None
    return value if isinstance(value, str) and document.slug(value, "") == value else "modul"
