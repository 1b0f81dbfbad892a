"""The transactional outbox machinery shared by the AGS scores (``score_sync``) and the xAPI statements
(``xapi_outbox``): claims with a lease, sending in id order, retries with backoff, a worker thread.

A row is written in the transaction of the fact it reports; ``OutboxSender.run_once`` claims due rows with a
lease (``claimed_by``/``claimed_until``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a single ``UPDATE … WHERE id
IN (…)`` under SQLite's only write lock), so two workers never send the same row. Subclasses say which table
(``model``), which columns form a *lane* whose rows must arrive in order (``lane``; a row is only a candidate
when no older row of its lane is pending), and how one row is sent (``send``). Every row is sent until it
arrives: errors with ``retry`` keep it ``pending`` with exponential backoff (jitter, capped), others make it
``failed_permanent`` with the reason. A worker that dies between the receiver's 2xx and the update re-sends the
row after the lease, so each receiver must recognise a repeat (AGS: same score and timestamp; xAPI: same
statement id).
"""
from __future__ import annotations

import logging
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from .models import utcnow

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0


class Defer(Exception):
    """Not now, and not the row's fault (e.g. another worker holds a lock it needs): no attempt counted."""


class SendError(Exception):
    """One send failed. ``retry``: later attempts may succeed (network, 5xx, 429, expired credentials)."""

    def __init__(self, reason: str, retry: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after


class OutboxSender:
    model = None  # the mapped outbox table (columns: id, status, attempts, next_attempt_at, claimed_*, last_error)
    lane: tuple[str, ...] = ()  # column names: rows with equal values are sent in id order
    name = "outbox"  # for log lines

    def __init__(self, db, *, retry_base: float = 10.0, retry_max: float = 3600.0, lease: float = 120.0,
                 batch: int = 20):
        self.db = db
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.lease = lease
        self.batch = batch

    def send(self, row) -> dict:
        """Send one row (detached from the session); return the extra column values of the sent row."""
        raise NotImplementedError

    def has_pending(self) -> bool:
        table = self.model
        with self.db.session() as s:
            return s.scalar(select(table.id).where(table.status == table.PENDING).limit(1)) is not None

    # claims ------------------------------------------------------------

    def claim(self) -> tuple[str, list[int]]:
        table = self.model
        token = uuid.uuid4().hex
        now = utcnow()
        due = [table.status == table.PENDING, table.next_attempt_at <= now,
               or_(table.claimed_until.is_(None), table.claimed_until < now)]
        if self.lane:
            older = aliased(table)
            due.append(~exists().where(*(getattr(older, c) == getattr(table, c) for c in self.lane),
                                       older.status == table.PENDING, older.id < table.id))
        candidates = select(table.id).where(and_(*due)).order_by(table.id).limit(self.batch)
        values = dict(claimed_by=token, claimed_until=now + timedelta(seconds=self.lease))
        with self.db.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                ids = list(s.scalars(candidates.with_for_update(skip_locked=True, of=table)))
                if ids:
                    s.execute(update(table).where(table.id.in_(ids)).values(**values))
            else:  # SQLite: one statement, under the database's single write lock
                s.execute(update(table).where(table.id.in_(candidates.scalar_subquery()))
                          .values(**values).execution_options(synchronize_session=False))
                ids = list(s.scalars(select(table.id).where(table.claimed_by == token).order_by(table.id)))
        return token, ids

    def run_once(self) -> RunResult:
        """Claim one batch of due rows and send them (in id order). Returns what happened."""
        result = RunResult()
        token, ids = self.claim()
        result.claimed = len(ids)
        self.send_claimed(token, self.claimed_rows(token, ids), result)
        return result

    def claimed_rows(self, token: str, ids: list[int]) -> list:
        """The rows still claimed by ``token`` and pending, detached, in id order."""
        table = self.model
        with self.db.session() as s:
            rows = list(s.scalars(select(table).where(table.id.in_(ids), table.claimed_by == token,
                                                      table.status == table.PENDING).order_by(table.id)))
            for row in rows:
                s.expunge(row)
        return rows

    def send_claimed(self, token: str, rows: list, result: RunResult) -> None:
        """Send claimed rows one by one (``send``), keeping each lane's order."""
        table = self.model
        blocked: set[tuple] = set()  # lanes whose earlier row failed in this batch: keep the order
        for row in rows:
            lane = tuple(getattr(row, c) for c in self.lane) if self.lane else (row.id,)
            if lane in blocked:
                self._release(row, token)
                result.deferred += 1
                continue
            try:
                sent_values = self.send(row)
            except Defer:
                self._release(row, token, delay=1.0)
                blocked.add(lane)
                result.deferred += 1
            except SendError as exc:
                blocked.add(lane)
                if exc.retry:
                    self._retry(row, token, exc)
                    result.retried += 1
                else:
                    self._finish(row, token, status=table.FAILED, last_error=exc.reason[:2000])
                    result.failed += 1
                    log.warning("%s failed permanently id=%s: %s", self.name, row.id, exc.reason[:200])
            except Exception as exc:  # noqa: BLE001 - a bug must not lose the row: retry later
                log.exception("%s send error id=%s", self.name, row.id)
                blocked.add(lane)
                self._retry(row, token, SendError(f"internal error: {type(exc).__name__}", True))
                result.retried += 1
            else:
                self._finish(row, token, status=table.SENT, sent_at=utcnow(), last_error=None, **(sent_values or {}))
                result.sent += 1

    def run_until_idle(self, max_rounds: int = 1000) -> RunResult:
        total = RunResult()
        for _ in range(max_rounds):
            r = self.run_once()
            for name in ("claimed", "sent", "retried", "failed", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(r, name))
            if not r.claimed:
                break
        return total

    def _finish(self, row, token: str, **values) -> None:
        table = self.model
        with self.db.session() as s:
            s.execute(
                update(table).where(table.id == row.id, table.claimed_by == token)
                .values(attempts=table.attempts + 1, claimed_by=None, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    def _finish_many(self, rows: list, token: str, **values) -> None:
        """``_finish`` for several rows with the same values, in one statement."""
        table = self.model
        with self.db.session() as s:
            s.execute(
                update(table).where(table.id.in_([row.id for row in rows]), table.claimed_by == token)
                .values(attempts=table.attempts + 1, claimed_by=None, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )

    def _release(self, row, token: str, delay: float = 0.0) -> None:
        table = self.model
        with self.db.session() as s:
            s.execute(
                update(table).where(table.id == row.id, table.claimed_by == token)
                .values(claimed_by=None, claimed_until=None, next_attempt_at=utcnow() + timedelta(seconds=delay))
                .execution_options(synchronize_session=False)
            )

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        delay = min(self.retry_max, self.retry_base * (2 ** max(0, attempts - 1)))
        delay *= random.uniform(0.8, 1.2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_max))
        return delay

    def _retry(self, row, token: str, exc: SendError) -> None:
        delay = self.backoff(row.attempts + 1, exc.retry_after)
        log.info("%s delayed id=%s attempt=%d retry in %.1fs: %s", self.name, row.id, row.attempts + 1, delay,
                 exc.reason[:200])
        self._finish(row, token, next_attempt_at=utcnow() + timedelta(seconds=delay), last_error=exc.reason[:2000])


class OutboxWorker:
    """Sends an outbox continuously: a daemon thread in the web process, or the CLI's loop."""

    def __init__(self, sender: OutboxSender, poll_interval: float = 5.0):
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
                self._thread = threading.Thread(target=self.run, name=f"vamos-{self.sender.name}-worker",
                                                daemon=True)
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
                log.exception("%s worker round failed", self.sender.name)
                result = RunResult()
            if result.claimed:
                continue  # more may be due
            self._wake.wait(self.poll_interval)
            self._wake.clear()


def requeue_failed(db, table, *conditions) -> int:
    """Put permanently failed rows (matching ``conditions``) back into the queue, due now: after the cause was
    fixed at the receiver."""
    with db.session() as s:
        return s.execute(
            update(table).where(table.status == table.FAILED, *conditions)
            .values(status=table.PENDING, next_attempt_at=utcnow(), claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
