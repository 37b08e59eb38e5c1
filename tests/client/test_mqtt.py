"""MQTT against a real Mosquitto: status and last will, and scans from fixed scanners."""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from gate_client.config import Settings
from gate_client.mqtt import parse_scans
from gate_client.station import Station
from gate_service.events import event_errors
from tests.client.conftest import LiveService
from tests.service.visits import GOOD_SCANS

PREFIX = "loadgate"
BASE = f"{PREFIX}/JMS01/G1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """A Mosquitto of our own: (open port, port that refuses anonymous clients)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    open_port, closed_port = _free_port(), _free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(textwrap.dedent(f"""\
        per_listener_settings true
        persistence false
        listener {open_port} 127.0.0.1
        allow_anonymous true
        listener {closed_port} 127.0.0.1
        allow_anonymous false
        """), encoding="utf-8")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", open_port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield open_port, closed_port
    finally:
        process.terminate()
        process.wait(10)


class Watcher:
    """A subscriber to the gate's topics, collecting (topic, payload, retained)."""

    def __init__(self, port: int) -> None:
        self.messages: queue.Queue[tuple[str, dict[str, Any], bool]] = queue.Queue()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                                  client_id="test-watcher")
        self.client.on_message = self._on_message
        subscribed = queue.Queue[bool]()
        self.client.on_subscribe = lambda *a: subscribed.put(True)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(f"{BASE}/#", qos=1)
        subscribed.get(timeout=10)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            payload = json.loads(message.payload)
        except ValueError:
            payload = {"raw": message.payload.decode(errors="replace")}
        self.messages.put((message.topic, payload, bool(message.retain)))

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def next(self, topic: str, timeout: float = 15.0) -> tuple[dict[str, Any], bool]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, payload, retained = self.messages.get(timeout=0.2)
            except queue.Empty:
                continue
            if got == topic:
                return payload, retained
        raise AssertionError(f"nothing on {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_status_scans_and_decisions(broker: tuple[int, int], service: LiveService,
                                    make_settings: Callable[..., Settings]) -> None:
    port, _ = broker
    watcher = Watcher(port)
    station = Station(make_settings(mqtt_host="127.0.0.1", mqtt_port=port))
    station.preset(checklist=("grounding", "no_leaks", "placards"))
    try:
        station.start()
        assert station.mqtt is not None and station.mqtt.connected.wait(10)
        status, _ = watcher.next(f"{BASE}/status")
        assert status["schema"] == "loadgate.status.v1" and status["status"] == "online"
        assert event_errors(status) == {}  # the service's pinned contract

        watcher.publish(f"{BASE}/scan", b"not json")  # ignored, and the link lives on
        watcher.publish(f"{BASE}/scan", json.dumps({"text": GOOD_SCANS[0],
                                                    "symbology": "QRCode"}).encode())
        watcher.publish(f"{BASE}/scan", json.dumps(
            {"scans": [{"text": t, "symbology": "QRCode"} for t in GOOD_SCANS[1:]]}).encode())
        deadline = time.monotonic() + 20
        while (station.state().get("verdict") or {}).get("outcome") != "ALLOW":
            assert time.monotonic() < deadline, station.state()
            time.sleep(0.1)
        state = station.state()
        assert [s["origin"] for s in state["visit"]["scans"]] == ["mqtt"] * len(GOOD_SCANS)
        assert state["mqtt"] == {"configured": True, "connected": True}
    finally:
        station.close()
    status, retained = watcher.next(f"{BASE}/status")
    assert status["status"] == "offline" and status["reason"] == "stopped"
    assert event_errors(status) == {}
    late = Watcher.__new__(Watcher)  # a display that connects later gets the retained status
    Watcher.__init__(late, port)
    status, retained = late.next(f"{BASE}/status")
    assert retained and status["status"] == "offline"
    late.close()
    watcher.close()


def test_the_last_will_says_offline_when_the_client_dies(broker: tuple[int, int],
                                                         tmp_path: Path) -> None:
    port, _ = broker
    watcher = Watcher(port)
    script = textwrap.dedent(f"""
        import os
        from gate_client.config import Settings
        from gate_client.mqtt import MqttLink
        settings = Settings(service_url="http://127.0.0.1:9", token="t", site="JMS01",
                            gate="G1", mqtt_host="127.0.0.1", mqtt_port={port},
                            spool={str(tmp_path / "spool.db")!r})
        link = MqttLink(settings, on_scans=print)
        link.start()
        assert link.connected.wait(10)
        print("up", flush=True)
        os._exit(0)  # no DISCONNECT: the broker publishes the will
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.stdout.strip() == "up", result.stderr
    status, _ = watcher.next(f"{BASE}/status")
    if status["status"] == "online":  # it may have died before its "online" left
        status, _ = watcher.next(f"{BASE}/status")
    assert status["status"] == "offline" and status["reason"] == "lost"
    assert event_errors(status) == {}
    watcher.close()


def test_a_refused_connection_is_logged_and_not_connected(
        broker: tuple[int, int], make_settings: Callable[..., Settings],
        caplog: pytest.LogCaptureFixture) -> None:
    _, closed = broker
    station = Station(make_settings(mqtt_host="127.0.0.1", mqtt_port=closed))
    station.start(ticker=False)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "refused the connection" not in caplog.text:
            time.sleep(0.05)
        assert "refused the connection" in caplog.text
        assert station.mqtt is not None and not station.mqtt.connected.is_set()
        assert station.state()["mqtt"] == {"configured": True, "connected": False}
    finally:
        station.close()


def test_no_broker_configured_means_no_mqtt(make_settings: Callable[..., Settings]) -> None:
    station = Station(make_settings())
    assert station.mqtt is None and station.state()["mqtt"]["configured"] is False


def test_a_complete_visit_is_left_to_the_service_listener() -> None:
    body = {"scans": [{"text": t} for t in GOOD_SCANS], "idempotency_key": "scanner-0000001"}
    assert parse_scans(json.dumps(body).encode()) == []
    assert parse_scans(b'{"schema": "loadgate.scan.v1", "scans": [{"text": "a"}]}') == [
        ("a", None)]


@pytest.mark.parametrize("payload", [b"[]", b'{"scans": []}', b'{"text": ""}',
                                     b'{"scans": [{"symbology": "QRCode"}]}', b"\xff"])
def test_malformed_scan_messages_are_refused(payload: bytes) -> None:
    with pytest.raises(ValueError):
        parse_scans(payload)
