"""The tool's own signing keys, stored in the database.

Every key whose ``retire_at`` is unset or still ahead is published in /jwks; the newest signs
(deep linking responses, AGS token requests). Rotation adds a key and gives the old ones a
``retire_at`` after an overlap window, so platforms that cached our JWKS keep verifying.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from jwcrypto.jwk import JWK
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import ToolKey, utcnow


def generate_key() -> ToolKey:
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    public = json.loads(jwk.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(
        kid=kid,
        private_pem=jwk.export_to_pem(private_key=True, password=None).decode(),
        public_jwk=json.dumps(public),
        created_at=utcnow(),
    )


def published_keys(session: Session, now: datetime | None = None) -> list[ToolKey]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(ToolKey)
            .where(or_(ToolKey.retire_at.is_(None), ToolKey.retire_at > now))
            .order_by(ToolKey.created_at.desc(), ToolKey.kid)
        )
    )


def jwks(session: Session) -> dict:
    return {"keys": [json.loads(k.public_jwk) for k in published_keys(session)]}


def ensure_key(session: Session) -> ToolKey:
    """The current signing key; creates the first one on a fresh database."""
    current = signing_key(session)
    if current is None:
        current = generate_key()
        session.add(current)
        session.flush()
    return current


def signing_key(session: Session) -> ToolKey | None:
    return session.scalars(
        select(ToolKey).where(ToolKey.retire_at.is_(None)).order_by(ToolKey.created_at.desc()).limit(1)
    ).first()


def rotate(session: Session, overlap: timedelta) -> tuple[ToolKey, list[ToolKey]]:
    """Add a new signing key; the previous active keys retire after ``overlap``."""
    retire_at = utcnow() + overlap
    old = list(session.scalars(select(ToolKey).where(ToolKey.retire_at.is_(None))))
    for key in old:
        key.retire_at = retire_at
    new = generate_key()
    session.add(new)
    session.flush()
    return new, old
