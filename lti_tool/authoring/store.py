"""Tables of authored modules: the draft with its revision (optimistic lock), versions, media blobs."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import dialect_insert
from ..models import AuthoredBlob, AuthoredModule, AuthoredVersion, utcnow


class Conflict(Exception):
    """The draft changed since the editor loaded it (another trainer or another tab saved first)."""

    def __init__(self, current: "Draft"):
        self.current = current
        super().__init__("draft revision changed")


@dataclass(frozen=True)
class Draft:
    module_id: str
    owner_issuer: str
    status: str
    revision: int
    doc: dict
    updated_at: datetime
    updated_by: str
    published_version: int | None
    copied_from: str | None


def _draft(row: AuthoredModule) -> Draft:
    return Draft(row.id, row.owner_issuer, row.status, row.draft_revision, json.loads(row.draft), row.draft_updated_at,
                 row.draft_updated_by, row.published_version, row.copied_from)


def insert_module(s: Session, doc: dict, owner_issuer: str, registration_id: str | None, actor: str,
                  copied_from: str | None = None) -> Draft:
    row = AuthoredModule(id=doc["module"]["id"], owner_issuer=owner_issuer, registration_id=registration_id,
                         status=AuthoredModule.DRAFT, title=str(doc["module"].get("title") or "")[:500],
                         copied_from=copied_from, draft=json.dumps(doc, ensure_ascii=False), draft_revision=1,
                         draft_updated_by=actor, created_by=actor)
    s.add(row)
    s.flush()
    return _draft(row)


def get(s: Session, module_id: str, owner_issuer: str) -> Draft | None:
    """The module if it belongs to this platform; another platform's module is None (the views answer 404)."""
    row = s.get(AuthoredModule, module_id)
    if row is None or row.owner_issuer != owner_issuer:
        return None
    return _draft(row)


def exists(s: Session, module_id: str) -> bool:
    return s.get(AuthoredModule, module_id) is not None


def all_ids(s: Session) -> set[str]:
    return set(s.scalars(select(AuthoredModule.id)))


def list_for(s: Session, owner_issuer: str) -> list[AuthoredModule]:
    return list(s.scalars(select(AuthoredModule).where(AuthoredModule.owner_issuer == owner_issuer)
                          .order_by(AuthoredModule.status != AuthoredModule.PUBLISHED, AuthoredModule.title)))


def save_draft(s: Session, module_id: str, owner_issuer: str, revision: int, doc: dict, actor: str) -> int:
    """Compare-and-set: store ``doc`` only if the draft is still at ``revision``; the new revision, or Conflict."""
    now = utcnow()
    result = s.execute(
        update(AuthoredModule)
        .where(AuthoredModule.id == module_id, AuthoredModule.owner_issuer == owner_issuer,
               AuthoredModule.draft_revision == revision)
        .values(draft=json.dumps(doc, ensure_ascii=False), draft_revision=revision + 1, draft_updated_at=now,
                draft_updated_by=actor, title=str(doc["module"].get("title") or "")[:500])
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        current = get(s, module_id, owner_issuer)
        if current is None:
            raise LookupError(module_id)
        raise Conflict(current)
    return revision + 1


def add_version(s: Session, module_id: str, doc: dict, content_hash: str, note: str, actor: str,
                restored_from: int | None = None) -> int:
    """A new immutable version (number = last + 1) that learners get from now on."""
    row = s.scalars(select(AuthoredModule).where(AuthoredModule.id == module_id).with_for_update()).one()
    number = (s.scalar(select(func.max(AuthoredVersion.number)).where(AuthoredVersion.module_id == module_id)) or 0) + 1
    s.add(AuthoredVersion(module_id=module_id, number=number, document=json.dumps(doc, ensure_ascii=False),
                          content_hash=content_hash, note=note, published_by=actor, restored_from=restored_from))
    row.published_version = number
    row.status = AuthoredModule.PUBLISHED
    s.flush()
    return number


def versions(s: Session, module_id: str) -> list[AuthoredVersion]:
    return list(s.scalars(select(AuthoredVersion).where(AuthoredVersion.module_id == module_id)
                          .order_by(AuthoredVersion.number.desc())))


def version(s: Session, module_id: str, number: int) -> AuthoredVersion | None:
    return s.scalars(select(AuthoredVersion).where(AuthoredVersion.module_id == module_id,
                                                   AuthoredVersion.number == number)).first()


def published(s: Session, module_id: str) -> tuple[str, int] | None:
    """(owner issuer, published version) of a module learners may open, else None."""
    row = s.execute(select(AuthoredModule.owner_issuer, AuthoredModule.published_version)
                    .where(AuthoredModule.id == module_id, AuthoredModule.status == AuthoredModule.PUBLISHED)).first()
    return (row[0], row[1]) if row is not None and row[1] is not None else None


def published_for(s: Session, owner_issuer: str) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in s.execute(
        select(AuthoredModule.id, AuthoredModule.published_version)
        .where(AuthoredModule.owner_issuer == owner_issuer, AuthoredModule.status == AuthoredModule.PUBLISHED)
        .order_by(AuthoredModule.title))]


def set_status(s: Session, module_id: str, status: str) -> None:
    s.execute(update(AuthoredModule).where(AuthoredModule.id == module_id).values(status=status))


def delete(s: Session, module_id: str) -> None:
    row = s.get(AuthoredModule, module_id)
    if row is not None:
        s.delete(row)


def put_blob(s: Session, sha256: str, data: bytes) -> None:
    s.execute(dialect_insert(s)(AuthoredBlob.__table__).on_conflict_do_nothing(index_elements=["sha256"]),
              {"sha256": sha256, "data": data, "size": len(data), "created_at": utcnow()})


def get_blob(s: Session, sha256: str) -> bytes:
    data = s.scalar(select(AuthoredBlob.data).where(AuthoredBlob.sha256 == sha256))
    if data is None:
        raise KeyError(sha256)
    return data
