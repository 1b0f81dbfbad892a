"""Scores and completion back to the LMS gradebook (LTI Assignment and Grade Services 2.0).

Outbox pattern:

* ``enqueue`` runs inside the progress transaction (``progress.record``): when the learner's derived
  module state changes (score, percent, passed, completed, activity), one ``score_outbox`` row per
  resource link with AGS that launched the module for this learner is written in the same transaction
  as the event. A crash after the event can therefore never lose the score, and a refused event
  never sends one.
* ``ScoreSender.run_once`` (the shared machinery of ``lti_tool.outbox``) claims due rows with a lease (``claimed_by``/``claimed_until``). On
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
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from vamos_core.model import Module

from . import services
from .deep_linking import LESSON_TAG, MODULE_TAG, SCORE_MAXIMUM
from .models import Deployment, ModuleProgress, ProgressEvent, Registration, ResourceLink, ScoreOutbox, utcnow
from .outbox import Defer, OutboxSender, OutboxWorker, RunResult, requeue_failed  # noqa: F401 - RunResult: the senders' result

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


class ScoreSender(OutboxSender):
    """The AGS outbox: lanes per (learner, resource link), so one line item gets a learner's scores in order."""

    model = ScoreOutbox
    lane = ("issuer", "sub", "resource_link_pk")
    name = "score"

    def __init__(self, db, cache, *, timeout: float = 10.0, retry_base: float = 10.0, retry_max: float = 3600.0,
                 lease: float = 120.0, batch: int = 20):
        super().__init__(db, retry_base=retry_base, retry_max=retry_max, lease=max(lease, 3 * timeout + 5),
                         batch=batch)
        self.cache = cache
        self.client = services.ServiceClient(db, cache, timeout=timeout)

    @classmethod
    def from_config(cls, config, db, cache) -> "ScoreSender":
        return cls(db, cache, timeout=config.score_http_timeout, retry_base=config.score_retry_base,
                   retry_max=config.score_retry_max)

    def send(self, row: ScoreOutbox) -> dict:
        return {"lineitem_url": self._send(row)}

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
            raise Defer()
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

ScoreWorker = OutboxWorker  # the daemon thread / CLI loop of ``lti_tool.outbox``


def retry_failed(db, registration_id: str | None = None, context_pk: int | None = None) -> int:
    """Put permanently failed rows back into the queue (after the cause was fixed on the platform): all of them
    (``vamos lti sync-scores --retry-failed``), or those of one registration and, within it, of one course's links
    (the trainer's button on ``/scores``)."""
    conditions = []
    if registration_id is not None:
        conditions.append(ScoreOutbox.registration_id == registration_id)
    if context_pk is not None:
        conditions.append(ScoreOutbox.resource_link_pk.in_(
            select(ResourceLink.id).where(ResourceLink.context_pk == context_pk)))
    return requeue_failed(db, ScoreOutbox, *conditions)
