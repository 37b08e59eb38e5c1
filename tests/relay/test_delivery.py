"""Every decision reaches subscribers, after its commit, through a broker stop and restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text

from gate_service import models as m
from gate_service.relay import Relay
from tests.relay.broker import Broker
from tests.relay.gate import Decided
from tests.relay.gate import add_waybills
from tests.relay.gate import decide
from tests.relay.gate import good_visit
from tests.relay.subscriber import Collector
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

DECISIONS = 500
STOP_AT, START_AT = 150, 350


def test_500_decisions_through_a_broker_restart_all_arrive_once_after_commit(
        app: Flask, demo: None, database_url: str, broker: Broker,
        make_relay: Callable[..., Relay], make_collector: Callable[..., Collector]) -> None:
    waybills = add_waybills(app, DECISIONS)
    # The subscriber looks the decision up with its own engine at receive time: an event
    # published before its transaction committed would find nothing.
    checker = create_engine(database_url)

    def committed(payload: dict[str, Any]) -> bool:
        with checker.connect() as conn:
            return conn.execute(text("SELECT 1 FROM decisions WHERE decision_id = :d"),
                                {"d": payload.get("decision_id")}).first() is not None

    collector = make_collector(["loadgate/JMS01/+/decision", "loadgate/JMS01/+/barrier"],
                               check=committed)
    relay = make_relay()
    started = time.monotonic()
    made: list[Decided] = []
    for i, waybill in enumerate(waybills):
        if i == STOP_AT:
            broker.stop()
        if i == START_AT:
            broker.start()
        gate = ("G1", "G2")[i % 2]
        # Every fifth visit is refused: decision events without a barrier command.
        body = visit(BAD_SCANS, gate=gate) if i % 5 == 4 else good_visit(waybill, gate)
        made.append(decide(app, body))
    decided_in = time.monotonic() - started

    allowed = {d.decision_id for d in made if d.outcome == "ALLOW"}
    assert len(allowed) == DECISIONS - DECISIONS // 5
    expected = len(made) + len(allowed)
    assert collector.wait_for(lambda c: len(c.unique()) >= expected, timeout=30), (
        f"{len(collector.unique())} of {expected} events arrived; relay {relay.status()}")
    delivered_in = time.monotonic() - started

    assert collector.invalid == []
    decisions = collector.unique("loadgate.decision.v1")
    barriers = collector.unique("loadgate.barrier.v1")
    assert sorted(r.payload["decision_id"] for r in decisions) == sorted(d.decision_id
                                                                          for d in made)
    assert {r.payload["decision_id"] for r in barriers} == allowed
    assert all(r.payload["command"] == "open" for r in barriers)
    assert all(r.committed for r in collector.messages), "an event arrived before its commit"
    for r in decisions:
        assert r.topic == f"loadgate/JMS01/{r.payload['gate']}/decision"

    # Per gate the decisions arrive (first time) in the order they were made.
    for gate in ("G1", "G2"):
        sent = [d.decision_id for d in made if d.gate == gate]
        seen = [r.payload["decision_id"] for r in decisions if r.payload["gate"] == gate]
        assert seen == sent, f"gate {gate} out of order"

    # Sent is recorded only on PUBACK, and all were acknowledged.
    status = _settled(relay, expected)
    assert status["pending"] == 0 and status["inflight"] == 0 and status["lag_s"] is not None
    assert status["published"] >= expected
    with app.extensions["gate.sessionmaker"]() as session:
        rows = session.execute(select(m.OutboxEvent.sent_at, m.OutboxEvent.attempts)).all()
    assert len(rows) == expected
    assert all(sent is not None and attempts >= 1 for sent, attempts in rows)
    checker.dispose()
    print(f"\n{DECISIONS} decisions in {decided_in:.1f} s, all {expected} events delivered "
          f"after {delivered_in:.1f} s; {collector.dedup.duplicates} redelivered duplicate(s) "
          f"dropped; relay {status}")


def _settled(relay: Relay, expected: int, timeout: float = 5.0) -> dict[str, Any]:
    """The relay's status once it has recorded every PUBACK and refreshed its backlog."""
    deadline = time.monotonic() + timeout
    while True:
        status = relay.status()
        done = status["published"] >= expected and status["inflight"] == 0
        if (done and status["pending"] == 0) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)
