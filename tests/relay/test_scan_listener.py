"""Scans over MQTT: decided like an HTTP verification, answered on the decision topic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from gate_service import models as m
from gate_service.relay import MqttOptions
from gate_service.relay import Relay
from gate_service.relay import ScanListener
from gate_service.relay import scan_listener as listener_module
from tests.relay.broker import Broker
from tests.relay.device import Device
from tests.relay.gate import add_waybills
from tests.relay.gate import good_visit
from tests.relay.subscriber import Collector


def scan_message(waybill: str, **over: Any) -> dict[str, Any]:
    """What a fixed scanner at JMS01/G1 publishes: the visit without site and gate."""
    body = {k: v for k, v in good_visit(waybill).items() if k not in ("site", "gate")}
    return {"schema": "loadgate.scan.v1", **body, **over}


@pytest.fixture
def gate_device(broker: Broker) -> Callable[..., Device]:
    """A connected scanner with its own login, subscribed to its decision and barrier topics."""
    def make(site: str = "JMS01", gate: str = "G1") -> Device:
        credentials = broker.add_device(site, gate)
        broker.reload()
        device = Device(broker.port, credentials)
        assert not device.connect().is_failure
        for kind in ("decision", "barrier"):
            device.subscribe(f"loadgate/{site}/{gate}/{kind}")
        return device

    return make


def wait_received(device: Device, count: int, timeout: float = 10.0) -> list[tuple[str, Any]]:
    """The first ``count`` messages the device received, decoded."""
    deadline = time.monotonic() + timeout
    while len(device.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(device.received) >= count, device.received
    return [(t, json.loads(p)) for t, p in device.received[:count]]


def test_a_scanner_gets_its_decision_and_barrier_command_back(
        app: Flask, demo: None, make_relay: Callable[..., Relay],
        gate_device: Callable[..., Device]) -> None:
    relay = make_relay(scans=True)
    scanner = gate_device()
    waybill = add_waybills(app, 1)[0]
    assert not scanner.publish("loadgate/JMS01/G1/scan", scan_message(waybill)).is_failure
    (t1, decision), (t2, barrier) = wait_received(scanner, 2)
    assert (t1, t2) == ("loadgate/JMS01/G1/decision", "loadgate/JMS01/G1/barrier")
    assert decision["outcome"] == "ALLOW" and decision["resolved"]["waybill"] == waybill
    assert barrier == {"schema": "loadgate.barrier.v1", "command": "open", "site": "JMS01",
                       "gate": "G1", "decision_id": decision["decision_id"]}
    with app.extensions["gate.sessionmaker"]() as session:
        row = session.scalar(select(m.DecisionRow))
    assert row is not None and row.operator == "operator:mqtt:JMS01/G1"
    assert relay.status()["scans"]["decided"] == 1
    scanner.close()


def test_a_repeated_scan_is_answered_with_the_same_decision_and_logged_once(
        app: Flask, demo: None, make_relay: Callable[..., Relay],
        gate_device: Callable[..., Device]) -> None:
    make_relay(scans=True)
    scanner = gate_device()
    message = scan_message(add_waybills(app, 1)[0])
    scanner.publish("loadgate/JMS01/G1/scan", message)
    wait_received(scanner, 2)
    scanner.publish("loadgate/JMS01/G1/scan", message)
    received = wait_received(scanner, 3)
    assert received[2][0] == "loadgate/JMS01/G1/decision"
    assert received[2][1] == received[0][1], "the same decision, sent again"
    with app.extensions["gate.sessionmaker"]() as session:
        assert session.scalar(select(func.count(m.DecisionRow.id))) == 1
    scanner.close()


BAD = [
    (b"\xff not json", "$"),
    (json.dumps({"scans": "LG1:VEH:x", "idempotency_key": "bad-0000001"}).encode(), "$.scans"),
    (json.dumps({"scans": [{"text": "LG1:VEH:x"}]}).encode(), "$"),
    (json.dumps({"scans": [{"text": "LG1:VEH:x"}], "idempotency_key": "bad-0000003",
                 "load": {"un_number": "12", "quantity_kg": 5}}).encode(), "load"),
    (json.dumps({"scans": [], "idempotency_key": "bad-0000004", "site": "JMS02"}).encode(),
     "$.site"),
    (json.dumps({"scans": [], "idempotency_key": "bad-0000005", "shoe_size": 44}).encode(), "$"),
]


def test_bad_scan_messages_get_an_alert_and_the_listener_carries_on(
        app: Flask, demo: None, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector], gate_device: Callable[..., Device]) -> None:
    alerts = make_collector(["loadgate/JMS01/alerts"])
    relay = make_relay(scans=True)
    scanner = gate_device()
    for body, _ in BAD:
        assert not scanner.publish("loadgate/JMS01/G1/scan", body).is_failure
    stranger = gate_device("JMS01", "G9")  # a login for a gate the site does not have
    stranger.publish("loadgate/JMS01/G9/scan", scan_message("YD2026112800001"))
    assert alerts.wait_for(lambda c: len(c.unique()) >= len(BAD) + 1)
    assert alerts.invalid == []
    got = [r.payload for r in alerts.unique()]
    assert all(a["kind"] == "bad_scan_message" and a["severity"] == "warning" for a in got)
    for alert, (_, path) in zip(got, BAD, strict=False):
        assert alert["gate"] == "G1" and alert["topic"] == "loadgate/JMS01/G1/scan"
        assert path in alert["errors"], (path, alert["errors"])
    assert got[3]["idempotency_key"] == "bad-0000003"
    assert got[-1]["gate"] == "G9" and "gate" in got[-1]["errors"]

    # One code of a fixed scanner is for the gate client's visit: no decision, no alert.
    scanner.publish("loadgate/JMS01/G1/scan", json.dumps({"text": "LG1:VEH:黑D12345"}).encode())
    scanner.publish("loadgate/JMS01/G1/scan", scan_message(add_waybills(app, 1)[0]))
    (_, decision), _ = wait_received(scanner, 2)
    assert decision["outcome"] == "ALLOW"
    counts = relay.status()["scans"]
    assert counts["rejected"] == len(BAD) + 1 and counts["decided"] == 1
    assert counts["ignored"] == 1
    scanner.close()
    stranger.close()


def test_the_listener_retries_while_the_database_is_unavailable(
        app: Flask, demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    real = listener_module.verify
    failures = iter([True, True])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if next(failures, False):
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return real(*args, **kwargs)

    monkeypatch.setattr(listener_module, "verify", flaky)
    settings = app.extensions["gate"]
    listener = ScanListener(app.extensions["gate.sessionmaker"], MqttOptions(),
                            secret=settings.secret_key, prefix="loadgate", retry=(0.01, 0.02))
    body = json.dumps(scan_message(add_waybills(app, 1)[0])).encode()
    assert listener.handle("loadgate/JMS01/G1/scan", body) == "decided"
    assert listener.handle("elsewhere/JMS01/G1/scan", body) == "ignored"
    monkeypatch.setattr(listener_module, "verify", lambda *a, **k: (_ for _ in ()).throw(
        OperationalError("SELECT", {}, Exception("down"))))
    assert listener.handle("loadgate/JMS01/G1/scan", body) == "failed"
