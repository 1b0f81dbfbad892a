"""Open Badges 3.0 credential (``OpenBadgeCredential``) for a certificate, secured as VC-JWT.

Follows OB 3.0 §8.2 "JSON Web Token Proof Format" rather than the more general VC-JOSE-COSE:
the JOSE header holds only ``alg`` (RS256 – the tool's keys are RSA), ``kid`` (a URL that dereferences
to the public JWK of the credential key, as OB 3.0 requires of a ``kid``) and ``typ`` = ``"JWT"``
(OB 3.0 allows no other headers and no other ``typ``); the payload is the credential itself plus the
registered claims ``iss`` (issuer.id), ``jti`` (id), ``nbf`` (validFrom) and ``sub`` (credentialSubject.id).

``issuanceDate`` repeats ``validFrom``: 1EdTech's published JSON schema of the OB 3.0
AchievementCredential (the ``credentialSchema`` named in every credential) still requires it.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from .german import german_hours, german_percent
from .issuer import IssuerSettings
from .record import CertificateData, ModuleInfo

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
MEDIA_TYPE = "application/vc+jwt"  # for downloads and the PDF attachment
ALGORITHM = "RS256"


class CredentialError(ValueError):
    """The token is malformed, not signed by a key of the given JWKS, or not a credential of ours."""


@dataclass(frozen=True)
class SigningKey:
    """The tool key that signs: its private key (PEM) and the ``kid`` under which /jwks publishes it."""

    private_pem: str | bytes
    kid: str

    def __repr__(self) -> str:  # never print the private key in logs or tracebacks
        return f"SigningKey(kid={self.kid!r})"

    def public_jwk(self) -> dict[str, Any]:
        public = json.loads(_load_key(_pem_bytes(self.private_pem)).export_public())
        public.update({"kid": self.kid, "alg": ALGORITHM, "use": "sig"})
        return public


def _pem_bytes(pem: str | bytes) -> bytes:
    return pem.encode() if isinstance(pem, str) else pem


@lru_cache(maxsize=8)
def _load_key(pem: bytes) -> jwk.JWK:
    # Parsing an RSA key costs more than signing with it; the tool signs with one key at a time.
    key = jwk.JWK.from_pem(pem)
    if key.get("kty") != "RSA" or not key.has_private:
        raise ValueError("the signing key must be an RSA private key")
    return key


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_credential(data: CertificateData) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential (VC Data Model 2.0 + OB 3.0 contexts) for a certificate."""
    module, issuer = data.module, data.issuer
    profile = issuer_profile(issuer)
    achievement = build_achievement(module, issuer)
    subject: dict[str, Any] = {
        "id": data.learner_pseudonym,
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if data.printed_score is not None:
        subject["result"] = [{"type": ["Result"], "value": german_percent(data.printed_score)}]
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": data.credential_uri,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Zertifikat: {module.title}",
        "description": f"Nachweis über den erfolgreichen Abschluss des Moduls „{module.title}“.",
        "issuer": profile,
        "validFrom": _iso(data.valid_from),
        "issuanceDate": _iso(data.valid_from),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if data.credential_status:
        credential["credentialStatus"] = dict(data.credential_status)
    return credential


def build_achievement(module: ModuleInfo, issuer: IssuerSettings) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` of a module version, as credentials embed it and the tool publishes it at its id."""
    profile = issuer_profile(issuer)
    objectives = "\n".join(f"- {text}" for text in module.objectives)
    narrative = (
        f"Alle Lektionen des Online-Moduls „{module.title}“ (Version {module.version}) bearbeitet "
        f"und den Abschlusstest bestanden. Lernziele:\n{objectives}"
    )
    achievement: dict[str, Any] = {
        "id": achievement_id(issuer, module.id, module.version),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": module.title,
        "description": module.summary or f"Online-Modul „{module.title}“ der VAMOs-Lernplattform.",
        "criteria": {"narrative": narrative},
        "inLanguage": "de",
        "version": module.version,
        "creator": profile,
    }
    if module.hours:
        achievement["description"] += f" Umfang: {german_hours(module.hours)}."
    if issuer.public_base:
        achievement["image"] = {"id": achievement["id"] + "/image.svg", "type": "Image", "caption": module.title}
    return achievement


def issuer_profile(issuer: IssuerSettings) -> dict[str, Any]:
    """The issuer's OB 3.0 ``Profile`` as embedded in credentials and published at its id."""
    profile: dict[str, Any] = {"id": issuer.issuer_id, "type": ["Profile"], "name": issuer.organisation_name}
    if issuer.issuer_url:
        profile["url"] = issuer.issuer_url
    return profile


def achievement_id(issuer: IssuerSettings, module_id: str, version: str) -> str:
    """One achievement per module version (objectives may change between versions), published by the tool."""
    if issuer.public_base:
        return f"{issuer.public_base.rstrip('/')}/achievements/{module_id}/{version}"
    if issuer.issuer_id.startswith("http"):
        return f"{issuer.issuer_id.rstrip('/')}/achievements/{module_id}/{version}"
    return f"urn:vamos:achievement:{module_id}:{version}"


def sign_credential(credential: Mapping[str, Any], key: SigningKey) -> str:
    """The credential as a compact JWS (VC-JWT), with the JWT claims OB 3.0 requires (also used for the
    status list credential, whose issuer is a plain URI)."""
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    payload = dict(credential)
    issuer = credential["issuer"]
    payload.update(
        iss=issuer if isinstance(issuer, str) else issuer["id"],
        jti=credential["id"],
        nbf=int(valid_from.timestamp()),
    )
    if credential["credentialSubject"].get("id") and "OpenBadgeCredential" in credential["type"]:
        payload["sub"] = credential["credentialSubject"]["id"]
    token = jws.JWS(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    token.add_signature(_load_key(_pem_bytes(key.private_pem)), alg=ALGORITHM, protected=json.dumps(header, separators=(",", ":")))
    return token.serialize(compact=True)


def issue_credential(data: CertificateData, key: SigningKey) -> str:
    """Build and sign the credential of a certificate."""
    return sign_credential(build_credential(data), key)


def _is_canonical(segment: str) -> bool:
    """True if the base64url segment is exactly how its bytes encode: the last symbol of a segment
    has unused low bits that lenient decoders ignore, so without this check a token with a changed
    last symbol would still verify."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == segment


def verify_credential(
    token: str, jwks: Mapping[str, Any] | str, now: datetime | None = None
) -> dict[str, Any]:
    """Check a VC-JWT against a JWKS (e.g. the tool's /jwks) and return the credential.

    Checks the signature with the key named by ``kid``, the OB 3.0 consistency rules between JWT
    claims and credential, and that ``validFrom`` has begun. Raises CredentialError otherwise.
    """
    segments = token.split(".") if isinstance(token, str) else []
    if len(segments) != 3 or not all(s and s.isascii() and _is_canonical(s) for s in segments):
        raise CredentialError("not a compact JWS in canonical base64url")
    try:
        keyset = jwk.JWKSet.from_json(jwks if isinstance(jwks, str) else json.dumps(jwks))
        parsed = jws.JWS()
        parsed.deserialize(token)
        header = parsed.jose_header
        if header.get("alg") != ALGORITHM:
            raise CredentialError(f"unsupported alg {header.get('alg')!r}")
        key = keyset.get_key(header.get("kid") or "")
        if key is None:
            raise CredentialError(f"unknown kid {header.get('kid')!r}")
        parsed.verify(key, alg=ALGORITHM)
        payload = json.loads(parsed.payload)
    except CredentialError:
        raise
    except (JWException, ValueError, TypeError, KeyError) as exc:
        raise CredentialError(f"invalid credential: {type(exc).__name__}: {exc}") from exc
    _check_claims(payload)
    moment = now or datetime.now(timezone.utc)
    if payload["nbf"] > moment.timestamp() + 300:  # 5 minutes for clock skew between servers
        raise CredentialError("credential not yet valid")
    return {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub", "exp")}


def _check_claims(payload: Mapping[str, Any]) -> None:
    if "OpenBadgeCredential" not in payload.get("type", ()):
        raise CredentialError("not an OpenBadgeCredential")
    try:
        expected = {
            "iss": payload["issuer"]["id"],
            "jti": payload["id"],
            "nbf": int(datetime.fromisoformat(payload["validFrom"].replace("Z", "+00:00")).timestamp()),
        }
        subject_id = payload["credentialSubject"].get("id")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CredentialError(f"credential incomplete: {exc}") from exc
    if subject_id:
        expected["sub"] = subject_id
    for claim, value in expected.items():
        if payload.get(claim) != value:
            raise CredentialError(f"claim {claim} does not match the credential")
