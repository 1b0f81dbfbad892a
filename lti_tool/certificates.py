"""Certificates of the LTI tool: issuance records over ``vamos_core.certificates`` (docs/lti.md, "Zertifikate").

* **One record per learner and module**, written once when the completion rule first holds. The
  PDF and the signed credential are generated *before* the insert (outside any transaction holding
  locks); concurrent issuers race on the partial unique index ``uq_certificates_one_valid`` and the
  losers read the winner's record. A learner who has a certificate (valid or revoked) never gets a
  second one automatically: re-issuing is a coordinator's decision.
* **Snapshot**: name, module (``ModuleInfo``), completion date, score, PDF and credential are stored
  with the record, so an old certificate stays reproducible and a course ZIP renders nothing.
* **Pseudonymous subject**: credentials name the learner by ``urn:uuid:`` of a random UUID per
  (issuer, sub) (table ``learners``), never by ``sub`` or an e-mail address.
* **Signed with the current credential key** (``lti_tool.credential_keys``), never with an LTI key: the
  ``kid`` is the URL of that key, which stays published however often the LTI keys rotate.
* **Revocation is visible**: every new credential carries a ``credentialStatus`` entry at a random position
  (``status_index``) of the published Bitstring Status List; revocation and erasure set its bit.
"""
from __future__ import annotations

import json
import logging
import unicodedata
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from vamos_core.certificates import (
    CertificateData,
    IssuerSettings,
    ModuleInfo,
    SigningKey,
    archive_name,
    generate_certificate,
    new_code,
    stream_zip,
)
from vamos_core.certificates.issuer import DEFAULT_ISSUER_ID
from vamos_core.model import Module

from vamos_core.certificates import status_list

from . import credential_keys, rollups
from .db import Database
from .models import Certificate, Learner, ModuleProgress, ProgressEvent, ResourceLink, utcnow
from .progress import Learner as Person

log = logging.getLogger(__name__)

# Dates on certificates are the learner's calendar day; the tool serves German organisations.
LOCAL_TZ = ZoneInfo("Europe/Berlin")
MAX_NAME = 120
NAME_PUNCTUATION = set(" -'.’‐")
MAX_REASON = 300

VerifyUrl = Callable[[str], str]  # verification code -> public URL of its /verify page


class CertificateStateError(Exception):
    """The certificate is not valid any more (revoked meanwhile): nothing was changed."""


# ---------------------------------------------------------------- names


def clean_name(text: str | None) -> str | None:
    """A name typed by the learner or a coordinator: 1–120 characters, letters of any script
    (with their combining marks), spaces, hyphens, apostrophes and dots; None if not acceptable."""
    if not isinstance(text, str):
        return None
    name = unicodedata.normalize("NFC", " ".join(text.split()))
    if not 1 <= len(name) <= MAX_NAME:
        return None
    if not any(unicodedata.category(c).startswith("L") for c in name):
        return None
    for char in name:
        if char not in NAME_PUNCTUATION and unicodedata.category(char)[0] not in ("L", "M"):
            return None
    return name


def name_from_claims(claims: dict) -> str | None:
    """The learner's name as the LMS sent it (``name``, else ``given_name`` + ``family_name``), for
    the launch session only. Control characters are dropped; an over-long name is not used."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(k) for k in ("given_name", "family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" or c == " ")
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    return name if 1 <= len(name) <= MAX_NAME else None


def clean_reason(text: str | None) -> str | None:
    if not isinstance(text, str):
        return None
    reason = " ".join(text.split())
    return reason if 1 <= len(reason) <= MAX_REASON else None


# ---------------------------------------------------------------- records


STATUS_LIST_PATH = "/credentials/status/revocation"


def issuer_settings(base_url: str = "") -> IssuerSettings:
    """``VAMOS_CERT_*`` settings; without an explicit issuer id the tool publishes the issuer profile at
    ``<base>/issuer``. Achievement definitions are published below the tool's URL."""
    settings = IssuerSettings.from_env()
    if not base_url:
        return settings
    base = base_url.rstrip("/")
    issuer_id = base + "/issuer" if settings.issuer_id == DEFAULT_ISSUER_ID else settings.issuer_id
    return IssuerSettings(**{**asdict(settings), "issuer_id": issuer_id, "public_base": base})


def status_list_url(base: str) -> str:
    return base.rstrip("/") + STATUS_LIST_PATH


def snapshot(info: ModuleInfo) -> str:
    return json.dumps({**asdict(info), "objectives": list(info.objectives)}, ensure_ascii=False, sort_keys=True)


def module_info(cert: Certificate) -> ModuleInfo:
    raw = json.loads(cert.module_snapshot)
    return ModuleInfo(**{**raw, "objectives": tuple(raw.get("objectives", ()))})


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def certificate_data(cert: Certificate, verify_url: VerifyUrl, issuer: IssuerSettings) -> CertificateData:
    """What the record states, as the core's value (for file names and re-rendering)."""
    return CertificateData(
        learner_name=cert.learner_name,
        learner_pseudonym=cert.learner.subject_id,
        module=module_info(cert),
        completed_at=aware(cert.completed_at).astimezone(LOCAL_TZ),
        verification_code=cert.verification_code,
        verify_url=verify_url(cert.verification_code),
        issuer=issuer,
        score=cert.score,
        issued_at=aware(cert.created_at),
        credential_id=cert.credential_id,
    )


def _learner(session: Session, person: Person) -> Learner:
    """The learner row of (issuer, sub), created with a fresh pseudonym if missing (race-safe)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert

    session.execute(
        insert(Learner)
        .values(issuer=person.issuer, sub=person.sub, pseudonym=str(uuid.uuid4()), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["issuer", "sub"])
    )
    return session.scalars(select(Learner).where(Learner.issuer == person.issuer, Learner.sub == person.sub)).one()


def latest(db: Database, person: Person, module_id: str) -> Certificate | None:
    """The learner's certificate of a module: the valid one, else the most recent revoked one."""
    with db.session() as s:
        rows = list(
            s.scalars(
                select(Certificate)
                .join(Learner)
                .where(Learner.issuer == person.issuer, Learner.sub == person.sub, Certificate.module_id == module_id)
                .options(defer(Certificate.pdf))
                .order_by(Certificate.id.desc())
            )
        )
    return next((c for c in rows if c.status == Certificate.VALID), rows[0] if rows else None)


def _base_of(issuer: IssuerSettings) -> str:
    return issuer.public_base or issuer.issuer_id


def _signing_key(db: Database, base: str) -> SigningKey:
    with db.session() as s:
        return credential_keys.signing_key(s, base)


def _generate(data: CertificateData, db: Database) -> tuple[bytes, str]:
    return generate_certificate(data, _signing_key(db, _base_of(data.issuer)))


def _free_status_index(db: Database) -> int:
    """A random unused position in the status list (a rare collision with a concurrent issuer is caught by the
    unique index and retried by the caller)."""
    with db.session() as s:
        for _ in range(64):
            index = status_list.random_index()
            if s.scalar(select(Certificate.id).where(Certificate.status_index == index)) is None:
                return index
    raise RuntimeError("status list nearly full")


def _status(db: Database, issuer: IssuerSettings) -> tuple[int | None, dict | None]:
    if not issuer.public_base:  # no URL to publish a list at (core tests, CLI without a base URL)
        return None, None
    index = _free_status_index(db)
    return index, status_list.status_entry(status_list_url(issuer.public_base), index)


def ensure_issued(
    db: Database,
    person: Person,
    module: Module,
    row: ModuleProgress,
    name: str,
    verify_url: VerifyUrl,
    issuer: IssuerSettings,
    xapi=None,
) -> Certificate:
    """The learner's certificate of the module, issued now if the module is completed and the
    learner has none yet. Idempotent under concurrent calls (one record, the others read it).
    ``xapi`` (``xapi_outbox.XapiRecorder``): the "earned" statement goes into the outbox with the record."""
    existing = latest(db, person, module.id)
    if existing is not None:
        return existing
    if not row.completed:
        raise ValueError("module not completed")
    with db.session() as s:
        learner = _learner(s, person)
        subject_id = learner.subject_id
        learner_id = learner.id
    info = ModuleInfo.from_module(module)
    for attempt in range(3):
        code = new_code()
        now = utcnow()
        completed_at = row.completed_at or now
        index, entry = _status(db, issuer)
        data = CertificateData(
            learner_name=name,
            learner_pseudonym=subject_id,
            module=info,
            completed_at=aware(completed_at).astimezone(LOCAL_TZ),
            verification_code=code,
            verify_url=verify_url(code),
            issuer=issuer,
            score=row.quiz_score if info.show_score and row.quiz_score is not None else None,
            issued_at=aware(now),
            credential_status=entry,
        )
        pdf, token = _generate(data, db)  # ~0.2 s, outside every transaction
        try:
            with db.session() as s:
                cert = Certificate(
                    learner_id=learner_id, module_id=module.id, module_snapshot=snapshot(info),
                    learner_name=data.learner_name, completed_at=completed_at, score=data.score,
                    verification_code=data.verification_code, credential_id=data.credential_uri,
                    credential_jwt=token, pdf=pdf, status=Certificate.VALID, created_at=now, status_index=index,
                )
                s.add(cert)
                s.flush()  # the partial unique index decides a race before the counter moves
                rollups.certificate(s, person.issuer, person.sub, module.id, completed_at, +1)
                if xapi is not None:  # "earned", in the issuance's transaction (docs/xapi.md)
                    xapi.enqueue(s, person.issuer, person.sub, [xapi.certificate_earned(
                        person.issuer, person.sub, module, now, data.verification_code)])
        except IntegrityError:
            # A concurrent request issued it first (partial unique index): theirs is the certificate.
            winner = latest(db, person, module.id)
            if winner is not None:
                return winner
            if attempt == 2:
                raise
            continue  # a concurrent issuer took the same status list position: try another one
        log.info("certificate issued module=%s id=%s", module.id, cert.id)
        return latest(db, person, module.id)
    raise AssertionError("unreachable")


def get(db: Database, cert_id: int, *, with_pdf: bool = False) -> Certificate | None:
    with db.session() as s:
        query = select(Certificate).where(Certificate.id == cert_id)
        if not with_pdf:
            query = query.options(defer(Certificate.pdf))
        return s.scalars(query).first()


def by_code(db: Database, code: str) -> Certificate | None:
    """Lookup by the unique index on the (normalised) code."""
    with db.session() as s:
        return s.scalars(
            select(Certificate).where(Certificate.verification_code == code).options(defer(Certificate.pdf))
        ).first()


def pdf_of(db: Database, cert_id: int) -> bytes:
    with db.session() as s:
        return s.scalar(select(Certificate.pdf).where(Certificate.id == cert_id))


def revoke(db: Database, cert_id: int, reason: str) -> Certificate:
    with db.session() as s:
        cert = s.scalars(
            select(Certificate).where(Certificate.id == cert_id).options(defer(Certificate.pdf)).with_for_update()
        ).one()
        if cert.status != Certificate.VALID:
            raise CertificateStateError("already revoked")
        cert.status, cert.revoked_at, cert.revoked_reason = Certificate.REVOKED, utcnow(), reason
        rollups.certificate(s, cert.learner.issuer, cert.learner.sub, cert.module_id, cert.completed_at, -1)
    log.info("certificate revoked id=%s", cert_id)
    return get(db, cert_id)


def reissue(db: Database, cert_id: int, name: str, verify_url: VerifyUrl, issuer: IssuerSettings) -> Certificate:
    """A new certificate with the same facts and a corrected name; the old one is revoked with the
    reason "ersetzt durch <new code>" and points to the new one (``replaced_by``)."""
    old = get(db, cert_id)
    if old is None or old.status != Certificate.VALID:
        raise CertificateStateError("not valid")
    now = utcnow()
    code = new_code()
    index, entry = _status(db, issuer)
    data = CertificateData(
        learner_name=name,
        learner_pseudonym=old.learner.subject_id,
        module=module_info(old),
        completed_at=aware(old.completed_at).astimezone(LOCAL_TZ),
        verification_code=code,
        verify_url=verify_url(code),
        issuer=issuer,
        score=old.score,
        issued_at=aware(now),
        credential_status=entry,
    )
    pdf, token = _generate(data, db)
    with db.session() as s:
        locked = s.scalars(
            select(Certificate).where(Certificate.id == cert_id).options(defer(Certificate.pdf)).with_for_update()
        ).one()
        if locked.status != Certificate.VALID:
            raise CertificateStateError("revoked meanwhile")
        locked.status, locked.revoked_at = Certificate.REVOKED, now
        locked.revoked_reason = f"ersetzt durch {data.verification_code}"
        s.flush()  # the old one leaves the partial unique index before the new one enters it
        new = Certificate(
            learner_id=locked.learner_id, module_id=locked.module_id, module_snapshot=locked.module_snapshot,
            learner_name=data.learner_name, completed_at=locked.completed_at, score=locked.score,
            verification_code=data.verification_code, credential_id=data.credential_uri, credential_jwt=token,
            pdf=pdf, status=Certificate.VALID, created_at=now, status_index=index,
        )
        s.add(new)
        s.flush()
        locked.replaced_by = new.id
        new_id = new.id
    log.info("certificate reissued old=%s new=%s", cert_id, new_id)
    return get(db, new_id)


# ---------------------------------------------------------------- a course


def _in_course(issuer: str, context_pk: int | None):
    """Certificates of learners of one platform; with a context only those of learners who worked on
    the module from a link of that course (their progress events remember the resource link)."""
    conditions = [Learner.issuer == issuer]
    if context_pk is not None:
        conditions.append(
            exists(
                select(ProgressEvent.id)
                .join(ResourceLink, ProgressEvent.resource_link_pk == ResourceLink.id)
                .where(
                    ProgressEvent.issuer == Learner.issuer,
                    ProgressEvent.sub == Learner.sub,
                    ProgressEvent.module_id == Certificate.module_id,
                    ResourceLink.context_pk == context_pk,
                )
            )
        )
    return conditions


def course_certificates(db: Database, issuer: str, context_pk: int | None) -> list[Certificate]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Certificate)
                .join(Learner)
                .where(*_in_course(issuer, context_pk))
                .options(defer(Certificate.pdf), defer(Certificate.credential_jwt))
                .order_by(Certificate.module_id, Certificate.learner_name, Certificate.id)
            )
        )


def in_course(db: Database, cert_id: int, issuer: str, context_pk: int | None) -> Certificate | None:
    with db.session() as s:
        return s.scalars(
            select(Certificate)
            .join(Learner)
            .where(Certificate.id == cert_id, *_in_course(issuer, context_pk))
            .options(defer(Certificate.pdf))
        ).first()


def course_zip(db: Database, issuer: str, context_pk: int | None) -> Iterator[bytes]:
    """The stored PDFs of the course's valid certificates as a streamed ZIP (chunks, one per certificate): one
    query read through a server-side cursor in batches, nothing rendered, parsed or compressed again — the file
    name comes from the stored name, module and code. Memory holds one batch of PDFs."""
    query = (select(Certificate.learner_name, Certificate.module_id, Certificate.verification_code, Certificate.pdf)
             .join(Learner).where(Certificate.status == Certificate.VALID, *_in_course(issuer, context_pk))
             .order_by(Certificate.module_id, Certificate.learner_name, Certificate.id))

    def entries(conn) -> Iterator[tuple[str, bytes]]:
        seen: set[str] = set()
        for learner_name, module_id, code, pdf in conn.execute(query, execution_options=_ZIP_BATCHES):
            name = archive_name(learner_name, module_id, code)
            if name in seen:  # the name carries only 4 symbols of the code
                name = name.rsplit(".", 1)[0] + "-" + code.replace("-", "") + ".pdf"
            seen.add(name)
            yield name, pdf

    with db.engine.connect() as conn:
        yield from stream_zip(entries(conn))


# ~50 KB per PDF: 50 rows per fetch keep a batch near 2.5 MB.
_ZIP_BATCHES = {"stream_results": True, "yield_per": 50}


# ---------------------------------------------------------------- published for verifiers


def revoked_status_indexes(db: Database) -> list[int]:
    """The status list positions of every certificate that no longer stands (revoked, replaced or erased)."""
    with db.session() as s:
        return list(s.scalars(select(Certificate.status_index).where(
            Certificate.status_index.is_not(None), Certificate.status != Certificate.VALID)))


def achievement_snapshot(db: Database, module_id: str, version: str) -> ModuleInfo | None:
    """The module as it was certified in ``version`` (for achievement ids of versions no longer in the catalogue)."""
    with db.session() as s:
        for raw in s.scalars(select(Certificate.module_snapshot).where(Certificate.module_id == module_id)
                             .order_by(Certificate.id.desc()).limit(500)):
            info = json.loads(raw)
            if info.get("version") == version:
                return ModuleInfo(**{**info, "objectives": tuple(info.get("objectives", ()))})
    return None
