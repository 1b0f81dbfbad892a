"""What a certificate states: one frozen value, built from the issuance record by the adapters.

The certificate keeps its own snapshot of the module (``ModuleInfo``) rather than the live
``Module``: a certificate issued for version 2026.1 must print 2026.1 and its objectives even after
the trainers changed the module, and the LTI tool can rebuild it from its database row.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from ..model import Module
from .codes import normalize_code
from .issuer import IssuerSettings

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class ModuleInfo:
    id: str
    title: str
    version: str
    objectives: tuple[str, ...]
    summary: str = ""
    hours: float | None = None  # workload printed on the certificate
    show_score: bool = True

    @classmethod
    def from_module(cls, module: Module) -> "ModuleInfo":
        return cls(
            id=module.id,
            title=module.title,
            version=module.version,
            objectives=tuple(o.text for o in module.objectives),
            summary=module.summary,
            hours=module.certificate.hours,
            show_score=module.certificate.show_score,
        )


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on the PDF and stated in the credential.

    ``learner_name`` is the name as the LMS gave it; ``learner_pseudonym`` is an opaque URI that
    identifies the learner in the credential without personal data (e.g. ``urn:uuid:…``).
    ``verify_url`` is the public page for ``verification_code``; it also serves as the credential id
    unless ``credential_id`` is given.
    """

    learner_name: str
    learner_pseudonym: str
    module: ModuleInfo
    completed_at: datetime
    verification_code: str
    verify_url: str
    issuer: IssuerSettings = field(default_factory=IssuerSettings)
    score: float | None = None  # percent 0–100; printed only if module.show_score
    issued_at: datetime | None = None  # validFrom of the credential; defaults to completed_at
    credential_id: str | None = None
    # The credentialStatus entry (status_list.status_entry) that lets a verifier see a revocation.
    credential_status: dict | None = None

    def __post_init__(self) -> None:
        # LMSs send stray spaces, line breaks and decomposed diacritics (NFD from macOS input).
        name = unicodedata.normalize("NFC", " ".join(self.learner_name.split()))
        if not name:
            raise ValueError("learner_name must not be empty")
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"learner_name longer than {MAX_NAME_LENGTH} characters")
        object.__setattr__(self, "learner_name", name)
        if ":" not in self.learner_pseudonym or "@" in self.learner_pseudonym:
            raise ValueError("learner_pseudonym must be an opaque URI (no e-mail address)")
        for label, value in (("completed_at", self.completed_at), ("issued_at", self.issued_at)):
            if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise ValueError(f"{label} must be a timezone-aware datetime")
        object.__setattr__(self, "verification_code", normalize_code(self.verification_code))
        if not self.verify_url.startswith(("https://", "http://")):
            raise ValueError("verify_url must be an http(s) URL")
        if self.score is not None and not 0 <= self.score <= 100:
            raise ValueError("score must be a percentage between 0 and 100")

    @property
    def valid_from(self) -> datetime:
        return (self.issued_at or self.completed_at).astimezone(timezone.utc)

    @property
    def credential_uri(self) -> str:
        return self.credential_id or self.verify_url

    @property
    def printed_score(self) -> float | None:
        return self.score if self.module.show_score else None

    @property
    def completion_date(self) -> date:
        return self.completed_at.date()  # in the time zone the adapter gave (the learner's)

    @property
    def issue_date(self) -> date:
        return (self.issued_at or self.completed_at).date()
