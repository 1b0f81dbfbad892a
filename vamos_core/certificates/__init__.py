"""Verifiable module certificates, framework-free: used by the LTI tool and the Open edX blocks.

One certificate, two views: an A4 PDF/A-3b in German (``render_pdf``) and an Open Badges 3.0
``OpenBadgeCredential`` signed as VC-JWT with a tool key (``issue_credential``); the PDF carries
the credential as an attachment. Storage, the /verify page and revocation belong to the adapters.

    data = CertificateData(learner_name=..., learner_pseudonym="urn:uuid:...",
                           module=ModuleInfo.from_module(module), completed_at=...,
                           verification_code=new_code(), verify_url=f"{base}/verify/{code}",
                           issuer=IssuerSettings.from_env(), score=92.5)
    pdf_bytes, jwt = generate_certificate(data, SigningKey(private_pem, kid))
"""
from __future__ import annotations

from .archive import archive_name, certificate_filename, stream_zip, write_zip
from .codes import ENTROPY_BITS, InvalidCode, is_valid_code, new_code, normalize_code
from .credential import (
    MEDIA_TYPE,
    CredentialError,
    SigningKey,
    build_credential,
    issue_credential,
    sign_credential,
    verify_credential,
)
from .fonts import MissingFontError
from .issuer import IssuerSettings
from .german import german_date, german_hours, german_percent
from .pdf import ATTACHMENT_NAME, render_pdf, warm_up
from .record import CertificateData, ModuleInfo


def generate_certificate(data: CertificateData, signing_key: SigningKey) -> tuple[bytes, str]:
    """The signed credential and the PDF that embeds it: ``(pdf_bytes, credential_jwt)``."""
    token = issue_credential(data, signing_key)
    return render_pdf(data, credential_jwt=token), token


__all__ = [
    "ATTACHMENT_NAME", "ENTROPY_BITS", "MEDIA_TYPE",
    "CertificateData", "CredentialError", "InvalidCode", "IssuerSettings", "MissingFontError",
    "ModuleInfo", "SigningKey",
    "archive_name", "build_credential", "certificate_filename", "generate_certificate", "german_date", "german_hours", "german_percent",
    "is_valid_code", "issue_credential", "new_code", "normalize_code", "render_pdf", "sign_credential",
    "stream_zip", "verify_credential", "warm_up", "write_zip",
]
