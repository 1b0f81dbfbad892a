"""Engine, sessions and migrations. One ``Database`` per app; Alembic owns the schema."""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Several worker processes may share the file: wait for locks instead of failing at once.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # Report functions PostgreSQL has built in (lti_tool/reports.py): local month, median.
            from .reports import register_sqlite_functions

            register_sqlite_functions(dbapi_conn)

        return engine
    engine = create_engine(url)
    _ping_after_idle(engine)
    return engine


# A pooled connection back within this many seconds is used without a ping (see _ping_after_idle).
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_after_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle in the pool: ``pool_pre_ping``
    pinged on *every* checkout, one more round trip to PostgreSQL per request (two per launch). A connection
    used less than ``PING_AFTER_IDLE_SECONDS`` ago is handed out as it is; an older one is pinged and replaced
    when the server is gone (a restart or an idle timeout), as ``pool_pre_ping`` did. A failure in between is
    a disconnect error on the request's statement, after which SQLAlchemy replaces the pool's connections."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):
        record.info["vamos_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("vamos_idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means: not usable
            raise DisconnectionError() from exc
        if alive is False:
            raise DisconnectionError()


def dialect_insert(session: Session | Connection):
    """The ``insert`` construct of the session's (or connection's) database, with ``on_conflict_do_*``."""
    dialect = (session.dialect if isinstance(session, Connection) else session.get_bind().dialect).name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases are not supported
        raise RuntimeError(f"unsupported database {dialect}")
    return insert


_BUILT: dict[tuple, object] = {}


def built_once(session: Session, key: tuple, build) -> object:
    """A statement built once per database dialect and ``key``, then executed with parameters: building an
    ``ON CONFLICT`` statement costs ~0.3 ms of CPU, executing a built one ~0.1 ms (bench/perf_log.md), and
    these run on every learner request. ``build`` gets the dialect's ``insert``."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    full_key = (dialect.name, *key)
    statement = _BUILT.get(full_key)
    if statement is None:
        statement = _BUILT.setdefault(full_key, build(dialect_insert(session)))
    return statement


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a transaction (commits on success): for the hottest read and update paths,
        where the ORM's unit of work costs more than the statements (bench/perf_log.md)."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A Core connection without a transaction of its own: every statement commits by itself. For a read,
        or a write that is one statement (atomic on its own): no BEGIN and COMMIT round trips. On SQLite (in
        process, where switching the mode costs a PRAGMA each way) a transaction that commits on success."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.begin() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def migrate(self) -> None:
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
