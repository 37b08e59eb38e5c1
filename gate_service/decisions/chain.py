"""The per-site hash chain of decisions: append under a lock, and verify every link."""

from __future__ import annotations

import hashlib
import json
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import ScalarResult
from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import ChainHead
from ..models import DecisionRow
from . import pii

GENESIS = "0" * 64
# Columns that repeat a body field; verify checks they still agree with the hashed body.
MIRRORED = (
    "decision_id",
    "site_code",
    "gate",
    "seq",
    "kind",
    "outcome",
    "operator",
    "idempotency_key",
    "overrides",
    "waybill_no",
    "carrier_uscc",
    "vehicle_plate",
    "un_number",
    "highly_toxic",
    "high_risk",
    "ruleset_id",
    "ruleset_version",
    "prev_hash",
)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, UTF-8 text, no insignificant whitespace."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash: str, body_text: str) -> str:
    """SHA-256 over the previous hash and the canonical body."""
    return hashlib.sha256((prev_hash + body_text).encode("utf-8")).hexdigest()


@dataclass
class Head:
    """A site's chain head as this transaction locked it."""

    site_code: str
    seq: int
    hash: str


_HEADS = ChainHead.__table__
_DECISIONS = DecisionRow.__table__
# Built once: composing and cache-keying a statement costs more than running it on SQLite.
_HEAD_FOR_UPDATE = (
    select(_HEADS.c.seq, _HEADS.c.hash)
    .where(_HEADS.c.site_code == bindparam("site"))
    .with_for_update()
)
_HEAD_MOVE = (
    update(_HEADS)
    .where(_HEADS.c.site_code == bindparam("site"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_INSERT_DECISION = insert(_DECISIONS)


def lock_head(conn: Connection, site_code: str) -> Head:
    """The site's chain head, locked for this transaction (created at genesis if new)."""
    # On SQLite the write transaction (BEGIN IMMEDIATE) already serialises writers.
    row = conn.execute(_HEAD_FOR_UPDATE, {"site": site_code}).first()
    if row is None:
        dialect = conn.dialect.name
        insert_new = pg_insert if dialect == "postgresql" else sqlite_insert
        conn.execute(
            insert_new(_HEADS)
            .values(site_code=site_code, seq=0, hash=GENESIS)
            .on_conflict_do_nothing(index_elements=["site_code"])
        )
        row = conn.execute(_HEAD_FOR_UPDATE, {"site": site_code}).one()
    return Head(site_code, row.seq, row.hash)


def append(
    conn: Connection, body: dict[str, Any], columns: dict[str, Any], head: Head
) -> DecisionRow:
    """Append a decision to its site's chain; ``body`` gets ``seq`` and ``prev_hash`` here.

    Returns the row as written (a transient instance: the insert is not tracked by the session).

    :param head: the site's head, locked by this transaction with :func:`lock_head` (or
        ``site_with_head``) before anything the decision depends on was read.
    """
    if head.site_code != body["site_code"]:
        raise ValueError(f"chain head of {head.site_code} given for {body['site_code']}")
    body = {**body, "seq": head.seq + 1, "prev_hash": head.hash}
    text = canonical(body)
    values = {
        "body": text,
        "hash": link_hash(head.hash, text),
        **{k: body[k] for k in MIRRORED},
        **columns,
    }
    row_id = conn.execute(_INSERT_DECISION, values).inserted_primary_key[0]
    conn.execute(
        _HEAD_MOVE, {"site": head.site_code, "new_seq": values["seq"], "new_hash": values["hash"]}
    )
    head.seq, head.hash = values["seq"], values["hash"]
    return DecisionRow(id=row_id, **values)


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying one site's chain."""

    site_code: str
    rows: int
    ok: bool
    head_seq: int
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    problem: str | None = None

    def describe(self) -> str:
        """One line for people."""
        if self.ok:
            return f"{self.site_code}: OK, {self.rows} decisions, head #{self.head_seq}"
        return (
            f"{self.site_code}: BROKEN at #{self.first_bad_seq} "
            f"(decision {self.first_bad_id}): {self.problem}"
        )


def _rows(session: Session, site_code: str) -> ScalarResult[DecisionRow]:
    stmt = (
        select(DecisionRow)
        .where(DecisionRow.site_code == site_code)
        .order_by(DecisionRow.seq, DecisionRow.id)
        .execution_options(yield_per=2000)
    )
    return session.scalars(stmt)


def _row_problem(
    row: DecisionRow, expected_seq: int, prev_hash: str, secret: str | None
) -> str | None:
    if row.seq != expected_seq:
        return (
            f"sequence jumps from {expected_seq - 1} to {row.seq} (a row was deleted or moved)"
            if row.seq > expected_seq
            else f"sequence {row.seq} repeats or goes back"
        )
    try:
        body = json.loads(row.body)
    except ValueError:
        return "body is not JSON"
    if canonical(body) != row.body:
        return "body is not in canonical form (edited)"
    if body.get("prev_hash") != prev_hash or row.prev_hash != prev_hash:
        return "does not link to the previous decision (inserted, deleted or reordered)"
    if link_hash(prev_hash, row.body) != row.hash:
        return "hash does not match the body (edited)"
    for name in MIRRORED:
        if getattr(row, name) != body.get(name):
            return f"column {name} differs from the hashed body (edited)"
    if secret is not None:
        commitments = body.get("pii_commitments") or {}
        if set(commitments) != set(row.pii or {}):
            return "personal data does not match its commitments (edited)"
        for path, raw in (row.pii or {}).items():
            if commitments[path] != pii.commit(secret, raw):
                return f"personal data at {path} differs from its commitment (edited)"
    return None


def verify_site(session: Session, site_code: str, secret: str | None = None) -> ChainReport:
    """Recompute a site's chain and name the first broken row."""
    prev, expected, count = GENESIS, 1, 0
    # Closed explicitly: a report may return mid-stream, leaving a server-side cursor open.
    with closing(_rows(session, site_code)) as rows:
        for row in rows:
            problem = _row_problem(row, expected, prev, secret)
            if problem:
                return ChainReport(
                    site_code, count, False, expected - 1, row.seq, row.decision_id, problem
                )
            prev, expected, count = row.hash, expected + 1, count + 1
    head = session.get(ChainHead, site_code)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected - 1, prev):
        return ChainReport(
            site_code,
            count,
            False,
            head_seq,
            expected,
            None,
            f"chain ends at #{expected - 1} but the head says #{head_seq} "
            "(the newest rows were deleted)",
        )
    return ChainReport(site_code, count, True, head_seq)


def sites_with_chains(session: Session) -> list[str]:
    """Every site that has a chain head or a decision."""
    heads = set(session.scalars(select(ChainHead.site_code)))
    heads |= set(session.scalars(select(DecisionRow.site_code).distinct()))
    return sorted(heads)
