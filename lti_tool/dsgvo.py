"""DSGVO: access (Art. 15), erasure (Art. 17) and the retention period (docs/lti.md, "Datenschutz").

* **Access**: everything stored about one person (issuer + sub): the learners row and organisation, the LMS
  accounts (``lti_user``), progress rows and events, certificates (with PDF and credential) and score outbox rows.
* **Erasure**: events, progress, outbox rows, LMS accounts and the organisation link are deleted. Certificates
  cannot vanish without a trace — a verifier holding one must learn that it no longer stands — so each is
  revoked with the reason ``gelöscht auf Wunsch (Art. 17 DSGVO)`` and its name, PDF and signed credential are
  removed: ``/verify/<code>`` answers "widerrufen" with module and date but no personal data. The learners row
  keeps its random pseudonym (the certificates hang on it) but its ``sub`` is replaced by a random token, so
  nothing links it to the LMS account any more.
  Every launch session of the person (in Redis or the SQL launch cache: issuer, ``sub``, the name from the LMS) is
  deleted with it (``forget_sessions``), so an old session id, cookie or link finds nothing and cannot re-create
  the person.
* **Retention** (``vamos lti retention``): people without activity for N days (``VAMOS_RETENTION_DAYS``,
  default 730) are pseudonymised: their ``sub`` is replaced by a random token in every table, the keys derived
  from it are replaced, LMS accounts and outbox rows (which carry the sub) are deleted, and revoked certificates
  lose name, PDF and credential. Valid certificates keep the name: it is what /verify confirms to the people the
  learner shows the certificate to. Counts in reports stay as they were.
"""
from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from vamos_core.certificates import InvalidCode, normalize_code

from . import rollups
from .models import (
    Certificate,
    Learner,
    LearnerOrganisation,
    LtiUser,
    ModuleProgress,
    Organisation,
    ProgressCourse,
    ProgressEvent,
    Registration,
    ResourceLink,
    ScoreOutbox,
    XapiOutbox,
    utcnow,
)

log = logging.getLogger(__name__)

ERASED_REASON = "gelöscht auf Wunsch (Art. 17 DSGVO)"
ANONYMOUS_PREFIX = ("anon:", "erased:")


def find(session: Session, query: str, platforms: tuple[str, ...]) -> Learner | None:
    """A person by pseudonym (the UUID, with or without ``urn:uuid:``) or by a certificate code, only on the
    given platforms."""
    text = (query or "").strip()
    if not text:
        return None
    pseudonym = text.removeprefix("urn:uuid:").lower()
    learner = None
    try:
        learner = session.scalars(select(Learner).where(Learner.pseudonym == str(uuid.UUID(pseudonym)))).first()
    except ValueError:
        try:
            code = normalize_code(text)
        except InvalidCode:
            return None
        learner = session.scalars(select(Learner).join(Certificate, Certificate.learner_id == Learner.id)
                                  .where(Certificate.verification_code == code)).first()
    if learner is None or learner.issuer not in platforms:
        return None
    return learner


def looks_like_id(query: str) -> bool:
    """A pseudonym (UUID, with or without ``urn:uuid:``) or a certificate code, not a name or e-mail address."""
    text = (query or "").strip()
    try:
        uuid.UUID(text.removeprefix("urn:uuid:"))
        return True
    except ValueError:
        pass
    try:
        normalize_code(text)
        return True
    except InvalidCode:
        return False


def find_people(session: Session, query: str, platforms: tuple[str, ...], members: list[dict],
                member_issuer: str) -> list[Learner]:
    """People by name or e-mail address (Art. 15/17 requests name a person, not a pseudonym): the name printed
    on their certificates (on the given platforms), or the name or e-mail the platform's roster (NRPS, the
    coordinator's course, ``members``) gives for them. Exact matches only, ignoring case and surrounding
    spaces: a search for "Lea" does not list every Lea. The tool itself stores no e-mail addresses."""
    wanted = " ".join((query or "").split()).casefold()
    if not wanted:
        return []
    found: dict[int, Learner] = {}
    for learner in session.scalars(
            select(Learner).join(Certificate, Certificate.learner_id == Learner.id)
            .where(Learner.issuer.in_(list(platforms)), func.lower(Certificate.learner_name) == wanted)):
        found[learner.id] = learner
    subs = [m["user_id"] for m in members if wanted in (
        " ".join(str(m.get("name") or "").split()).casefold(), str(m.get("email") or "").strip().casefold())]
    if subs and member_issuer in platforms:
        for learner in session.scalars(select(Learner).where(Learner.issuer == member_issuer,
                                                             Learner.sub.in_(subs[:100]))):
            found[learner.id] = learner
    return [p for p in found.values() if not p.sub.startswith(ANONYMOUS_PREFIX)]


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if isinstance(value, datetime) else None


def _row(obj, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for column in obj.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, datetime):
            value = _iso(value)
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        out[column.key] = value
    return out


def _accounts(session: Session, learner: Learner):
    return session.scalars(select(LtiUser).join(Registration, LtiUser.registration_id == Registration.id)
                           .where(Registration.issuer == learner.issuer, LtiUser.sub == learner.sub))


def access_report(session: Session, learner: Learner) -> dict[str, Any]:
    """Art. 15: everything the tool stores about the person, as JSON-ready data."""
    issuer, sub = learner.issuer, learner.sub
    link = session.get(LearnerOrganisation, learner.id)
    org = session.get(Organisation, link.organisation_id) if link and link.organisation_id else None
    accounts = []
    for account in _accounts(session, learner):
        reg = session.get(Registration, account.registration_id)
        accounts.append({"platform": reg.name or reg.issuer, "issuer": reg.issuer, "client_id": reg.client_id,
                         "sub": account.sub, "first_launch_at": _iso(account.created_at),
                         "last_launch_at": _iso(account.last_launch_at)})
    links = {r.id: r for r in session.scalars(select(ResourceLink).join(
        ProgressEvent, ProgressEvent.resource_link_pk == ResourceLink.id).where(
        ProgressEvent.issuer == issuer, ProgressEvent.sub == sub).distinct())}
    events = []
    for event in session.scalars(select(ProgressEvent).where(ProgressEvent.issuer == issuer, ProgressEvent.sub == sub)
                                 .order_by(ProgressEvent.id)):
        row = _row(event, skip=("issuer", "sub", "idempotency_key"))
        row["data"] = json.loads(event.data) if event.data else None
        link_row = links.get(event.resource_link_pk)
        row["resource_link"] = {"id": link_row.resource_link_id, "title": link_row.title} if link_row else None
        events.append(row)
    return {
        "format": "vamos-dsgvo-art15/1",
        "created_at": _iso(utcnow()),
        "person": {
            "pseudonym": learner.pseudonym, "credential_subject": learner.subject_id, "issuer": issuer, "sub": sub,
            "first_seen_at": _iso(learner.created_at), "last_launch_at": _iso(learner.last_seen_at),
            "role": learner.role,
            "organisation": (None if link is None else
                             {"chosen_at": _iso(link.chosen_at), "source": link.source,
                              "name": org.name if org else None, "type": org.type if org else None,
                              "city": org.city if org else None, "bundesland": org.bundesland if org else None}),
        },
        "lms_accounts": accounts,
        "module_progress": [_row(r, skip=("issuer", "sub")) for r in session.scalars(
            select(ModuleProgress).where(ModuleProgress.issuer == issuer, ModuleProgress.sub == sub)
            .order_by(ModuleProgress.id))],
        "progress_events": events,
        "certificates": [_row(c, skip=("learner_id",)) for c in session.scalars(
            select(Certificate).where(Certificate.learner_id == learner.id).order_by(Certificate.id))],
        "score_outbox": [_row(o, skip=("issuer", "sub", "claimed_by", "claimed_until")) for o in session.scalars(
            select(ScoreOutbox).where(ScoreOutbox.issuer == issuer, ScoreOutbox.sub == sub).order_by(ScoreOutbox.id))],
        # xAPI statements as stored for the LRS (with the pseudonym only; what the LRS keeps is the operator's).
        "xapi_outbox": [_row(o, skip=("issuer", "sub", "claimed_by", "claimed_until")) for o in session.scalars(
            select(XapiOutbox).where(XapiOutbox.issuer == issuer, XapiOutbox.sub == sub).order_by(XapiOutbox.id))],
        "not_stored": "Namen stehen nur auf Zertifikaten; E-Mail-Adressen werden nicht gespeichert. Die Sitzung "
                      "eines Starts (mit dem Namen aus der Lernplattform) verfällt nach ihrer Laufzeit.",
    }


def _forget_sub(session: Session, learner: Learner, token: str) -> dict[str, int]:
    issuer, sub = learner.issuer, learner.sub
    counts = {
        "score_outbox": session.execute(delete(ScoreOutbox).where(ScoreOutbox.issuer == issuer,
                                                                  ScoreOutbox.sub == sub)).rowcount,
        # Statements not sent yet are dropped. Sent ones in the LRS carry only the keyed pseudonym; the tool keeps no
        # table from pseudonym to person, and after this it holds no sub to compute one from (docs/xapi.md).
        "xapi_outbox": session.execute(delete(XapiOutbox).where(XapiOutbox.issuer == issuer,
                                                                XapiOutbox.sub == sub)).rowcount,
        "lms_accounts": 0,
    }
    for account in list(_accounts(session, learner)):
        session.delete(account)
        counts["lms_accounts"] += 1
    return counts


def erase(session: Session, learner: Learner) -> dict[str, int]:
    """Art. 17 for one person (see the module docstring). Returns what was deleted or changed."""
    issuer, sub = learner.issuer, learner.sub
    token = "erased:" + uuid.uuid4().hex
    rollups.remove_person(session, learner.id)  # before the rows go: the dashboard counters they made
    session.execute(delete(ProgressCourse).where(ProgressCourse.issuer == issuer, ProgressCourse.sub == sub))
    counts = _forget_sub(session, learner, token)
    counts["progress_events"] = session.execute(delete(ProgressEvent).where(
        ProgressEvent.issuer == issuer, ProgressEvent.sub == sub)).rowcount
    counts["module_progress"] = session.execute(delete(ModuleProgress).where(
        ModuleProgress.issuer == issuer, ModuleProgress.sub == sub)).rowcount
    counts["organisation"] = session.execute(delete(LearnerOrganisation).where(
        LearnerOrganisation.learner_id == learner.id)).rowcount
    counts["certificates"] = _strip_certificates(session, learner.id, only_revoked=False)
    learner.sub = token
    learner.last_seen_at = None
    session.flush()
    return counts


def forget_sessions(cache, issuer: str, sub: str) -> int:
    """Delete the person's launch sessions (after ``erase``): they hold the sub and the name from the LMS, and a
    replayed session would re-create a learner, a progress row and events."""
    from .sessions import PREFIX

    return cache.delete_matching(PREFIX, lambda data: isinstance(data, dict) and data.get("issuer") == issuer
                                 and data.get("sub") == sub)


def _strip_certificates(session: Session, learner_id: int, only_revoked: bool) -> int:
    now = utcnow()
    count = 0
    for cert in session.scalars(select(Certificate).where(Certificate.learner_id == learner_id)):
        if only_revoked and cert.status != Certificate.REVOKED:
            continue
        if not only_revoked:
            if cert.status == Certificate.VALID:
                cert.revoked_at = now
            cert.status = Certificate.REVOKED
            cert.revoked_reason = ERASED_REASON
        if cert.learner_name or cert.pdf or cert.credential_jwt:
            cert.learner_name, cert.pdf, cert.credential_jwt = "", b"", ""
        count += 1
    return count


def pseudonymise(session: Session, learner: Learner) -> None:
    """Retention for one person: replace the sub everywhere, drop what carries it (see the module docstring)."""
    issuer, sub = learner.issuer, learner.sub
    token = "anon:" + uuid.uuid4().hex
    _forget_sub(session, learner, token)
    rollups.rename_sub(session, issuer, sub, token)
    session.execute(update(ModuleProgress).where(ModuleProgress.issuer == issuer, ModuleProgress.sub == sub)
                    .values(sub=token))
    # The idempotency keys are hashes over the sub: replaced by a key that derives from nothing personal.
    session.execute(update(ProgressEvent).where(ProgressEvent.issuer == issuer, ProgressEvent.sub == sub)
                    .values(sub=token, idempotency_key=literal("anon:") + cast(ProgressEvent.id, String)))
    _strip_certificates(session, learner.id, only_revoked=True)
    learner.sub = token
    learner.last_seen_at = None


def retention(db, days: int, now: datetime | None = None) -> int:
    """Pseudonymise everybody whose last activity (launch or progress) is older than ``days``. Returns how many."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.session() as s:
        last_progress = (select(ModuleProgress.issuer, ModuleProgress.sub,
                                func.max(ModuleProgress.updated_at).label("last"))
                         .group_by(ModuleProgress.issuer, ModuleProgress.sub).subquery())
        candidates = s.execute(
            select(Learner.id, Learner.created_at, Learner.last_seen_at, last_progress.c.last)
            .outerjoin(last_progress, (last_progress.c.issuer == Learner.issuer) & (last_progress.c.sub == Learner.sub))
            .where(~or_(*[Learner.sub.startswith(p) for p in ANONYMOUS_PREFIX]))
        ).all()
    due = [learner_id for learner_id, created, seen, last in candidates
           if max(t for t in (created, seen, last) if t is not None) < cutoff]
    for start in range(0, len(due), 200):
        with db.session() as s:
            for learner in s.scalars(select(Learner).where(Learner.id.in_(due[start:start + 200]))):
                pseudonymise(s, learner)
    log.info("retention days=%d pseudonymised=%d", days, len(due))
    return len(due)
