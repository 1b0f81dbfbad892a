"""Who issues the certificates: organisation, logo, signatory and the issuer id of the credential.

Configured per installation through environment variables (prefix ``VAMOS_CERT_``):

=============================  ==============================================================
``VAMOS_CERT_ORG_NAME``        organisation printed on the PDF and named in the credential
                               (default: "VAMOs – Verbandsakademie für Migrant*innenorganisationen")
``VAMOS_CERT_ISSUER_ID``       issuer id (URI) of the Open Badges credential, e.g. the tool's
                               public URL ``https://lernen.example.org/`` (default: ``urn:vamos:issuer``;
                               set it in production: verifiers expect a dereferenceable URL)
``VAMOS_CERT_ISSUER_URL``      the organisation's web site (optional, shown in credential and PDF)
``VAMOS_CERT_LOGO``            path to a PNG or JPEG logo printed at the top of the PDF (optional)
``VAMOS_CERT_SIGNATORY_NAME``  person who signs, printed under the signature line (optional)
``VAMOS_CERT_SIGNATORY_ROLE``  their role, e.g. "Geschäftsführung" (optional)
=============================  ==============================================================
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ENV_PREFIX = "VAMOS_CERT_"
DEFAULT_ORG_NAME = "VAMOs – Verbandsakademie für Migrant*innenorganisationen"
DEFAULT_ISSUER_ID = "urn:vamos:issuer"


@dataclass(frozen=True)
class IssuerSettings:
    organisation_name: str = DEFAULT_ORG_NAME
    issuer_id: str = DEFAULT_ISSUER_ID
    issuer_url: str | None = None
    logo_path: Path | None = None
    signatory_name: str | None = None
    signatory_role: str | None = None
    # The tool's public URL: achievement definitions and their images are published below it
    # (``<public_base>/achievements/<module>/<version>``), so their ids dereference (set by the adapter).
    public_base: str | None = None

    def __post_init__(self) -> None:
        if not self.organisation_name.strip():
            raise ValueError("organisation_name must not be empty")
        if ":" not in self.issuer_id:
            raise ValueError(f"issuer_id must be a URI, got {self.issuer_id!r}")
        if self.logo_path is not None and not Path(self.logo_path).is_file():
            raise ValueError(f"logo not found: {self.logo_path}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "IssuerSettings":
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        logo = get("LOGO")
        return cls(
            organisation_name=get("ORG_NAME") or DEFAULT_ORG_NAME,
            issuer_id=get("ISSUER_ID") or DEFAULT_ISSUER_ID,
            issuer_url=get("ISSUER_URL"),
            logo_path=Path(logo) if logo else None,
            signatory_name=get("SIGNATORY_NAME"),
            signatory_role=get("SIGNATORY_ROLE"),
        )
