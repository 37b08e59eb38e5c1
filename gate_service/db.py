"""Database engine and per-request sessions (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE can be used for writes.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # The default 2 MiB page cache per connection is small once the decision log holds
            # millions of rows; reading through a memory map saves a system call per page.
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("gate_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_app(app: Flask, url: str) -> None:
    """Create the engine and session factory for the app and close sessions after each request."""
    engine = make_engine(url)
    app.extensions["gate.engine"] = engine
    app.extensions["gate.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    """The engine of the current app."""
    return get_engine_of(current_app)


def get_engine_of(app: Flask) -> Engine:
    """The engine of an app."""
    engine: Engine = app.extensions["gate.engine"]
    return engine


def new_session() -> Session:
    """A new session outside the request cycle (CLI commands, relays); the caller closes it."""
    factory: sessionmaker[Session] = current_app.extensions["gate.sessionmaker"]
    return factory()


def get_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


class WalCheckpointer(threading.Thread):
    """Checkpoints a SQLite WAL in the background, so that no request's commit pays for it.

    By default the connection whose commit crosses 1,000 WAL pages copies them into the database
    and syncs it, inside that request. With this thread running, connections do not checkpoint
    and the thread does a passive checkpoint (which never blocks a reader or writer) every
    ``interval`` seconds.
    """

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        super().__init__(name="wal-checkpoint", daemon=True)
        self.engine = engine
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - retried next interval; a missed round only grows the WAL
                logger.exception("WAL checkpoint failed")

    def stop(self) -> None:
        """Stop after the current round."""
        self.stopped.set()


def start_wal_checkpointer(app: Flask, interval: float = 1.0) -> WalCheckpointer | None:
    """Move WAL checkpoints of the app's SQLite database off the request path (None elsewhere).

    Call it once, in the serving process: connections opened afterwards (including those of
    forked workers) leave checkpointing to the thread.
    """
    engine = get_engine_of(app)
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None

    @event.listens_for(engine, "connect")
    def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    engine.dispose()
    checkpointer = WalCheckpointer(engine, interval)
    checkpointer.start()
    app.extensions["gate.checkpointer"] = checkpointer
    return checkpointer


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """One write transaction, committed on success; on SQLite it takes the write lock at BEGIN.

    Taking the lock up front (BEGIN IMMEDIATE) lets concurrent writers queue on the busy timeout
    instead of failing when a read lock cannot be upgraded.
    """
    with session.begin():
        session.connection(execution_options={"gate_write": True})
        yield session
