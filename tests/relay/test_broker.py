"""The deployed broker configuration: logins required, each gate confined to its own topics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.relay.broker import MONITOR
from tests.relay.broker import SERVICE
from tests.relay.broker import Broker
from tests.relay.broker import mosquitto_binary
from tests.relay.device import Device
from tests.relay.subscriber import Collector

NOT_AUTHORIZED = 0x87
SCAN = {"schema": "loadgate.scan.v1", "scans": [{"text": "LG1:VEH:黑D12345"}],
        "idempotency_key": "acl-test-0001"}


@pytest.fixture
def device(broker: Broker) -> Callable[..., Device]:
    """``device(site, gate, protocol=v5)`` → a connected gate device with fresh credentials."""
    def make(site: str = "JMS01", gate: str = "G1", protocol: int = mqtt.MQTTv5) -> Device:
        credentials = broker.add_device(site, gate)
        broker.reload()
        d = Device(broker.port, credentials, protocol=protocol)
        assert not d.connect().is_failure
        return d

    return make


def test_add_device_prints_a_fresh_login_named_site_slash_gate(broker: Broker) -> None:
    user, password = broker.add_device("JMS01", "G1")
    again = broker.add_device("JMS01", "G1")
    assert user == "JMS01/G1" and len(password) == 32 and password.isalnum()
    assert again[1] != password  # running it again resets the password
    lines = broker.passwd.read_text().splitlines()
    assert sum(line.startswith("JMS01/G1:") for line in lines) == 1
    assert password not in broker.passwd.read_text()  # stored hashed
    assert oct(broker.passwd.stat().st_mode & 0o777) == "0o640"


def test_anonymous_and_wrong_password_clients_are_refused(broker: Broker) -> None:
    anonymous = Device(broker.port, None)
    assert anonymous.connect().value == NOT_AUTHORIZED
    wrong = Device(broker.port, (SERVICE[0], "wrong"))
    assert wrong.connect().is_failure
    v3 = Device(broker.port, None, protocol=mqtt.MQTTv311)
    assert v3.connect().is_failure


def test_a_gate_publishes_only_its_own_scans_and_status(
        device: Callable[..., Device], make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/#"])
    g1 = device("JMS01", "G1")
    assert not g1.publish("loadgate/JMS01/G1/scan", SCAN).is_failure
    assert not g1.publish("loadgate/JMS01/G1/status", {"schema": "loadgate.status.v1",
                                                       "status": "online", "site": "JMS01",
                                                       "gate": "G1"}).is_failure
    for topic in ("loadgate/JMS01/G2/scan", "loadgate/JMS02/G1/scan", "loadgate/JMS01/G1/decision",
                  "loadgate/JMS01/G1/barrier", "loadgate/JMS01/G2/barrier", "loadgate/JMS01/alerts",
                  "loadgate/JMS01/G1/scan/extra"):
        assert g1.publish(topic, {"forged": True}).value == NOT_AUTHORIZED, topic
    assert watcher.wait_for(lambda c: len(c.messages) >= 2)
    time.sleep(0.5)  # time for anything refused to (wrongly) arrive
    assert [m.topic for m in watcher.messages] == ["loadgate/JMS01/G1/scan",
                                                   "loadgate/JMS01/G1/status"]
    g1.close()


def test_v311_gate_publishing_to_another_gate_is_never_delivered(
        device: Callable[..., Device], make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/#"])
    g1 = device("JMS01", "G1", protocol=mqtt.MQTTv311)
    g1.publish("loadgate/JMS01/G2/scan", SCAN)  # v3.1.1: acknowledged, then dropped
    g1.publish("loadgate/JMS01/G2/barrier", {"command": "open"})
    g1.publish("loadgate/JMS01/G1/scan", SCAN)
    assert watcher.wait_for(lambda c: len(c.messages) >= 1)
    time.sleep(0.5)
    assert [m.topic for m in watcher.messages] == ["loadgate/JMS01/G1/scan"]
    g1.close()


def test_a_gate_reads_only_its_own_decisions_and_barrier(
        broker: Broker, device: Callable[..., Device]) -> None:
    g1 = device("JMS01", "G1")
    # mosquitto grants any subscription and checks read access on each message it delivers.
    for topic in ("loadgate/#", "loadgate/JMS01/G2/decision", "loadgate/JMS01/+/barrier"):
        assert not g1.subscribe(topic)[0].is_failure
    service = Device(broker.port, SERVICE)
    service.connect()
    for gate in ("G1", "G2"):
        for kind in ("decision", "barrier"):
            assert not service.publish(f"loadgate/JMS01/{gate}/{kind}", {"g": gate}).is_failure
    assert not service.publish("loadgate/JMS01/alerts", {"a": 1}).is_failure
    g2 = device("JMS01", "G2")
    assert not g2.publish("loadgate/JMS01/G2/scan", SCAN).is_failure
    time.sleep(0.5)
    assert sorted({t for t, _ in g1.received}) == ["loadgate/JMS01/G1/barrier",
                                                   "loadgate/JMS01/G1/decision"]
    service.close()
    g1.close()
    g2.close()


def test_the_service_publishes_events_and_reads_scans_but_forges_no_scan(
        broker: Broker, device: Callable[..., Device]) -> None:
    service = Device(broker.port, SERVICE)
    assert not service.connect().is_failure
    for topic in ("loadgate/JMS01/G1/decision", "loadgate/JMS01/G1/barrier",
                  "loadgate/JMS01/alerts"):
        assert not service.publish(topic, {"ok": True}).is_failure, topic
    assert service.publish("loadgate/JMS01/G1/scan", SCAN).value == NOT_AUTHORIZED
    assert service.publish("elsewhere/x", {}).value == NOT_AUTHORIZED
    assert not service.subscribe("loadgate/#")[0].is_failure
    g1 = device("JMS01", "G1")
    g1.publish("loadgate/JMS01/G1/status", {"status": "online"})
    g1.publish("loadgate/JMS01/G1/scan", SCAN)
    time.sleep(0.5)
    assert [t for t, _ in service.received] == ["loadgate/JMS01/G1/scan"]
    monitor = Device(broker.port, MONITOR)
    monitor.connect()
    assert monitor.publish("loadgate/JMS01/G1/barrier", {"command": "open"}).value == NOT_AUTHORIZED
    for client in (service, monitor, g1):
        client.close()


def test_broker_listens_on_loopback_only(broker: Broker) -> None:
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) == broker.port:  # 0A = LISTEN
                listening.add(address)
    assert listening == {"0100007F"}, listening  # 127.0.0.1, and no IPv6 or wildcard socket


def test_tls_listener_takes_the_service_with_its_ca(tmp_path: Path) -> None:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    broker = Broker(tmp_path / "tls", tls=True).start()
    try:
        assert broker.tls_port is not None and broker.ca_file is not None
        secure = Device(broker.tls_port, SERVICE, tls_ca=str(broker.ca_file))
        assert not secure.connect().is_failure
        assert not secure.publish("loadgate/JMS01/G1/decision", {"ok": True}).is_failure
        secure.close()
        no_password = Device(broker.tls_port, None, tls_ca=str(broker.ca_file))
        assert no_password.connect().is_failure
        plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        plain.username_pw_set(*SERVICE)
        with contextlib.suppress(OSError):  # the TLS listener does not speak plain MQTT
            plain.connect("127.0.0.1", broker.tls_port, keepalive=5)
            for _ in range(20):
                plain.loop(0.1)
        assert not plain.is_connected()
    finally:
        broker.stop()
