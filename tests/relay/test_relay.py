"""The outbox relay: sent only on PUBACK, held back on refusal, committed rows only, its lag."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gate_service import create_app
from gate_service import models as m
from gate_service.db import writing
from gate_service.relay import Relay
from gate_service.relay import outbox as outbox_module
from gate_service.relay import outbox_status
from gate_service.relay import start_relay
from tests.relay.broker import SERVICE
from tests.relay.broker import Broker
from tests.relay.conftest import FAST
from tests.relay.gate import add_waybills
from tests.relay.gate import decide
from tests.relay.gate import good_visit
from tests.relay.subscriber import Collector

RUN_RELAY = ("from gate_service.cli import main; from gate_service.cli.relay import relay_command; "
             "main.add_command(relay_command); main(['relay', '--poll', '0.05'])")


def barrier_row(gate: str) -> m.OutboxEvent:
    """An outbox row as the service writes it, for a gate of JMS01."""
    decision_id = str(uuid.uuid4())
    return m.OutboxEvent(decision_id=decision_id, site_code="JMS01", gate=gate,
                         topic=f"loadgate/JMS01/{gate}/barrier",
                         payload={"schema": "loadgate.barrier.v1", "command": "open",
                                  "decision_id": decision_id, "site": "JMS01", "gate": gate})


def add_rows(app: Flask, gates: list[str]) -> list[str]:
    """Commit one barrier row per gate given, in order; returns their decision ids."""
    rows = [barrier_row(g) for g in gates]
    with app.extensions["gate.sessionmaker"]() as session, writing(session):
        session.add_all(rows)
    return [r.decision_id for r in rows]


def pending(app: Flask) -> list[tuple[str, int]]:
    """(decision_id, attempts) of every unsent row."""
    with app.extensions["gate.sessionmaker"]() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(m.OutboxEvent.decision_id, m.OutboxEvent.attempts)
            .where(m.OutboxEvent.sent_at.is_(None)).order_by(m.OutboxEvent.id))]


def wait_all_sent(app: Flask, timeout: float = 5.0) -> bool:
    """Whether every row is marked sent in time (a PUBACK is recorded after its delivery)."""
    deadline = time.monotonic() + timeout
    while pending(app):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_refused_publish_stays_pending_and_holds_back_its_gate_until_allowed(
        app: Flask, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    acl = broker.root / "acl"
    granted = acl.read_text()
    acl.write_text(granted.replace("user loadgate-service\n",
                                   "user loadgate-service\ntopic deny loadgate/JMS01/G2/#\n"))
    broker.reload()
    watcher = make_collector(["loadgate/JMS01/+/barrier"])
    ids = add_rows(app, ["G2", "G1", "G2", "G1"])
    relay = make_relay()
    assert watcher.wait_for(lambda c: len(c.unique()) >= 2)
    time.sleep(1.0)  # several rounds of refusals and retries
    # The other gate is not held up by the refused one.
    assert [r.payload["decision_id"] for r in watcher.unique()] == [ids[1], ids[3]]
    still = pending(app)
    assert [d for d, _ in still] == [ids[0], ids[2]]
    (_, first), (_, second) = still
    assert first >= 3, "each refusal counts an attempt"
    # After a refusal the gate sends one row at a time, its earliest: were the later one in
    # flight beside it when the broker relents, it could arrive first.
    assert second == 1
    assert relay.status()["refused"] >= 4

    acl.write_text(granted)
    broker.reload()
    assert watcher.wait_for(lambda c: len(c.unique()) >= 4, timeout=10)
    assert [r.payload["decision_id"] for r in watcher.unique()][2:] == [ids[0], ids[2]]
    assert wait_all_sent(app)


def test_an_uncommitted_event_is_never_published(
        app: Flask, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/JMS01/+/barrier"])
    make_relay()
    doomed = barrier_row("G1")
    with app.extensions["gate.sessionmaker"]() as session:
        with writing(session):
            session.add(doomed)
            session.flush()
            time.sleep(1.0)  # the relay polls every 50 ms meanwhile
            assert watcher.messages == []
            session.rollback()
    kept = add_rows(app, ["G1"])
    assert watcher.wait_for(lambda c: len(c.messages) >= 1)
    time.sleep(0.3)
    assert [r.payload["decision_id"] for r in watcher.messages] == kept


def test_broker_away_the_relay_reports_its_lag_and_catches_up_when_it_returns(
        app: Flask, demo: None, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/JMS01/#"])
    broker.stop()
    relay = make_relay()
    made = [decide(app, good_visit(n)) for n in add_waybills(app, 5)]
    time.sleep(1.0)
    away = relay.status()
    assert away["connected"] is False and away["published"] == 0
    assert away["pending"] == 10 and away["oldest_pending_age_s"] >= 0.8
    assert away["last_error"]
    with app.extensions["gate.sessionmaker"]() as session:
        db_view = outbox_status(session)
    assert db_view["pending"] == 10 and db_view["oldest_pending_age_s"] >= 0.8
    assert db_view["sent_last_window"] == 0

    broker.start()
    assert watcher.wait_for(lambda c: len(c.unique()) >= 10, timeout=15)
    assert {r.payload["decision_id"] for r in watcher.unique()} == {d.decision_id for d in made}
    time.sleep(0.5)
    back = relay.status()
    assert back["connected"] and back["published"] == 10 and back["pending"] == 0
    assert back["rate_per_s"] > 0 and back["lag_s"]["p50"] >= 0.8
    with app.extensions["gate.sessionmaker"]() as session:
        db_view = outbox_status(session)
    assert db_view["pending"] == 0 and db_view["sent_last_window"] == 10


def test_acks_that_could_not_be_recorded_are_published_again_and_deduplicated(
        app: Flask, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector], monkeypatch: pytest.MonkeyPatch) -> None:
    watcher = make_collector(["loadgate/JMS01/+/barrier"])
    real = outbox_module.mark_sent

    def database_gone(*_: Any) -> None:
        raise OperationalError("UPDATE outbox", {}, Exception("database gone"))

    monkeypatch.setattr(outbox_module, "mark_sent", database_gone)
    ids = add_rows(app, ["G1", "G2", "G1"])
    first = make_relay()
    assert watcher.wait_for(lambda c: len(c.messages) >= 3)
    time.sleep(0.5)
    assert len(watcher.messages) == 3, "acknowledged rows are not published twice by one relay"
    first.stop()
    assert len(pending(app)) == 3

    monkeypatch.setattr(outbox_module, "mark_sent", real)
    make_relay()
    assert watcher.wait_for(lambda c: len(c.messages) >= 6)
    assert [r.payload["decision_id"] for r in watcher.unique()] == ids
    assert watcher.dedup.duplicates == 3
    assert wait_all_sent(app)


def test_status_is_logged_periodically(app: Flask, broker: Broker,
                                       make_relay: Callable[..., Relay],
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gate_service.relay")
    add_rows(app, ["G1"])
    make_relay(config=type(FAST)(**{**FAST.__dict__, "log_every": 0.2}))
    time.sleep(1.0)
    lines = [r.getMessage() for r in caplog.records if "pending (oldest" in r.getMessage()]
    assert lines and "1 published" in lines[-1] and "connected" in lines[-1]


def test_start_relay_uses_the_broker_settings_and_decides_mqtt_scans_too(
        app: Flask, demo: None, database_url: str, broker: Broker,
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/JMS01/#"])
    service = create_app({"DATABASE_URL": database_url, "MQTT_PORT": broker.port,
                          "MQTT_USERNAME": SERVICE[0], "MQTT_PASSWORD": SERVICE[1]})
    relay = start_relay(service, config=FAST, stop_at_exit=False)
    try:
        assert service.extensions["gate.relay"] is relay
        made = decide(app, good_visit(add_waybills(app, 1)[0]))
        assert watcher.wait_for(lambda c: len(c.unique()) >= 2)
        assert {r.payload["decision_id"] for r in watcher.unique()} == {made.decision_id}
        deadline = time.monotonic() + 5
        while not relay.status()["scans"]["connected"] and time.monotonic() < deadline:
            time.sleep(0.05)
        status = relay.status()
        assert status["running"] and status["connected"] and status["scans"]["connected"]
    finally:
        relay.stop()
        service.extensions["gate.engine"].dispose()
    assert not relay.running


def test_relay_command_publishes_until_sigterm(app: Flask, demo: None, database_url: str,
                                              broker: Broker,
                                              make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/JMS01/#"])
    env = {**os.environ, "GATE_DATABASE_URL": database_url, "GATE_MQTT_PORT": str(broker.port),
           "GATE_MQTT_USERNAME": SERVICE[0], "GATE_MQTT_PASSWORD": SERVICE[1]}
    proc = subprocess.Popen([sys.executable, "-c", RUN_RELAY], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        made = decide(app, good_visit(add_waybills(app, 1)[0]))
        assert watcher.wait_for(lambda c: len(c.unique()) >= 2, timeout=30)
        assert {r.payload["decision_id"] for r in watcher.unique()} == {made.decision_id}
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert "outbox relay started" in output and "outbox relay stopped: 2 published" in output
    assert pending(app) == []


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_copy_of_the_process_cannot_stop_the_relay(
        app: Flask, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    # gunicorn forks workers from the process that started the relay; when a worker exits,
    # the atexit hook of start_relay runs there too and must leave the parent's relay alone.
    watcher = make_collector(["loadgate/JMS01/+/barrier"])
    relay = make_relay(scans=True)
    deadline = time.monotonic() + 5
    while not (relay.status()["connected"] and relay.status()["scans"]["connected"]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child = os.fork()
    if child == 0:
        relay.stop()
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    ids = add_rows(app, ["G1"])
    assert watcher.wait_for(lambda c: len(c.messages) >= 1)
    assert [r.payload["decision_id"] for r in watcher.messages] == ids
    assert relay.running and relay.status()["connected"]
    log = broker.log.read_text(errors="replace")
    listener = relay.companions[0].identifier  # type: ignore[attr-defined]
    assert f"Client {relay.identifier} disconnected" not in log
    assert f"Client {listener} disconnected" not in log
