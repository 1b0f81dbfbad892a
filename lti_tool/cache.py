"""The launch cache: short-lived state shared by every tool process.

OIDC login state, used nonces, launch sessions and fetched platform key sets live here, never
in process memory, because the login and the launch of one learner may reach different processes.
Two backends with the same small interface:

* ``RedisCache`` when VAMOS_REDIS_URL is set (many hosts);
* ``SqlCache`` otherwise: a table in the tool's own database, which every process on the host
  (SQLite) or every host (PostgreSQL) already shares.

``add`` (set if absent) and ``pop`` (get and delete) are atomic in both: that is what makes
state and nonces single-use even when two processes race with the same launch.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Protocol

from sqlalchemy import Integer, Text, bindparam, cast, delete, select, update

from .db import Database, built_once
from .models import CacheEntry


class LaunchCache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl: int) -> None: ...

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Store only if the key is absent (or expired). True if this call stored it."""

    def pop(self, key: str) -> Any | None:
        """Return and delete in one step; None if absent. Only one caller can get the value."""

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: int) -> int:
        """Add one to a counter (created at 0 with ``ttl`` if absent) and return the new value,
        atomically across processes: the rate limit of /verify counts with it."""

    def delete_matching(self, prefix: str, predicate: Callable[[Any], bool]) -> int:
        """Delete every entry under ``prefix`` whose value satisfies ``predicate``; returns how many. A scan over
        the prefix, for the rare erasure (Art. 17) of a person's launch sessions, never for a request."""


class RedisCache:
    def __init__(self, url: str, prefix: str = "vamos:lti:"):
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> Any | None:
        raw = self.client.get(self._k(key))
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int) -> None:
        self.client.set(self._k(key), json.dumps(value), ex=max(1, int(ttl)))

    def add(self, key: str, value: Any, ttl: int) -> bool:
        return bool(self.client.set(self._k(key), json.dumps(value), ex=max(1, int(ttl)), nx=True))

    def pop(self, key: str) -> Any | None:
        raw = self.client.getdel(self._k(key))
        return None if raw is None else json.loads(raw)

    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    # consume_login in one round trip: take the login state (GETDEL) and, only if it belongs to this
    # registration and nonce, mark the nonce used (SET NX). Replies: {} no state; {state, 1} nonce marked now;
    # {state, 0} nonce used before; {state, -1} the state is not this token's (nothing marked).
    _CONSUME_LOGIN = """
local raw = redis.call('GETDEL', KEYS[1])
if not raw then return {} end
local ok, login = pcall(cjson.decode, raw)
if not ok or type(login) ~= 'table' or login['registration_id'] ~= ARGV[1] or login['nonce'] ~= ARGV[2] then
  return {raw, -1}
end
if redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]), 'NX') then return {raw, 1} end
return {raw, 0}
"""

    def consume_login(self, state_key: str, registration_id: str, nonce: str, nonce_key: str,
                      ttl: int) -> tuple[Any | None, bool]:
        """``pop(state_key)``, then ``add(nonce_key, 1, ttl)`` only if the state names this registration and
        nonce, as one atomic script (one round trip instead of two). Returns (the state or None, nonce newly
        marked); a state of another token marks nothing."""
        script = getattr(self, "_consume_script", None)
        if script is None:
            script = self._consume_script = self.client.register_script(self._CONSUME_LOGIN)
        reply = script(keys=[self._k(state_key), self._k(nonce_key)],
                       args=[registration_id, nonce, json.dumps(1), max(1, int(ttl))])
        if not reply:
            return None, False
        return json.loads(reply[0]), int(reply[1]) == 1

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.client.pipeline()  # MULTI/EXEC: the expiry is set by whoever created the key
        pipe.set(self._k(key), 0, ex=max(1, int(ttl)), nx=True)
        pipe.incr(self._k(key))
        return int(pipe.execute()[1])

    def delete_matching(self, prefix: str, predicate: Callable[[Any], bool]) -> int:
        count = 0
        for key in self.client.scan_iter(self._k(prefix) + "*", count=1000):
            raw = self.client.get(key)
            if raw is not None and predicate(json.loads(raw)):
                count += self.client.delete(key)
        return count

    def clear_prefix(self) -> None:
        """Remove this cache's keys (tests, and `vamos lti` maintenance)."""
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)


class SqlCache:
    """Every operation is one prebuilt Core statement (``get``, ``set``, ``add``, ``pop``) in its own short
    transaction: the launch touches this cache four times on SQLite, and the ORM session around each statement
    cost more than the statement (bench/perf_log.md, session 5)."""

    def __init__(self, db: Database):
        self.db = db
        table = CacheEntry.__table__
        self._get = select(table.c.value).where(table.c.key == bindparam("k"), table.c.expires_at > bindparam("now"))
        self._pop = delete(table).where(table.c.key == bindparam("k")).returning(table.c.value, table.c.expires_at)

    def _upsert(self, conn, only_if_expired: bool):
        """INSERT the key, or replace its row (always for ``set``; for ``add`` only an expired one). RETURNING
        says whether this statement wrote: a live row is never matched, so ``add`` stays set-if-absent."""
        def build(insert):
            table = CacheEntry.__table__
            statement = insert(table)
            return statement.on_conflict_do_update(
                index_elements=["key"],
                set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
                where=(table.c.expires_at <= bindparam("now")) if only_if_expired else None,
            ).returning(table.c.key)
        return built_once(conn, ("cache-add" if only_if_expired else "cache-set",), build)

    def get(self, key: str) -> Any | None:
        with self.db.engine.connect() as conn:  # a read: nothing to commit
            row = conn.execute(self._get, {"k": key, "now": time.time()}).first()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any, ttl: int) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(self._upsert(conn, False), {"key": key, "value": json.dumps(value),
                                                     "expires_at": time.time() + ttl}).first()

    def add(self, key: str, value: Any, ttl: int) -> bool:
        with self.db.engine.begin() as conn:
            return self._add(conn, key, value, ttl)

    def _add(self, conn, key: str, value: Any, ttl: int) -> bool:
        now = time.time()
        # One statement: a concurrent second add finds the first one's live row and writes nothing.
        return conn.execute(self._upsert(conn, True), {"key": key, "value": json.dumps(value),
                                                       "expires_at": now + ttl, "now": now}).first() is not None

    def pop(self, key: str) -> Any | None:
        # One DELETE … RETURNING statement: only the process whose delete removed the row
        # gets the value (SQLite >= 3.35 and PostgreSQL both support it).
        with self.db.engine.begin() as conn:
            row = conn.execute(self._pop, {"k": key}).first()
        if row is None or row.expires_at <= time.time():
            return None
        return json.loads(row.value)

    def consume_login(self, state_key: str, registration_id: str, nonce: str, nonce_key: str,
                      ttl: int) -> tuple[Any | None, bool]:
        """``pop(state_key)`` and, only if the state is this token's (registration and nonce), ``add(nonce_key)``
        in one transaction: one commit instead of two (RedisCache does it in one round trip)."""
        import hmac

        with self.db.engine.begin() as conn:
            row = conn.execute(self._pop, {"k": state_key}).first()
            if row is None or row.expires_at <= time.time():
                return None, False
            login = json.loads(row.value)
            if not isinstance(login, dict) or login.get("registration_id") != registration_id \
                    or not hmac.compare_digest(str(login.get("nonce", "")), nonce):
                return login, False  # not this token's state: the caller refuses; nothing marked
            return login, self._add(conn, nonce_key, 1, ttl)

    def delete(self, key: str) -> None:
        with self.db.session() as s:
            s.execute(delete(CacheEntry).where(CacheEntry.key == key))

    def incr(self, key: str, ttl: int) -> int:
        now = time.time()
        with self.db.session() as s:
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert
            s.execute(delete(CacheEntry).where(CacheEntry.key == key, CacheEntry.expires_at <= now))
            s.execute(upsert(CacheEntry).values(key=key, value="0", expires_at=now + ttl).on_conflict_do_nothing())
            # One UPDATE … RETURNING: the row lock serialises concurrent increments.
            value = s.execute(
                update(CacheEntry)
                .where(CacheEntry.key == key)
                .values(value=cast(cast(CacheEntry.value, Integer) + 1, Text))
                .returning(CacheEntry.value)
            ).scalar_one()
        return int(value)

    def delete_matching(self, prefix: str, predicate: Callable[[Any], bool]) -> int:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.db.session() as s:
            keys = [key for key, value in s.execute(
                select(CacheEntry.key, CacheEntry.value).where(CacheEntry.key.like(escaped + "%", escape="\\")))
                if predicate(json.loads(value))]
            if keys:
                s.execute(delete(CacheEntry).where(CacheEntry.key.in_(keys)))
        return len(keys)

    def purge_expired(self) -> int:
        with self.db.session() as s:
            return s.execute(delete(CacheEntry).where(CacheEntry.expires_at <= time.time())).rowcount


def make_cache(config, db: Database) -> LaunchCache:
    if config.redis_url:
        return RedisCache(config.redis_url, config.redis_prefix)
    return SqlCache(db)
