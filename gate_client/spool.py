"""The local spool (SQLite): each visit is written here before it is sent, kept until decided."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import closing
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# States of a spooled attempt:
#   pending     not yet answered; the forwarder sends it when due
#   inflight    being sent right now (by the live path or the forwarder)
#   sent        the service decided; the decision is kept beside the request
#   rejected    the service refused the request itself (4xx); kept for the operator
#   superseded  a newer attempt of the same visit replaced it before it was ever answered
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    idempotency_key TEXT PRIMARY KEY,
    visit_id        TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      REAL NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    decision        TEXT,
    decided_at      REAL,
    live            INTEGER
);
CREATE INDEX IF NOT EXISTS attempts_due ON attempts (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS attempts_visit ON attempts (visit_id);
"""


@dataclass(frozen=True)
class Entry:
    """One spooled attempt to decide a visit."""

    idempotency_key: str
    visit_id: str
    body: dict[str, Any]
    created_at: float
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    decision: dict[str, Any] | None
    decided_at: float | None
    live: bool | None


class Spool:
    """Attempts to decide visits, durable before the service hears of them."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.executescript(SCHEMA)
            # An attempt in flight when the client stopped got no answer that anyone saw.
            conn.execute("UPDATE attempts SET state = 'pending' WHERE state = 'inflight'")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per operation: safe from any thread, nothing left open.
        with self._lock, closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a visit acknowledged as spooled survives a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            with conn:
                yield conn

    def write(self, key: str, visit_id: str, body: Mapping[str, Any], *,
              claimed: bool = True, now: float | None = None) -> bool:
        """Record an attempt before it is sent (claimed for the sender by default).

        Older unanswered attempts of the same visit are superseded: one visit, one record.
        Returns False if the key was already spooled (a repeated send of the same attempt).
        """
        now = time.time() if now is None else now
        state = "inflight" if claimed else "pending"
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO attempts (idempotency_key, visit_id, body, created_at,"
                " state) VALUES (?, ?, ?, ?, ?)",
                (key, visit_id, json.dumps(body, ensure_ascii=False), now, state))
            conn.execute(
                "UPDATE attempts SET state = 'superseded' WHERE visit_id = ? AND state = 'pending'"
                " AND idempotency_key != ?", (visit_id, key))
            return cur.rowcount == 1

    def claim(self, key: str) -> bool:
        """Take a pending attempt for sending; False if someone else holds it or it is done."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE attempts SET state = 'inflight' WHERE idempotency_key = ?"
                               " AND state = 'pending'", (key,))
            return cur.rowcount == 1

    def release(self, key: str, error: str, retry_at: float) -> None:
        """Give an unanswered attempt back, to be retried at `retry_at` (wall clock)."""
        with self._connect() as conn:
            conn.execute("UPDATE attempts SET state = 'pending', attempts = attempts + 1,"
                         " last_error = ?, next_attempt_at = ? WHERE idempotency_key = ?"
                         " AND state = 'inflight'", (error[:500], retry_at, key))

    def settle(self, key: str, decision: Mapping[str, Any], *, live: bool,
               now: float | None = None) -> None:
        """Keep the service's decision beside the attempt; it will not be sent again."""
        with self._connect() as conn:
            conn.execute("UPDATE attempts SET state = 'sent', attempts = attempts + 1,"
                         " decision = ?, decided_at = ?, live = ?, last_error = NULL"
                         " WHERE idempotency_key = ?",
                         (json.dumps(decision, ensure_ascii=False),
                          time.time() if now is None else now, int(live), key))

    def reject(self, key: str, error: str) -> None:
        """The service refused the request itself: keep it, but do not send it again."""
        with self._connect() as conn:
            conn.execute("UPDATE attempts SET state = 'rejected', attempts = attempts + 1,"
                         " last_error = ? WHERE idempotency_key = ?", (error[:500], key))

    def get(self, key: str) -> Entry | None:
        """One attempt by its idempotency key."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM attempts WHERE idempotency_key = ?",
                               (key,)).fetchone()
        return _entry(row) if row else None

    def due(self, now: float | None = None, limit: int = 20) -> list[Entry]:
        """Pending attempts whose next try is due, oldest first."""
        now = time.time() if now is None else now
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM attempts WHERE state = 'pending'"
                                " AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
                                (now, limit)).fetchall()
        return [_entry(r) for r in rows]

    def next_due(self) -> float | None:
        """When the earliest pending attempt is due (wall clock), or None if none is pending."""
        with self._connect() as conn:
            row = conn.execute("SELECT MIN(next_attempt_at) FROM attempts"
                               " WHERE state = 'pending'").fetchone()
        return row[0] if row and row[0] is not None else None

    def entries(self, state: str | None = None) -> list[Entry]:
        """Every attempt (of one state), oldest first."""
        with self._connect() as conn:
            if state is None:
                rows = conn.execute("SELECT * FROM attempts ORDER BY created_at").fetchall()
            else:
                rows = conn.execute("SELECT * FROM attempts WHERE state = ? ORDER BY created_at",
                                    (state,)).fetchall()
        return [_entry(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """The number of attempts in each state."""
        with self._connect() as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM attempts GROUP BY state").fetchall()
        return {state: n for state, n in rows}


def _entry(row: tuple[Any, ...]) -> Entry:
    (key, visit_id, body, created_at, state, attempts, next_at, error, decision, decided_at,
     live) = row
    return Entry(key, visit_id, json.loads(body), created_at, state, attempts, next_at, error,
                 json.loads(decision) if decision else None, decided_at,
                 None if live is None else bool(live))
