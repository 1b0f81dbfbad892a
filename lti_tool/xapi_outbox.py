"""xAPI statements of the LTI tool to a learning record store (LRS), through a durable outbox.

* **What** is said is the core's rule (``vamos_core.xapi.StatementBuilder``): verbs, activity ids, the
  pseudonymous actor, results. This module only decides *when* (which event produced which statements) and
  stores them.
* **Written with the fact**: ``progress.record`` (lesson viewed/completed, quiz attempt, module completed), the
  launch (``launched``) and the certificate issuance (``earned``) add their statements to ``xapi_outbox`` in
  their own transaction — one prepared ``INSERT … ON CONFLICT DO NOTHING`` executed with all statements of the
  event. A refused event therefore never reports anything, and a committed one can never lose its statements.
* **Sent by a worker** with the machinery shared with the AGS scores (``lti_tool.outbox``): claims with a lease,
  retries with backoff while the LRS is away (an outage delays statements and loses none), permanent failure
  only for what the LRS refuses as invalid (400/422) or as a conflicting statement (409).
* **Exactly once**: every statement id is fixed when the row is written (a uuid5 of the fact); a re-send after
  a worker died between the LRS's answer and the update carries the same id, which an LRS stores once (xAPI
  1.0.3, "Statement API": an LRS must not change its state for a statement id it has).
* **Credentials** come from the configuration (``VAMOS_XAPI_LRS_USERNAME``/``…_PASSWORD`` or ``…_PASSWORD_FILE``)
  and are never logged: error texts carry the status and the LRS's message, not the request.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Iterable

import requests
from sqlalchemy.orm import Session

from vamos_core.model import Module
from vamos_core.xapi import XAPI_VERSION, StatementBuilder

from .db import built_once
from .models import ProgressEvent, XapiOutbox, utcnow
from .outbox import OutboxSender, SendError, requeue_failed

log = logging.getLogger(__name__)

RETRY_STATUS = {401, 403, 408, 425, 429}  # credentials or limits may be fixed on the LRS: keep trying


@dataclass(frozen=True)
class XapiRecorder:
    """The statements of the tool's events, and their insert into the outbox."""

    builder: StatementBuilder

    @classmethod
    def from_config(cls, config) -> "XapiRecorder | None":
        if not config.xapi_lrs_url:
            return None
        key = config.xapi_pseudonym_key.encode() if config.xapi_pseudonym_key else hmac.new(
            config.secret_key.encode(), b"vamos-xapi-actor", hashlib.sha256).digest()
        return cls(StatementBuilder(home_page=config.xapi_home_page or config.base_url, pseudonym_key=key,
                                    activity_base=config.xapi_activity_base, platform="VAMOs LTI-Tool"))

    # which facts say what ----------------------------------------------

    def progress_statements(self, module: Module, issuer: str, sub: str, event: ProgressEvent, *,
                            was_completed: bool, completed: bool, quiz_score: float | None) -> list[dict]:
        b, at, key = self.builder, event.created_at or utcnow(), event.idempotency_key
        out: list[dict] = []
        if event.kind == ProgressEvent.LESSON_VIEWED:
            out.append(b.lesson_experienced(issuer, sub, module, event.lesson_id, at, key))
        elif event.kind == ProgressEvent.LESSON_COMPLETED:
            out.append(b.lesson_completed(issuer, sub, module, event.lesson_id, at, key))
        elif event.kind == ProgressEvent.QUIZ_ATTEMPT:
            data = json.loads(event.data or "{}")
            out.extend(b.quiz_attempt(
                issuer, sub, module, at, key, answers=data.get("answers", {}),
                fractions={q: float(Fraction(v)) for q, v in data.get("fractions", {}).items()},
                percent=float(data.get("percent", 0.0)), points=float(data.get("points", 0.0)),
                max_points=float(data.get("max_points", module.quiz.max_points)), passed=bool(data.get("passed")),
            ))
        if completed and not was_completed:
            out.append(b.module_completed(issuer, sub, module, at, key, quiz_score))
        return out

    def launched(self, issuer: str, sub: str, module: Module, at: datetime, launch_id: str) -> dict:
        return self.builder.launched(issuer, sub, module, at, launch_id)

    def certificate_earned(self, issuer: str, sub: str, module: Module, at: datetime, certificate_id: str) -> dict:
        return self.builder.certificate_earned(issuer, sub, module, at, certificate_id)

    # storing -----------------------------------------------------------

    @staticmethod
    def enqueue(session: Session, issuer: str, sub: str, statements: Iterable[dict]) -> int:
        """Add statements to the outbox in the caller's transaction: one prepared insert for all of them.
        A statement id already there is skipped (the same fact reported twice is stored once)."""
        now = utcnow()
        rows = [{"statement_id": st["id"], "issuer": issuer, "sub": sub, "verb": st["verb"]["id"].rsplit("/", 1)[-1],
                 "payload": json.dumps(st, sort_keys=True, ensure_ascii=False), "status": XapiOutbox.PENDING,
                 "attempts": 0, "next_attempt_at": now, "created_at": now} for st in statements]
        if rows:
            session.execute(built_once(session, ("xapi-outbox",), lambda insert: insert(XapiOutbox.__table__)
                                       .on_conflict_do_nothing(index_elements=["statement_id"])), rows)
        return len(rows)


# ---------------------------------------------------------------- sending


class XapiSender(OutboxSender):
    """POSTs the claimed statements to ``{endpoint}/statements`` with basic auth (xAPI 1.0.3), as one array."""

    model = XapiOutbox
    lane = ()  # statements carry their own timestamps: no order between learners or within one is needed
    name = "xapi"

    def __init__(self, db, endpoint: str, username: str, password: str, *, timeout: float = 10.0, **kwargs):
        super().__init__(db, lease=max(kwargs.pop("lease", 120.0), 3 * timeout + 5), **kwargs)
        self.url = endpoint.rstrip("/") + "/statements"
        self.timeout = timeout
        self.http = requests.Session()
        self.http.auth = (username, password)
        self.http.headers.update({"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"})

    @classmethod
    def from_config(cls, config, db) -> "XapiSender":
        return cls(db, config.xapi_lrs_url, config.xapi_lrs_username, config.xapi_lrs_password,
                   timeout=config.xapi_http_timeout, retry_base=config.xapi_retry_base, retry_max=config.xapi_retry_max)

    def send_claimed(self, token: str, rows: list, result) -> None:
        """All claimed statements in one POST (an xAPI statement array; the LRS stores all or none). If the LRS
        refuses the batch as invalid, the statements go one by one, so only the bad one fails."""
        if len(rows) < 2:
            return super().send_claimed(token, rows, result)
        body = b"[" + b",".join(row.payload.encode() for row in rows) + b"]"
        try:
            self._post(body)
        except SendError as exc:
            if not exc.retry:
                return super().send_claimed(token, rows, result)
            for row in rows:
                self._retry(row, token, exc)
            result.retried += len(rows)
            return
        self._finish_many(rows, token, status=XapiOutbox.SENT, sent_at=utcnow(), last_error=None)
        result.sent += len(rows)

    def send(self, row: XapiOutbox) -> dict:
        self._post(row.payload.encode())
        return {}

    def _post(self, body: bytes) -> None:
        try:
            response = self.http.post(self.url, data=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"LRS not reachable: {type(exc).__name__}", True) from exc
        if 200 <= response.status_code < 300:
            return
        status = response.status_code
        detail = response.text[:300].replace("\n", " ")
        retry_after = None
        if response.headers.get("Retry-After", "").isdigit():
            retry_after = float(response.headers["Retry-After"])
        raise SendError(f"LRS answered {status}: {detail}", status >= 500 or status in RETRY_STATUS, retry_after)


def retry_failed(db) -> int:
    """Put permanently failed statements back into the queue (after the cause was fixed on the LRS)."""
    return requeue_failed(db, XapiOutbox)
