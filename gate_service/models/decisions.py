"""The append-only decision log (hash-chained per site), chain heads, outbox, loading records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import intpk
from .base import utc_timestamp


class DecisionRow(Base):
    """One decision: ALLOW, REFUSE, INCOMPLETE or an override, as logged for regulators.

    ``body`` is the canonical JSON that is hashed; the other columns repeat parts of it so that
    regulators can filter, and ``audit verify`` checks that they still agree with the body.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("site_code", "seq"),
        UniqueConstraint("site_code", "idempotency_key"),
        Index("ix_decisions_site_created", "site_code", "created_at"),
    )
    id: Mapped[intpk]
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    site_code: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[utc_timestamp]
    local_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    operator: Mapped[str] = mapped_column(String(160))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    overrides: Mapped[str | None] = mapped_column(String(36), index=True)
    waybill_no: Mapped[str | None] = mapped_column(String(64), index=True)
    carrier_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    vehicle_plate: Mapped[str | None] = mapped_column(String(16), index=True)
    un_number: Mapped[str | None] = mapped_column(String(4), index=True)
    highly_toxic: Mapped[bool] = mapped_column(Boolean, default=False)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(80))
    latency_ms: Mapped[float] = mapped_column(Float)
    body: Mapped[str] = mapped_column(Text)
    # Raw personal ID numbers, outside the hashed body (which holds their commitments).
    pii: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<Decision {self.site_code}#{self.seq} {self.outcome} {self.decision_id}>"


class DecisionReason(Base):
    """A reason code of a decision, one row each, for filters and counts."""

    __tablename__ = "decision_reasons"
    __table_args__ = (Index("ix_decision_reasons_code_decision", "code", "decision_id"),)
    id: Mapped[intpk]
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))

    def __repr__(self) -> str:
        return f"<DecisionReason {self.code}>"


class ChainHead(Base):
    """The last sequence number and hash of a site's chain; locked while a decision is appended."""

    __tablename__ = "chain_heads"
    site_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<ChainHead {self.site_code}#{self.seq}>"


class OutboxEvent(Base):
    """An MQTT event written with its decision, published later by the relay."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)
    id: Mapped[intpk]
    decision_id: Mapped[str] = mapped_column(String(36), index=True)
    site_code: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[utc_timestamp]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxEvent {self.id} {self.topic} sent={self.sent_at}>"


class LoadingRecord(Base):
    """装货记录: what was loaded, by whom, into what — kept at least 12 months."""

    __tablename__ = "loading_records"
    id: Mapped[intpk]
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    site_code: Mapped[str] = mapped_column(String(64), index=True)
    waybill_no: Mapped[str] = mapped_column(String(64), index=True)
    un_number: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(255))
    adr_class: Mapped[str | None] = mapped_column(String(8))
    quantity_kg: Mapped[float] = mapped_column(Float)
    consignor: Mapped[str | None] = mapped_column(String(255))
    carrier: Mapped[str | None] = mapped_column(String(255))
    vehicle_plate: Mapped[str | None] = mapped_column(String(16))
    trailer_plate: Mapped[str | None] = mapped_column(String(16))
    tank_no: Mapped[str | None] = mapped_column(String(64))
    driver: Mapped[str | None] = mapped_column(String(64))
    escort: Mapped[str | None] = mapped_column(String(64))
    seals: Mapped[list[Any]] = mapped_column(default=list)
    loaded_at: Mapped[utc_timestamp]
    recorded_by: Mapped[str] = mapped_column(String(160))

    def __repr__(self) -> str:
        return f"<LoadingRecord {self.waybill_no} {self.quantity_kg} kg>"


class RulesetVersion(Base):
    """The content of every rule-set profile version a decision was made with (for replay)."""

    __tablename__ = "ruleset_versions"
    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]
    first_used_at: Mapped[utc_timestamp]

    def __repr__(self) -> str:
        return f"<RulesetVersion {self.ruleset_id} {self.version[:15]}>"
