"""Scores and completion back to the LMS gradebook (LTI Assignment and Grade Services 2.0).

Outbox pattern:

* ``enqueue`` runs inside the progress transaction (``progress.record``): when the learner's derived
  module state changes (score, percent, passed, completed, activity), one ``score_outbox`` row per
  resource link with AGS that launched the module for this learner is written in the same transaction
  as the event. A crash after the event can therefore never lose the score, and a refused event
  never sends one.
* ``ScoreSender.run_once`` claims due rows with a lease (``claimed_by``/``claimed_until``). On
  PostgreSQL the candidates are picked with ``FOR UPDATE SKIP LOCKED``; on SQLite the claim is a single
  ``UPDATE … WHERE id IN (…)``, which holds SQLite's only write lock. A row is only a candidate when no
  older row of the same learner and link is still pending, so the scores of one learner and line item
  arrive in order, and two workers never send the same row.
* Every row is sent once: after a 2xx it is ``sent`` (finishing checks the claim token). Network errors,
  timeouts, 5xx, 401/408/429 keep the row ``pending`` with exponential backoff (with jitter, capped);
  other 4xx cannot succeed and make it ``failed_permanent`` with the reason, shown to trainers on
  ``/scores`` (the trainer's retry button there, or ``vamos lti sync-scores --retry-failed``, puts them
  back). A worker that dies between the platform's 2xx and the update re-sends the row after the lease: the
  same score with the same ``timestamp``, which AGS platforms treat as one (at most one duplicate, never a
  lost score).
* The line item: the one in the launch's AGS claim, else found by ``resourceLinkId`` among the course's
  line items, else created (if the platform granted the ``lineitem`` scope), and remembered on the link.
  Creation is serialised per link by a lock in the shared cache.

The worker runs as a daemon thread in the web process (``VAMOS_SCORE_WORKER=inline``, the default) or
as ``vamos lti sync-scores`` (set ``VAMOS_SCORE_WORKER=off`` on the web processes then).
"""
from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from vamos_core.model import Module

from . import services
from .deep_linking import LESSON_TAG, MODULE_TAG, SCORE_MAXIMUM
from .models import Deployment, ModuleProgress, ProgressEvent, Registration, ResourceLink, ScoreOutbox, utcnow

log = logging.getLogger(__name__)

LOCK_PREFIX = "ags-lineitem-lock:"


# ---------------------------------------------------------------- what is sent


def score_payload(module: Module, row: ModuleProgress, timestamp: datetime | None = None) -> dict:
    """The AGS score of a learner's module state (scoreGiven in percent of the counting quiz score)."""
    viewed = json.loads(row.lessons_viewed or "[]")
    done = json.loads(row.lessons_done or "[]")
    if row.completed:
        activity = "Completed"
    elif done or row.quiz_attempts:
        activity = "InProgress"
    elif viewed:
        activity = "Started"
    else:
        activity = "Initialized"
    payload = {"userId": row.sub, "scoreMaximum": SCORE_MAXIMUM, "activityProgress": activity}
    if module.quiz.questions:
        if row.quiz_score is not None:
            payload["scoreGiven"] = round(float(row.quiz_score), 4)
            payload["gradingProgress"] = "FullyGraded"
        else:
            payload["gradingProgress"] = "NotReady"
    else:  # a module without a test: its score is the completion percent
        payload["scoreGiven"] = float(row.percent)
        payload["gradingProgress"] = "FullyGraded" if row.completed else "Pending"
    if timestamp is not None:
        payload["timestamp"] = timestamp.replace(tzinfo=timezone.utc).isoformat(timespec="microseconds").replace(
            "+00:00", "Z")
    return payload


_LEARNER_LINKS = select(ProgressEvent.resource_link_pk).where(
    ProgressEvent.issuer == bindparam("issuer"), ProgressEvent.sub == bindparam("sub"),
    ProgressEvent.module_id == bindparam("module_id"), ProgressEvent.resource_link_pk.is_not(None),
).distinct()
_AGS_LINKS = (
    select(ResourceLink, Deployment.registration_id)
    .join(Deployment, Deployment.id == ResourceLink.deployment_pk)
    .where(ResourceLink.id.in_(_LEARNER_LINKS), or_(ResourceLink.ags_lineitem_url.is_not(None),
                                                    ResourceLink.ags_lineitems_url.is_not(None)))
    .order_by(ResourceLink.id)
)  # built once: every progress event that changes a score runs it


def ags_links(session: Session, issuer: str, sub: str, module_id: str) -> list[tuple[ResourceLink, str]]:
    """The learner's resource links (from their events) of this module that offer the score service,
    with the registration id."""
    rows = session.execute(_AGS_LINKS, {"issuer": issuer, "sub": sub, "module_id": module_id}).all()
    return [(link, reg_id) for link, reg_id in rows if services.SCOPE_SCORE in json.loads(link.ags_scopes or "[]")]


def enqueue(session: Session, module: Module, row: ModuleProgress, before: dict | None, event_id: int) -> int:
    """In the progress transaction: one outbox row per AGS link if the score payload changed."""
    after = score_payload(module, row)
    if before == after:
        return 0
    stamp = utcnow()
    payload = json.dumps(score_payload(module, row, stamp), sort_keys=True)
    links = ags_links(session, row.issuer, row.sub, module.id)
    for link, reg_id in links:
        session.add(ScoreOutbox(
            registration_id=reg_id, issuer=row.issuer, sub=row.sub, module_id=module.id, resource_link_pk=link.id,
            progress_event_id=event_id, payload=payload, status=ScoreOutbox.PENDING, attempts=0,
            next_attempt_at=stamp, created_at=stamp,
        ))
    return len(links)


# ---------------------------------------------------------------- sending


def scores_url(lineitem_url: str) -> str:
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


@dataclass
class RunResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0


class _Defer(Exception):
    """Another worker is creating this link's line item: try again in a moment, no attempt counted."""


class ScoreSender:
    def __init__(self, db, cache, *, timeout: float = 10.0, retry_base: float = 10.0, retry_max: float = 3600.0,
                 lease: float = 120.0, batch: int = 20):
        self.db = db
        self.cache = cache
        self.client = services.ServiceClient(db, cache, timeout=timeout)
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.lease = max(lease, 3 * timeout + 5)
        self.batch = batch

    @classmethod
    def from_config(cls, config, db, cache) -> "ScoreSender":
        return cls(db, cache, timeout=config.score_http_timeout, retry_base=config.score_retry_base,
                   retry_max=config.score_retry_max)

    # claims ------------------------------------------------------------

    def claim(self) -> tuple[str, list[int]]:
        token = uuid.uuid4().hex
        now = utcnow()
        older = aliased(ScoreOutbox)
        older_pending = exists().where(
            older.issuer == ScoreOutbox.issuer, older.sub == ScoreOutbox.sub,
            older.resource_link_pk == ScoreOutbox.resource_link_pk, older.status == ScoreOutbox.PENDING,
            older.id < ScoreOutbox.id,
        )
        due = and_(
            ScoreOutbox.status == ScoreOutbox.PENDING, ScoreOutbox.next_attempt_at <= now,
            or_(ScoreOutbox.claimed_until.is_(None), ScoreOutbox.claimed_until < now), ~older_pending,
        )
        candidates = select(ScoreOutbox.id).where(due).order_by(ScoreOutbox.id).limit(self.batch)
        values = dict(claimed_by=token, claimed_until=now + timedelta(seconds=self.lease))
        with self.db.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                ids = list(s.scalars(candidates.with_for_update(skip_locked=True, of=ScoreOutbox)))
                if ids:
                    s.execute(update(ScoreOutbox).where(ScoreOutbox.id.in_(ids)).values(**values))
            else:  # SQLite: one statement, under the database's single write lock
                s.execute(update(ScoreOutbox).where(ScoreOutbox.id.in_(candidates.scalar_subquery()))
                          .values(**values).execution_options(synchronize_session=False))
                ids = list(s.scalars(select(ScoreOutbox.id).where(ScoreOutbox.claimed_by == token)
                                     .order_by(ScoreOutbox.id)))
        return token, ids

    def run_once(self) -> RunResult:
        """Claim one batch of due rows and send them (in id order). Returns what happened."""
        result = RunResult()
        token, ids = self.claim()
        result.claimed = len(ids)
        blocked: set[tuple] = set()  # (sub, link) whose earlier row failed in this batch: keep the order
        for row_id in ids:
            with self.db.session() as s:
                row = s.get(ScoreOutbox, row_id)
                if row is None or row.claimed_by != token or row.status != ScoreOutbox.PENDING:
                    continue
                s.expunge(row)
            lane = (row.issuer, row.sub, row.resource_link_pk)
            if lane in blocked:
                self._release(row, token)
                result.deferred += 1
                continue
            try:
                lineitem = self._send(row)
            except _Defer:
                self._release(row, token, delay=1.0)
                blocked.add(lane)
                result.deferred += 1
            except services.ServiceError as exc:
                blocked.add(lane)
                if exc.retry:
                    self._retry(row, token, exc)
                    result.retried += 1
                else:
                    self._finish(row, token, status=ScoreOutbox.FAILED, last_error=exc.reason[:2000])
                    result.failed += 1
                    log.warning("score failed permanently outbox=%s: %s", row.id, exc.reason[:200])
            except Exception as exc:  # noqa: BLE001 - a bug must not lose the score: retry later
                log.exception("score send error outbox=%s", row.id)
                blocked.add(lane)
                self._retry(row, token, services.ServiceError(f"internal error: {type(exc).__name__}", True))
                result.retried += 1
            else:
                self._finish(row, token, status=ScoreOutbox.SENT, sent_at=utcnow(), lineitem_url=lineitem,
                             last_error=None)
                result.sent += 1
        return result

    def run_until_idle(self, max_rounds: int = 1000) -> RunResult:
        total = RunResult()
        for _ in range(max_rounds):
            r = self.run_once()
            for name in ("claimed", "sent", "retried", "failed", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(r, name))
            if not r.claimed:
                break
        return total

    def _finish(self, row: ScoreOutbox, token: str, **values) -> None:
        with self.db.session() as s:
            s.execute(
                update(ScoreOutbox).where(ScoreOutbox.id == row.id, ScoreOutbox.claimed_by == token)
                .values(attempts=ScoreOutbox.attempts + 1, claimed_by=None, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    def _release(self, row: ScoreOutbox, token: str, delay: float = 0.0) -> None:
        with self.db.session() as s:
            s.execute(
                update(ScoreOutbox).where(ScoreOutbox.id == row.id, ScoreOutbox.claimed_by == token)
                .values(claimed_by=None, claimed_until=None, next_attempt_at=utcnow() + timedelta(seconds=delay))
                .execution_options(synchronize_session=False)
            )

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        delay = min(self.retry_max, self.retry_base * (2 ** max(0, attempts - 1)))
        delay *= random.uniform(0.8, 1.2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_max))
        return delay

    def _retry(self, row: ScoreOutbox, token: str, exc: services.ServiceError) -> None:
        delay = self.backoff(row.attempts + 1, exc.retry_after)
        log.info("score delayed outbox=%s attempt=%d retry in %.1fs: %s", row.id, row.attempts + 1, delay,
                 exc.reason[:200])
        self._finish(row, token, next_attempt_at=utcnow() + timedelta(seconds=delay), last_error=exc.reason[:2000])

    # one score ---------------------------------------------------------

    def _context(self, row: ScoreOutbox):
        with self.db.session() as s:
            link = s.get(ResourceLink, row.resource_link_pk) if row.resource_link_pk else None
            reg = s.get(Registration, row.registration_id)
            if link is None or reg is None:
                raise services.ServiceError("resource link or registration no longer exists", False)
            s.expunge(link)
            return link, services.Platform.of(reg)

    def _send(self, row: ScoreOutbox) -> str:
        link, platform = self._context(row)
        scopes = tuple(json.loads(link.ags_scopes or "[]"))
        lineitem = row.lineitem_url or link.ags_lineitem_url or self._find_or_create_lineitem(link, platform, scopes)
        self.client.request(
            platform, self._scopes(scopes, services.SCOPE_SCORE), "POST", scores_url(lineitem),
            json_body=json.loads(row.payload), content_type=services.SCORE_TYPE,
        )
        return lineitem

    @staticmethod
    def _scopes(granted: tuple[str, ...], *wanted: str) -> tuple[str, ...]:
        return tuple(sorted(s for s in wanted if s in granted)) or tuple(sorted(wanted))

    def _find_or_create_lineitem(self, link: ResourceLink, platform: services.Platform, granted) -> str:
        if not link.ags_lineitems_url:
            raise services.ServiceError("the platform gave this link neither a line item nor a line items URL", False)
        lock = f"{LOCK_PREFIX}{link.id}"
        if not self.cache.add(lock, 1, int(self.lease)):
            raise _Defer()
        try:
            with self.db.session() as s:  # another worker may have finished meanwhile
                known = s.scalar(select(ResourceLink.ags_lineitem_url).where(ResourceLink.id == link.id))
            if known:
                return known
            read = self._scopes(granted, services.SCOPE_LINEITEM, services.SCOPE_LINEITEM_READONLY)
            found = self._find_lineitem(link, platform, read)
            if found is None:
                if services.SCOPE_LINEITEM not in granted:
                    raise services.ServiceError(
                        "no line item for this link and the platform does not allow creating one", False)
                created = self.client.request(
                    platform, (services.SCOPE_LINEITEM,), "POST", link.ags_lineitems_url,
                    accept=services.LINEITEM_TYPE, content_type=services.LINEITEM_TYPE,
                    json_body={
                        "label": (link.title or link.module_id or "VAMOs")[:255],
                        "scoreMaximum": SCORE_MAXIMUM,
                        "resourceLinkId": link.resource_link_id,
                        "resourceId": link.module_id or "",
                        "tag": MODULE_TAG,
                    },
                )
                found = created.json().get("id")
                if not isinstance(found, str) or not found:
                    raise services.ServiceError("the platform created a line item without an id", True)
            with self.db.session() as s:
                s.execute(update(ResourceLink).where(ResourceLink.id == link.id).values(ags_lineitem_url=found))
            return found
        finally:
            self.cache.delete(lock)

    def _find_lineitem(self, link: ResourceLink, platform, scopes) -> str | None:
        url = link.ags_lineitems_url
        sep = "&" if urlsplit(url).query else "?"
        from urllib.parse import urlencode

        next_url: str | None = url + sep + urlencode({"resource_link_id": link.resource_link_id})
        pages = 0
        while next_url and pages < 50:
            response = self.client.request(platform, scopes, "GET", next_url, accept=services.LINEITEMS_TYPE)
            items = response.json()
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("resourceLinkId") == link.resource_link_id and \
                        item.get("tag", MODULE_TAG) in (MODULE_TAG, LESSON_TAG) and isinstance(item.get("id"), str):
                    return item["id"]
            next_url = services.next_link(response)
            pages += 1
        return None


# ---------------------------------------------------------------- worker


class ScoreWorker:
    """Sends the outbox continuously: a daemon thread in the web process, or the CLI's loop."""

    def __init__(self, sender: ScoreSender, poll_interval: float = 5.0):
        self.sender = sender
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self.run, name="vamos-score-worker", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.sender.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: keep the thread alive
                log.exception("score worker round failed")
                result = RunResult()
            if result.claimed:
                continue  # more may be due
            self._wake.wait(self.poll_interval)
            self._wake.clear()


def retry_failed(db, registration_id: str | None = None, context_pk: int | None = None) -> int:
    """Put permanently failed rows back into the queue (after the cause was fixed on the platform): all of them
    (``vamos lti sync-scores --retry-failed``), or those of one registration and, within it, of one course's links
    (the trainer's button on ``/scores``)."""
    conditions = [ScoreOutbox.status == ScoreOutbox.FAILED]
    if registration_id is not None:
        conditions.append(ScoreOutbox.registration_id == registration_id)
    if context_pk is not None:
        conditions.append(ScoreOutbox.resource_link_pk.in_(
            select(ResourceLink.id).where(ResourceLink.context_pk == context_pk)))
    with db.session() as s:
        res = s.execute(
            update(ScoreOutbox).where(*conditions)
            .values(status=ScoreOutbox.PENDING, next_attempt_at=utcnow(), claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount or 0
