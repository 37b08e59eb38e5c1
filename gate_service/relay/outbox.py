"""The outbox table as the relay sees it: committed pending rows, marking them sent, the backlog."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import not_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import OutboxEvent
from ..models.base import utcnow

GateKey = tuple[str, str]


@dataclass(frozen=True)
class Pending:
    """One committed outbox row waiting for its PUBACK."""

    id: int
    topic: str
    body: bytes
    gate: GateKey
    created_at: dt.datetime


def encode(payload: Any) -> bytes:
    """The wire form of a payload: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fetch_pending(session: Session, limit: int, claimed: Collection[int],
                  held: Collection[GateKey] = ()) -> list[Pending]:
    """Up to ``limit`` unsent rows in id order, skipping rows already handed to the client and
    gates whose publishing is held back after a refusal.

    Run in its own transaction, it sees committed rows only: an event is never published before
    its decision is committed.
    """
    stmt = select(OutboxEvent.id).where(OutboxEvent.sent_at.is_(None))
    if held:
        stmt = stmt.where(not_(or_(*(and_(OutboxEvent.site_code == s, OutboxEvent.gate == g)
                                     for s, g in held))))
    # Claimed rows are still unsent, so asking for that many more finds ``limit`` new ones.
    ids = session.scalars(stmt.order_by(OutboxEvent.id).limit(limit + len(claimed))).all()
    wanted = [i for i in ids if i not in claimed][:limit]
    if not wanted:
        return []
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload, OutboxEvent.site_code,
               OutboxEvent.gate, OutboxEvent.created_at)
        .where(OutboxEvent.id.in_(wanted)).order_by(OutboxEvent.id))
    return [Pending(r.id, r.topic, encode(r.payload), (r.site_code, r.gate), r.created_at)
            for r in rows]


def mark_sent(session: Session, ids: Collection[int], at: dt.datetime) -> None:
    """Rows the broker acknowledged: sent, one more attempt counted."""
    if ids:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids))
                        .values(sent_at=at, attempts=OutboxEvent.attempts + 1)
                        .execution_options(synchronize_session=False))


def count_attempt(session: Session, ids: Collection[int]) -> None:
    """Rows the broker refused: still pending, one more attempt counted."""
    if ids:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids))
                        .values(attempts=OutboxEvent.attempts + 1)
                        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Backlog:
    """The unsent rows: how many, and how old the oldest is."""

    pending: int
    oldest: dt.datetime | None

    def age(self, now: dt.datetime) -> float | None:
        """Seconds since the oldest unsent row was written."""
        return None if self.oldest is None else max(0.0, (now - self.oldest).total_seconds())


def backlog(session: Session) -> Backlog:
    """Count the unsent rows and find the oldest."""
    count, oldest = session.execute(
        select(func.count(OutboxEvent.id), func.min(OutboxEvent.created_at))
        .where(OutboxEvent.sent_at.is_(None))).one()
    return Backlog(int(count), oldest)


def outbox_status(session: Session, now: dt.datetime | None = None,
                  window_s: float = 60.0) -> dict[str, Any]:
    """The relay's lag as the database shows it, readable from any process.

    Pending rows, the age of the oldest, and how many rows were sent in the last ``window_s``
    seconds (the publish rate) — whichever process or host runs the relay.
    """
    now = now or utcnow()
    since = now - dt.timedelta(seconds=window_s)
    state = backlog(session)
    recent, last = session.execute(
        select(func.count(OutboxEvent.id), func.max(OutboxEvent.sent_at))
        .where(OutboxEvent.sent_at >= since)).one()
    age = state.age(now)
    return {"pending": state.pending,
            "oldest_pending_age_s": None if age is None else round(age, 3),
            "sent_last_window": int(recent), "window_s": window_s,
            "rate_per_s": round(int(recent) / window_s, 3),
            "last_sent_at": last.isoformat() if last is not None else None,
            "checked_at": now.isoformat()}
