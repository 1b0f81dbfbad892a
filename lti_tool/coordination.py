"""Who may see what: coordinators, their platforms (own + granted) and the audit log.

* A coordinator is a launch with the coordinator role (``roles.py``). By default they see their own platform
  (the issuer they launched from); ``coordinator_grants`` adds further platforms (``vamos lti grant-platform``).
* Every export and every DSGVO action is recorded in ``audit_log``: who (a keyed hash of the coordinator's issuer
  and sub, never the sub or a name), what (kind and filters), when, how many rows. Application logs get the
  action and the row count only.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry, CoordinatorGrant, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coordinator:
    issuer: str
    sub: str
    platforms: tuple[str, ...]  # own platform first
    actor: str  # keyed hash of issuer + sub

    def may_see(self, issuer: str) -> bool:
        return issuer in self.platforms


def actor_hash(secret: str, issuer: str, sub: str) -> str:
    return hmac.new(secret.encode(), f"{issuer}\x00{sub}".encode(), hashlib.sha256).hexdigest()[:32]


def platforms_of(session: Session, issuer: str, sub: str) -> tuple[str, ...]:
    granted = session.scalars(select(CoordinatorGrant.platform_issuer).where(
        CoordinatorGrant.coordinator_issuer == issuer, CoordinatorGrant.coordinator_sub == sub)
        .order_by(CoordinatorGrant.platform_issuer))
    return (issuer, *[p for p in granted if p != issuer])


def grant(session: Session, issuer: str, sub: str, platform: str) -> bool:
    """Grant a platform; False if it was granted already."""
    exists = session.scalar(select(CoordinatorGrant.id).where(
        CoordinatorGrant.coordinator_issuer == issuer, CoordinatorGrant.coordinator_sub == sub,
        CoordinatorGrant.platform_issuer == platform))
    if exists is not None:
        return False
    session.add(CoordinatorGrant(coordinator_issuer=issuer, coordinator_sub=sub, platform_issuer=platform))
    return True


def revoke_grant(session: Session, issuer: str, sub: str, platform: str) -> bool:
    row = session.scalars(select(CoordinatorGrant).where(
        CoordinatorGrant.coordinator_issuer == issuer, CoordinatorGrant.coordinator_sub == sub,
        CoordinatorGrant.platform_issuer == platform)).first()
    if row is None:
        return False
    session.delete(row)
    return True


def audit(session: Session, who: Coordinator | None, action: str, details: dict, row_count: int | None = None,
          actor_issuer: str = "") -> AuditEntry:
    """Record one action (``who`` None: the command line, e.g. the retention job)."""
    entry = AuditEntry(at=utcnow(), actor=who.actor if who else "cli", actor_issuer=who.issuer if who else actor_issuer,
                       action=action, details=json.dumps(details, sort_keys=True, ensure_ascii=False),
                       row_count=row_count)
    session.add(entry)
    session.flush()
    log.info("audit action=%s rows=%s", action, row_count if row_count is not None else "-")
    return entry


def finish_audit(db, entry_id: int, row_count: int) -> None:
    """The row count of a streamed export, known when the last row went out."""
    with db.session() as s:
        entry = s.get(AuditEntry, entry_id)
        if entry is not None:
            entry.row_count = row_count


def entries(session: Session, platforms: tuple[str, ...], limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.actor_issuer.in_(platforms))
                                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
