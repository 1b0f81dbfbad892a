"""Tables of the LTI tool. Personal data kept to what features need: the platform's opaque
``sub`` (needed later to send scores back), never e-mail addresses; a learner's name only in the
certificate it is printed on (``certificates.learner_name``)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Registration(Base):
    """One platform registration: issuer + client_id and the platform's endpoints."""

    __tablename__ = "lti_registration"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_registration_issuer_client"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list["Deployment"]] = relationship(back_populates="registration", cascade="all, delete-orphan")


class Deployment(Base):
    """A deployment of a registration. Unknown ones are recorded as ``pending`` until approved."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id", name="uq_deployment"),)

    ACTIVE = "active"
    PENDING = "pending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(nullable=True)

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class ToolKey(Base):
    """An RSA key pair of the tool. Published in /jwks until ``retire_at``; the newest signs."""

    __tablename__ = "lti_tool_key"

    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retire_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LtiUser(Base):
    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("registration_id", "sub", name="uq_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiContext(Base):
    """A course (context) on a platform; title and label help trainers recognise it in reports."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("deployment_pk", "context_id", name="uq_context"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # Names and Role Provisioning: the course's membership URL from the launch (None: no NRPS).
    nrps_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class ResourceLink(Base):
    """A placement of the tool in a course; ``module_id`` names the module it opens."""

    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("deployment_pk", "resource_link_id", name="uq_resource_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_pk: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(ForeignKey("lti_context.id", ondelete="SET NULL"), nullable=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    # Assignment and Grade Services of this link, from the launch's AGS endpoint claim: the line items
    # URL of the course, the link's own line item (from the claim, or found/created by the score worker)
    # and the scopes the platform granted (JSON list). None: the platform offers no AGS here.
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    ags_lineitem_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    ags_scopes: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxDelivery:
    """What every outbox row has for its delivery (``lti_tool.outbox``): state, retries with backoff, the
    worker's lease (``claimed_by`` + ``claimed_until``) and the last error. AGS scores and xAPI statements
    share it; each table adds what it sends."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed_permanent"

    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ScoreOutbox(OutboxDelivery, Base):
    """A score to post to a line item (AGS), written in the same transaction as the progress event that
    changed the learner's module state; a worker sends it (``lti_tool.score_sync``).

    One row per score change and resource link, each sent once and in order per (learner, link):
    a row is only claimed when no older row of the same learner and link is still pending. Workers
    claim rows with a lease (``claimed_by`` + ``claimed_until``; ``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, SQLite's single writer elsewhere), so two workers never send the same row.
    """

    __tablename__ = "score_outbox"
    __table_args__ = (
        Index("ix_score_outbox_due", "status", "next_attempt_at"),
        Index("ix_score_outbox_learner_link", "issuer", "sub", "resource_link_pk", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str] = mapped_column(String(100))
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("lti_resource_link.id", ondelete="CASCADE"), nullable=True, index=True
    )
    progress_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_events.id", ondelete="SET NULL"), nullable=True
    )
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)  # resolved when sent
    payload: Mapped[str] = mapped_column(Text)  # JSON of the AGS score


class CacheEntry(Base):
    """The launch cache when no Redis is configured: shared by every process using the database."""

    __tablename__ = "lti_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class ProgressEvent(Base):
    """One fact of a learner's progress: a lesson viewed or completed, or a graded quiz attempt.

    Progress is keyed per person and module — (platform issuer, ``sub``, module id) — not per course:
    a learner who opens the same module from two courses of one LMS sees one progress (docs/lti.md).
    ``idempotency_key`` is unique: a double-submitted attempt or a second click on "done" inserts once.
    """

    __tablename__ = "progress_events"
    __table_args__ = (Index("ix_progress_events_learner_module", "issuer", "sub", "module_id"),)

    LESSON_VIEWED = "lesson_viewed"
    LESSON_COMPLETED = "lesson_completed"
    QUIZ_ATTEMPT = "quiz_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    lesson_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: answers, points, percent of an attempt
    content_version: Mapped[str] = mapped_column(String(50), default="")
    # Where the event happened; score passback hangs on the resource link, progress does not.
    resource_link_pk: Mapped[int | None] = mapped_column(
        ForeignKey("lti_resource_link.id", ondelete="SET NULL"), nullable=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleProgress(Base):
    """The derived state of one learner in one module, rebuilt from ``progress_events`` in the same
    transaction as every event (``lti_tool.progress.recompute``). The reading position is UI state
    kept here only (a lesson view also writes a ``lesson_viewed`` event once per lesson)."""

    __tablename__ = "module_progress"
    __table_args__ = (
        UniqueConstraint("issuer", "sub", "module_id", name="uq_module_progress"),
        # Report queries filter by platform and module and a period of one of the fact dates.
        Index("ix_module_progress_report_enrolled", "issuer", "module_id", "enrolled_at"),
        Index("ix_module_progress_report_started", "issuer", "module_id", "started_at"),
        Index("ix_module_progress_report_completed", "issuer", "module_id", "completed_at"),
        Index("ix_module_progress_report_passed", "issuer", "module_id", "passed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str] = mapped_column(String(100))
    lessons_viewed: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of lesson ids
    lessons_done: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of lesson ids
    quiz_attempts: Mapped[int] = mapped_column(Integer, default=0)
    quiz_score: Mapped[float | None] = mapped_column(Float, nullable=True)  # counting score, percent
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    last_lesson_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_position: Mapped[float | None] = mapped_column(Float, nullable=True)  # scroll fraction 0..1
    content_version: Mapped[str] = mapped_column(String(50), default="")
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Report facts (coordinator dashboard, exports): when the row was created (first launch of the module
    # or first event = "enrolled"), the first progress event ("started") and when the quiz was first passed.
    enrolled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    passed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Learner(Base):
    """A person as certificates know them: (platform issuer, ``sub``) — the keying of progress —
    and a random pseudonym, the subject id of their credentials (never the ``sub`` or an e-mail)."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("issuer", "sub", name="uq_learner"),
        Index("ix_learners_issuer_role", "issuer", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    pseudonym: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)  # VAMOs role of the latest launch
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)  # latest launch (retention)
    # The learner's own choices (issue 17), kept across launches: interface language and reading settings.
    ui_language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reading: Mapped[str | None] = mapped_column(String(100), nullable=True)  # preferences.Reading.encode()

    @property
    def subject_id(self) -> str:
        return f"urn:uuid:{self.pseudonym}"


VALID_ONLY = "status = 'valid'"


class Certificate(Base):
    """One issued certificate: written once when the completion rule first holds, never changed
    except for revocation. The module snapshot, name, PDF and signed credential are stored, so the
    certificate stays reproducible and a course ZIP never renders PDFs again. At most one *valid*
    certificate per learner and module (partial unique index on PostgreSQL and SQLite)."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_one_valid", "learner_id", "module_id", unique=True,
            postgresql_where=text(VALID_ONLY), sqlite_where=text(VALID_ONLY),
        ),
    )

    VALID = "valid"
    REVOKED = "revoked"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(100), index=True)
    module_snapshot: Mapped[str] = mapped_column(Text)  # JSON of vamos_core.certificates.ModuleInfo
    learner_name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime] = mapped_column()  # UTC
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent, only if the module shows it
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    credential_id: Mapped[str] = mapped_column(String(500))
    credential_jwt: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default=VALID)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- issue 16 (migration 0008): the credential's position in the published revocation status list
    # (W3C Bitstring Status List); None for credentials issued before status lists existed.
    status_index: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True, index=True)

    learner: Mapped[Learner] = relationship(lazy="joined", innerjoin=True)


class CredentialKey(Base):
    """A key that signs credentials (issue 16, migration 0008), separate from the LTI keys (``ToolKey``):
    LTI keys rotate and retire; a credential key stays published for as long as any credential it signed
    may be checked, i.e. for ever. ``retired_at`` only ends its signing. ``kid`` is the JWK thumbprint; the
    credential's JOSE header names the key by the URL ``<base>/credentials/keys/<kid>``."""

    __tablename__ = "credential_keys"

    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)


BUNDESLAENDER = (
    "Baden-Württemberg", "Bayern", "Berlin", "Brandenburg", "Bremen", "Hamburg", "Hessen",
    "Mecklenburg-Vorpommern", "Niedersachsen", "Nordrhein-Westfalen", "Rheinland-Pfalz", "Saarland", "Sachsen",
    "Sachsen-Anhalt", "Schleswig-Holstein", "Thüringen",
)
ORGANISATION_TYPES = ("e.V.", "Initiative", "Verband")


class Organisation(Base):
    """A participating organisation in the register kept by coordinators. The register is per platform
    (``issuer``): learners choose among the organisations of the platform they launched from, and a
    coordinator sees and edits only the registers of the platforms granted to them."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("issuer", "name", name="uq_organisation_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))  # one of ORGANISATION_TYPES
    city: Mapped[str] = mapped_column(String(120), default="")
    bundesland: Mapped[str] = mapped_column(String(40))  # one of BUNDESLAENDER
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnerOrganisation(Base):
    """The organisation a learner chose on the choice page, or the LMS preset by a launch claim. A row with
    ``organisation_id`` NULL means "keine Angabe" (asked, not told); no row: not asked yet."""

    __tablename__ = "learner_organisations"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(10), default="learner")  # learner | claim
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoordinatorGrant(Base):
    """A coordinator (issuer + sub of their launches) granted a further platform. Without grants a
    coordinator sees their own platform only (``vamos lti grant-platform``)."""

    __tablename__ = "coordinator_grants"
    __table_args__ = (UniqueConstraint("coordinator_issuer", "coordinator_sub", "platform_issuer", name="uq_grant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coordinator_issuer: Mapped[str] = mapped_column(String(500))
    coordinator_sub: Mapped[str] = mapped_column(String(255))
    platform_issuer: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who exported or changed what and when. ``actor`` is a hash of the coordinator's issuer and sub
    (no name, no sub in clear); ``details`` the export kind's filters as JSON; ``row_count`` when known."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_issuer_at", "actor_issuer", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_issuer: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="{}")
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)


# ---------------------------------------------------------------- authoring (issue 13)


class AuthoredModule(Base):
    """A module written in the browser, owned by one platform (issuer). Its ``draft`` is the editor's
    document (``vamos_core.authoring.document``) as JSON; ``draft_revision`` is the optimistic lock every save
    must name. ``published_version`` is the version learners get (None: never published or archived)."""

    __tablename__ = "authored_modules"
    __table_args__ = (Index("ix_authored_modules_owner", "owner_issuer", "status"),)

    DRAFT = "draft"  # never published
    PUBLISHED = "published"
    ARCHIVED = "archived"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the module id, unique across platforms
    owner_issuer: Mapped[str] = mapped_column(String(500))
    registration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    title: Mapped[str] = mapped_column(String(500), default="")
    copied_from: Mapped[str | None] = mapped_column(String(100), nullable=True)
    draft: Mapped[str] = mapped_column(Text)
    draft_revision: Mapped[int] = mapped_column(Integer, default=1)
    draft_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    draft_updated_by: Mapped[str] = mapped_column(String(64), default="")
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class AuthoredVersion(Base):
    """One published, immutable version of an authored module (the document as JSON at publish time)."""

    __tablename__ = "authored_versions"
    __table_args__ = (UniqueConstraint("module_id", "number", name="uq_authored_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("authored_modules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)  # rollback: the version restored


class AuthoredBlob(Base):
    """Media bytes of authored modules, addressed by their SHA-256 (shared by drafts and versions)."""

    __tablename__ = "authored_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- xAPI outbox (issue 19)


class XapiOutbox(OutboxDelivery, Base):
    """An xAPI statement for the learning record store, written in the transaction of the fact it reports
    (progress event, launch, certificate); a worker sends it (``lti_tool.xapi_outbox``, the outbox machinery
    of ``lti_tool.outbox`` shared with the AGS scores).

    ``statement_id`` is the statement's own id, fixed when the row is written: a re-send after a worker died
    between the LRS's answer and the update carries the same id, and the LRS stores a statement id once.
    ``issuer``/``sub`` are kept for the DSGVO export and erasure only; the statement itself has the pseudonym.
    """

    __tablename__ = "xapi_outbox"
    __table_args__ = (
        Index("ix_xapi_outbox_due", "status", "next_attempt_at"),
        Index("ix_xapi_outbox_learner", "issuer", "sub"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    verb: Mapped[str] = mapped_column(String(30))
    payload: Mapped[str] = mapped_column(Text)  # JSON of the statement


class QuizIntervention(Base):
    """A trainer's change to one learner's quiz in one module (issue 15): ``grant`` adds ``amount`` attempts,
    ``reset`` adds as many as give the learner the module's full number again (``amount`` stores how many, so
    the allowance is max_attempts + SUM(amount)). Results already reached are never taken away. ``actor`` is the
    keyed hash of the trainer (as in ``audit_log``); the learner sees the date and what changed, not who."""

    __tablename__ = "quiz_interventions"
    __table_args__ = (Index("ix_quiz_interventions_learner_module", "issuer", "sub", "module_id"),)

    GRANT = "grant"
    RESET = "reset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    attempts_used: Mapped[int] = mapped_column(Integer)  # when the trainer acted
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- dashboard rollups (issue 20)


class ProgressRollup(Base):
    """One counter of the coordinator dashboard (``lti_tool.rollups``), maintained in the facts' transactions."""

    __tablename__ = "progress_rollups"
    # Read paths of the dashboard (lti_tool.rollups.read): one organisation's (or every organisation's) counters, and
    # one module's (or all modules') per organisation, each over a period range (migration 0012).
    __table_args__ = (
        Index("ix_progress_rollups_org", "issuer", "context_pk", "grain", "org_key", "period"),
        Index("ix_progress_rollups_module", "issuer", "context_pk", "grain", "module_id", "period"),
    )

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    context_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: every course
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)  # "m": period YYYY-MM (local month)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: keine Angabe
    fact: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # duration class, else 0
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class ProgressRollupDaily(Base):
    """The same counters per local day (grain "d"): read only for the partial months of a period filter."""

    __tablename__ = "progress_rollups_daily"
    # Read paths of the dashboard (lti_tool.rollups.read): one organisation's (or every organisation's) counters, and
    # one module's (or all modules') per organisation, each over a period range (migration 0012).
    __table_args__ = (
        Index("ix_progress_rollups_daily_org", "issuer", "context_pk", "grain", "org_key", "period"),
        Index("ix_progress_rollups_daily_module", "issuer", "context_pk", "grain", "module_id", "period"),
    )

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    context_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fact: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)


class ProgressCourse(Base):
    """A course a learner worked on a module from (a progress event from one of its links): the course filter of
    the dashboard, kept once per (learner, module, course)."""

    __tablename__ = "progress_courses"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    context_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
