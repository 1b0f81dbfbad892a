"""Learner progress: events are facts, module state is derived from them.

* Every lesson view (first one per lesson), lesson completion and quiz attempt is one row in
  ``progress_events``, written in the same transaction as the derived ``module_progress`` row.
* The derived state comes from ``vamos_core.completion.module_state`` only, so ``recompute`` can
  rebuild it from the events at any time and always gets what is stored.
* Keying: per (platform issuer, ``sub``, module id). The same person launching the same module from
  two courses of one LMS continues one progress: they learn the module once, and the certificate is
  per person and module. Events remember the resource link they came from, for score passback.
* Concurrency: the ``module_progress`` row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
  takes its write lock with the first statement, an upsert) before anything is read, so events of one
  learner and module are serialised. A unique ``idempotency_key`` per event makes a double-submitted
  attempt insert once; the loser of a race gets the winner's event back.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vamos_core.completion import module_state
from vamos_core.model import Module

from . import rollups, score_sync
from .db import Database, built_once
from .models import Learner as LearnerRow
from .models import ModuleProgress, ProgressEvent, QuizIntervention, utcnow


@dataclass(frozen=True)
class Learner:
    issuer: str
    sub: str

    def key(self, *parts: str) -> str:
        """An idempotency key for an event of this learner (fixed length, no personal data in clear)."""
        raw = "\x00".join((self.issuer, self.sub, *parts))
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Recorded:
    event_id: int
    inserted: bool  # False: an event with this idempotency key existed already
    scores: int = 0  # score_outbox rows written with the event (AGS passback)
    row: ModuleProgress | None = None  # the derived state after the event (committed)
    statements: int = 0  # xapi_outbox rows written with the event (learning record store)


def new_row_values(issuer: str, sub: str, module_id: str, now) -> dict:
    """A ``module_progress`` row before the first event: enrolled, nothing started."""
    return dict(issuer=issuer, sub=sub, module_id=module_id, lessons_viewed="[]", lessons_done="[]", quiz_attempts=0,
                passed=False, completed=False, percent=0, content_version="", updated_at=now, enrolled_at=now)


def _insert_ignore(session: Session, learner: Learner, module_id: str) -> None:
    """Create the progress row if missing (its creation is the enrolment date of reports); the first row of
    a person also creates their ``learners`` row (the pseudonym reports show)."""
    now = utcnow()
    # RETURNING, not rowcount: SQLAlchemy's rowcount of this statement on psycopg said 1 for a conflict too.
    inserted = session.execute(
        built_once(session, ("progress-row",), lambda insert: insert(ModuleProgress.__table__)
                   .on_conflict_do_nothing().returning(ModuleProgress.__table__.c.id)),
        new_row_values(learner.issuer, learner.sub, module_id, now)).first()
    if inserted is not None:
        rollups.enrolled(session, learner.issuer, learner.sub, module_id, now)  # dashboard counters
        session.execute(
            built_once(session, ("learner-row",), lambda insert: insert(LearnerRow.__table__)
                   .on_conflict_do_nothing(index_elements=["issuer", "sub"])),
            {"issuer": learner.issuer, "sub": learner.sub, "pseudonym": str(uuid.uuid4()), "created_at": now})


def _params(learner: Learner, module_id: str, **more) -> dict:
    # Not the column names: an UPDATE reserves those for its SET clause.
    return {"p_issuer": learner.issuer, "p_sub": learner.sub, "p_module_id": module_id, **more}


_THIS_ROW = (ModuleProgress.issuer == bindparam("p_issuer"), ModuleProgress.sub == bindparam("p_sub"),
             ModuleProgress.module_id == bindparam("p_module_id"))
_LOCK_ROW = select(ModuleProgress).where(*_THIS_ROW).with_for_update()
# Attempts trainers granted (lti_tool/interventions.py), read with the row in the same statement.
EXTRA_ATTEMPTS = (select(func.coalesce(func.sum(QuizIntervention.amount), 0))
                  .where(QuizIntervention.issuer == ModuleProgress.issuer, QuizIntervention.sub == ModuleProgress.sub,
                         QuizIntervention.module_id == ModuleProgress.module_id)
                  .correlate(ModuleProgress.__table__).scalar_subquery().label("extra_attempts"))
# Read-only pages get the row as a plain Core row (same attribute names as ModuleProgress plus
# ``extra_attempts``, no ORM loading).
_READ_ROW = select(ModuleProgress.__table__, EXTRA_ATTEMPTS).where(*_THIS_ROW)
_MOVE_RESUME_POINT = (update(ModuleProgress.__table__).where(*_THIS_ROW)
                      .values(last_lesson_id=bindparam("lesson_id"), last_position=None, updated_at=bindparam("now")))


def lock_progress(session: Session, learner: Learner, module_id: str) -> ModuleProgress:
    """The learner's progress row, created if missing and locked for the rest of the transaction."""
    _insert_ignore(session, learner, module_id)
    return session.scalars(_LOCK_ROW, _params(learner, module_id)).one()


def get_progress(db: Database, learner: Learner, module_id: str):
    """The learner's progress row (read-only; attributes as ``ModuleProgress``), None before the enrolment."""
    with db.autocommit() as conn:  # one statement: no transaction round trips
        return conn.execute(_READ_ROW, _params(learner, module_id)).first()


_EVENTS = (select(ProgressEvent)
           .where(ProgressEvent.issuer == bindparam("p_issuer"), ProgressEvent.sub == bindparam("p_sub"),
                  ProgressEvent.module_id == bindparam("p_module_id"))
           .order_by(ProgressEvent.id))
_EVENT_BY_KEY = select(ProgressEvent.id).where(ProgressEvent.idempotency_key == bindparam("key"))


def _events(session: Session, learner: Learner, module_id: str) -> list[ProgressEvent]:
    return list(session.scalars(_EVENTS, _params(learner, module_id)))


def derive(module: Module, events: list[ProgressEvent]) -> dict:
    """The derived columns of ``module_progress`` from the events (in insertion order)."""
    viewed: list[str] = []
    done: list[str] = []
    percents: list[float] = []
    last_lesson = None
    for event in events:
        if event.kind == ProgressEvent.QUIZ_ATTEMPT:
            percents.append(float(json.loads(event.data or "{}").get("percent", 0.0)))
            continue
        if event.lesson_id not in module.lesson_ids:
            continue  # a lesson removed by a later content version
        last_lesson = event.lesson_id
        target = done if event.kind == ProgressEvent.LESSON_COMPLETED else viewed
        if event.lesson_id not in target:
            target.append(event.lesson_id)
    state = module_state(module, done, percents)
    order = {lesson_id: i for i, lesson_id in enumerate(module.lesson_ids)}
    return {
        "lessons_viewed": json.dumps(sorted(set(viewed) | set(done), key=order.__getitem__)),
        "lessons_done": json.dumps(sorted(state.lessons_done, key=order.__getitem__)),
        "quiz_attempts": state.quiz_attempts,
        "quiz_score": state.quiz_score,
        "passed": state.passed,
        "completed": state.completed,
        "percent": state.percent,
        "_last_lesson": last_lesson,
    }


def _apply(session: Session, row: ModuleProgress, module: Module, learner: Learner) -> None:
    values = derive(module, _events(session, learner, module.id))
    last_lesson = values.pop("_last_lesson")
    for name, value in values.items():
        setattr(row, name, value)
    if row.last_lesson_id is None or row.last_lesson_id not in module.lesson_ids:
        row.last_lesson_id = last_lesson
    if row.completed and row.completed_at is None:
        row.completed_at = utcnow()
    if row.passed and row.passed_at is None:
        row.passed_at = utcnow()
    row.content_version = module.version
    row.updated_at = utcnow()


def record(
    db: Database,
    learner: Learner,
    module: Module,
    kind: str,
    key: str,
    *,
    lesson_id: str | None = None,
    data: dict | None = None,
    resource_link_pk: int | None = None,
    check: Callable[[ModuleProgress], None] | None = None,
    position: tuple[str, float | None] | None = None,
    xapi=None,
) -> Recorded:
    """Write one event and the derived state in one transaction (idempotent per ``key``).

    ``check`` runs under the lock before the insert and may raise to refuse (e.g. no attempts left);
    it does not run when the event exists already, so a double submit returns the first result.
    ``xapi`` (``xapi_outbox.XapiRecorder``, None when no LRS is configured) adds the event's statements.
    """
    try:
        return _record_once(db, learner, module, kind, key, lesson_id, data, resource_link_pk, check, position, xapi)
    except IntegrityError:
        # Lost a race we could not serialise (first progress row of two processes): the other
        # transaction committed; our event, if its key is the same, is already there.
        return _record_once(db, learner, module, kind, key, lesson_id, data, resource_link_pk, check, position, xapi)


def _record_once(db, learner, module, kind, key, lesson_id, data, resource_link_pk, check, position, xapi) -> Recorded:
    with db.session() as s:
        row = lock_progress(s, learner, module.id)
        existing = s.scalar(_EVENT_BY_KEY, {"key": key})
        if existing is not None:
            if position is not None:
                row.last_lesson_id, row.last_position = position
            return Recorded(existing, False, row=row)
        if check is not None:
            check(row)
        before = score_sync.score_payload(module, row)
        was_completed = row.completed
        facts_before = rollups.facts(row)
        event = ProgressEvent(
            issuer=learner.issuer, sub=learner.sub, module_id=module.id, kind=kind, lesson_id=lesson_id,
            data=json.dumps(data, sort_keys=True) if data is not None else None, content_version=module.version,
            resource_link_pk=resource_link_pk, idempotency_key=key,
        )
        s.add(event)
        s.flush()
        if row.started_at is None:
            row.started_at = event.created_at
        if position is not None:
            row.last_lesson_id, row.last_position = position
        _apply(s, row, module, learner)
        # Score passback (AGS): the outbox rows are part of this transaction, so no score is lost.
        scores = score_sync.enqueue(s, module, row, before, event.id)
        # Dashboard counters: the delta of the learner's facts, in this transaction (lti_tool.rollups).
        s.flush()
        rollups.record_changes(s, learner.issuer, learner.sub, module.id, facts_before, row, resource_link_pk)
        # xAPI (learning record store): the event's statements, one prepared insert, same transaction.
        statements = 0
        if xapi is not None:
            statements = xapi.enqueue(s, learner.issuer, learner.sub, xapi.progress_statements(
                module, learner.issuer, learner.sub, event, was_completed=was_completed, completed=row.completed,
                quiz_score=row.quiz_score))
        return Recorded(event.id, True, scores, row, statements)


def save_position(db: Database, learner: Learner, module: Module, lesson_id: str, fraction: float | None) -> None:
    """Remember where the learner stopped reading (no event: the position is not progress)."""
    with db.session() as s:
        row = lock_progress(s, learner, module.id)
        row.last_lesson_id = lesson_id
        row.last_position = fraction
        row.updated_at = utcnow()


def open_lesson(db: Database, learner: Learner, module_id: str, lesson_id: str):
    """The learner's progress row as it was before this view of a lesson. A lesson viewed before becomes the
    resume point again in the same transaction (one UPDATE, no event, no lock across statements); a reload
    of the resume lesson writes nothing. A first view is the caller's to record (``record``). Each statement
    commits by itself: at READ COMMITTED a transaction around them isolated nothing more, and cost two round
    trips."""
    with db.autocommit() as conn:
        row = conn.execute(_READ_ROW, _params(learner, module_id)).first()
        if row is not None and row.last_lesson_id != lesson_id and lesson_id in lessons(row)[0]:
            conn.execute(_MOVE_RESUME_POINT, _params(learner, module_id, lesson_id=lesson_id, now=utcnow()))
        return row


def fresh(db: Database, learner: Learner, module: Module, row):
    """The row, rebuilt from the events first if it was derived from another content version (a trainer
    published a new version since): removed lessons drop out, a new required lesson re-opens the module.
    Done lazily, per learner on their next visit, so publishing never touches every learner's row."""
    if row is None or not row.content_version or row.content_version == module.version:
        return row
    return recompute(db, learner, module)


def recompute(db: Database, learner: Learner, module: Module) -> ModuleProgress:
    """Rebuild the learner's module state from the events (e.g. after a content update)."""
    with db.session() as s:
        row = lock_progress(s, learner, module.id)
        facts_before = rollups.facts(row)
        _apply(s, row, module, learner)
        s.flush()
        rollups.record_changes(s, learner.issuer, learner.sub, module.id, facts_before, row, None)
        return row


def attempt(db: Database, event_id: int) -> ProgressEvent | None:
    with db.session() as s:
        return s.get(ProgressEvent, event_id)


def attempts(db: Database, learner: Learner, module_id: str) -> list[ProgressEvent]:
    with db.session() as s:
        return [e for e in _events(s, learner, module_id) if e.kind == ProgressEvent.QUIZ_ATTEMPT]


def lessons(row: ModuleProgress | None) -> tuple[set[str], set[str]]:
    """(viewed, done) lesson ids of a progress row (empty before the first event)."""
    if row is None:
        return set(), set()
    return set(json.loads(row.lessons_viewed)), set(json.loads(row.lessons_done))


def find_event(db: Database, key: str) -> ProgressEvent | None:
    with db.session() as s:
        return s.scalars(select(ProgressEvent).where(ProgressEvent.idempotency_key == key)).first()
