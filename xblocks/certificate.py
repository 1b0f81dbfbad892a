"""The certificate hook of the module block: issuance record → core generator → PDF (and signed credential).

The generator lives in ``vamos_core.certificates`` (``generate_certificate(data, signing_key) ->
(pdf_bytes, credential_jwt)``). Everything that can go wrong at an operator's site — the key file missing or
unreadable, not an RSA private key, a font package not installed in the image — is raised as
:class:`CertificateUnavailable` with the cause for the log, so the block can tell the learner clearly and never
answers with a 500 (and never publishes "issued" for a certificate that was not produced).

Configuration (Open edX: ``XBLOCK_SETTINGS["vamos"]``; else environment variables):

=========================  ===================================  ============================================
setting                    environment                          meaning
=========================  ===================================  ============================================
``signing_key_file``       ``VAMOS_CERT_SIGNING_KEY_FILE``      PEM private key that signs the credential
``signing_key_id``         ``VAMOS_CERT_SIGNING_KEY_ID``        its ``kid`` as published in the JWKS
``verify_base_url``        ``VAMOS_CERT_VERIFY_URL``            verification page; the code is appended
=========================  ===================================  ============================================
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

SETTINGS_BUCKET = "vamos"
ENV = {
    "signing_key_file": "VAMOS_CERT_SIGNING_KEY_FILE",
    "signing_key_id": "VAMOS_CERT_SIGNING_KEY_ID",
    "verify_base_url": "VAMOS_CERT_VERIFY_URL",
}


class CertificateUnavailable(RuntimeError):
    """The certificate cannot be rendered here; ``cause`` says why (for operators, without personal data)."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def generator() -> Callable[..., tuple[bytes, str]]:
    from vamos_core.certificates import generate_certificate

    return generate_certificate


def settings_for(block) -> dict[str, str]:
    service = block.runtime.service(block, "settings")
    bucket = service.get_settings_bucket(block) if service is not None else {}
    bucket = bucket or {}
    return {key: str(bucket.get(key) or os.environ.get(env, "")).strip() for key, env in ENV.items()}


def is_configured(settings: dict[str, str]) -> bool:
    return bool(settings["signing_key_file"] and settings["verify_base_url"])


def module_snapshot(module) -> dict[str, Any]:
    """The module as the certificate states it, frozen at issuance (a later content version must not change it)."""
    return {
        "id": module.id,
        "title": module.title,
        "version": module.version,
        "objectives": [o.text for o in module.objectives],
        "summary": module.summary,
        "hours": module.certificate.hours,
        "show_score": module.certificate.show_score,
    }


def new_verification_code() -> str:
    try:
        from vamos_core.certificates.codes import new_code
    except ImportError:  # pragma: no cover - the certificates package is part of the core
        return uuid.uuid4().hex[:12].upper()
    return new_code()


def render(record: dict[str, Any], settings: dict[str, str]) -> tuple[bytes, str]:
    """PDF bytes and credential JWT for an issuance record; :class:`CertificateUnavailable` if that fails."""
    from vamos_core.certificates.credential import SigningKey
    from vamos_core.certificates.fonts import MissingFontError
    from vamos_core.certificates.issuer import IssuerSettings
    from vamos_core.certificates.record import CertificateData, ModuleInfo

    snapshot = dict(record["module"])
    snapshot["objectives"] = tuple(snapshot.get("objectives", ()))
    data = CertificateData(
        learner_name=record["name"],
        learner_pseudonym=record["pseudonym"],
        module=ModuleInfo(**snapshot),
        completed_at=datetime.fromisoformat(record["completed_at"]),
        verification_code=record["code"],
        verify_url=settings["verify_base_url"].rstrip("/") + "/" + record["code"],
        issuer=IssuerSettings.from_env(),
        score=record.get("score"),
        issued_at=datetime.fromisoformat(record["issued_at"]),
    )
    key_file = Path(settings["signing_key_file"])
    try:
        pem = key_file.read_bytes()
    except OSError as exc:
        raise CertificateUnavailable(f"signing key file {key_file} cannot be read ({exc.strerror or exc})") from None
    key = SigningKey(pem, settings["signing_key_id"] or "vamos-openedx")
    try:
        return generator()(data, key)
    except MissingFontError as exc:
        raise CertificateUnavailable(f"font missing in this image: {exc}") from None
    except (ValueError, TypeError) as exc:  # jwcrypto: not a PEM key, or not an RSA private key
        raise CertificateUnavailable(f"signing key {key_file} is not usable: {exc}") from None
