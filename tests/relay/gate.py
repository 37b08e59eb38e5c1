"""Decisions for the MQTT tests, made through the real verification path with the demo data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select

from gate_service import models as m
from gate_service.auth import Caller
from gate_service.db import writing
from gate_service.decisions.resolve import Request
from gate_service.decisions.service import verify
from tests.service.visits import GOOD_SCANS
from tests.service.visits import visit

SAMPLE_WAYBILL = "YD2026112800001"
SKIP = {"id", "waybill_no", "created_at", "updated_at"}


@dataclass(frozen=True)
class Decided:
    """What a test needs to know of a decision."""

    decision_id: str
    outcome: str
    gate: str


def add_waybills(app: Flask, count: int, prefix: str = "YDR") -> list[str]:
    """Bulk-insert copies of the sample waybill with new numbers; returns the numbers."""
    numbers = [f"{prefix}{i:09d}" for i in range(count)]
    with app.extensions["gate.sessionmaker"]() as session, writing(session):
        source = session.scalar(select(m.Waybill).where(m.Waybill.waybill_no == SAMPLE_WAYBILL))
        assert source is not None, "the demo fixture is needed"
        columns = {a.key: getattr(source, a.key) for a in inspect(m.Waybill).column_attrs
                   if a.key not in SKIP}
        session.execute(insert(m.Waybill), [{**columns, "waybill_no": n} for n in numbers])
    return numbers


def good_visit(waybill: str, gate: str = "G1", **over: Any) -> dict[str, Any]:
    """A visit that should be allowed, carrying the given waybill."""
    scans = [s for s in GOOD_SCANS if not s.startswith("LG1:WBL:")] + [f"LG1:WBL:{waybill}"]
    return visit(scans, gate=gate, **over)


def decide(app: Flask, body: dict[str, Any], caller: Caller | None = None) -> Decided:
    """Verify one visit in its own write transaction, as the API does."""
    settings = app.extensions["gate"]
    caller = caller or Caller("test-gate", "operator", body["site"])
    request = Request(site_code=body["site"], gate=body["gate"], scans=body["scans"],
                      load=body["load"], checklist=body["checklist"],
                      idempotency_key=body["idempotency_key"])
    with app.extensions["gate.sessionmaker"]() as session, writing(session):
        row = verify(session, caller, request, secret=settings.secret_key,
                     prefix=settings.mqtt_topic_prefix)
        return Decided(row.decision_id, row.outcome, row.gate)
