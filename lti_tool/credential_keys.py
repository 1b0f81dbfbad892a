"""The keys that sign credentials, separate from the LTI keys (``lti_tool.keys``), and the URLs that name them.

A credential must stay checkable for as long as its holder shows it — years, across any number of LTI key
rotations. So credential keys are never withdrawn: ``rotate`` only ends a key's signing (``retired_at``) and
the key stays published at its URL and in ``/credentials/jwks``. The JOSE header's ``kid`` is that URL
(``<base>/credentials/keys/<thumbprint>``), which OB 3.0 asks for: a verifier fetches it and gets the JWK.

Why an https URL and not ``did:web``: a did:web issuer needs its DID document at the host's root
(``/.well-known/did.json``), which a tool installed under a path of a shared host cannot serve, and a
verifier needs a DID resolver; a plain https URL dereferences with any HTTP client (docs/lti.md).
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from vamos_core.certificates import SigningKey

from . import keys
from .models import CredentialKey, utcnow

KEY_PATH = "/credentials/keys/"


def key_url(base: str, kid: str) -> str:
    return f"{base.rstrip('/')}{KEY_PATH}{kid}"


def generate_key() -> CredentialKey:
    """An RSA key made like the LTI keys (thumbprint as kid), kept in the credential key table."""
    made = keys.generate_key()
    return CredentialKey(kid=made.kid, private_pem=made.private_pem, public_jwk=made.public_jwk, created_at=utcnow())


def current(session: Session) -> CredentialKey:
    """The key that signs now; created on first use."""
    key = session.scalars(select(CredentialKey).where(CredentialKey.retired_at.is_(None))
                          .order_by(CredentialKey.created_at.desc()).limit(1)).first()
    if key is None:
        key = generate_key()
        session.add(key)
        session.flush()
    return key


def signing_key(session: Session, base: str) -> SigningKey:
    key = current(session)
    return SigningKey(private_pem=key.private_pem, kid=key_url(base, key.kid))


def public_jwk(session: Session, kid: str, base: str) -> dict | None:
    key = session.get(CredentialKey, kid)
    if key is None:
        return None
    return {**json.loads(key.public_jwk), "kid": key_url(base, key.kid)}


def jwks(session: Session, base: str) -> dict:
    """Every credential key ever used, newest first: none is withdrawn. Legacy keys (the LTI keys that signed
    credentials before migration 0008, no private key here) also appear under their bare thumbprint, the kid
    those old credentials name."""
    keys = []
    for key in session.scalars(select(CredentialKey).order_by(CredentialKey.created_at.desc(), CredentialKey.kid)):
        public = json.loads(key.public_jwk)
        keys.append({**public, "kid": key_url(base, key.kid)})
        if not key.private_pem:
            keys.append({**public, "kid": key.kid})
    return {"keys": keys}


def rotate(session: Session) -> tuple[CredentialKey, list[CredentialKey]]:
    """A new signing key; the previous ones stop signing and stay published."""
    old = list(session.scalars(select(CredentialKey).where(CredentialKey.retired_at.is_(None))))
    for key in old:
        key.retired_at = utcnow()
    new = generate_key()
    session.add(new)
    session.flush()
    return new, old
