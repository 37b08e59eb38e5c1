"""A gate device for broker tests: connects, publishes, subscribes and reports reason codes."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Device:
    """A paho client that records CONNACK, PUBACK and SUBACK reason codes and what it receives."""

    def __init__(self, port: int, credentials: tuple[str, str] | None, *,
                 protocol: int = mqtt.MQTTv5, tls_ca: str | None = None) -> None:
        self.port = port
        self.protocol = protocol
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"device-{uuid.uuid4().hex[:8]}", protocol=protocol)
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        if tls_ca is not None:
            self.client.tls_set(ca_certs=tls_ca)
        self.connack: Any = None
        self.connected = threading.Event()
        self.pubacks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self.received: list[tuple[str, bytes]] = []
        self._event = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda _c, _u, m: self.received.append((m.topic, m.payload))

    def connect(self, timeout: float = 5.0) -> Any:
        """Connect and return the CONNACK reason code (the client stops if it was refused)."""
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self.connected.wait(timeout), "no CONNACK"
        if self.connack.is_failure:
            self.close()
        return self.connack

    def publish(self, topic: str, payload: Any, qos: int = 1, timeout: float = 5.0) -> Any:
        """Publish and wait for the PUBACK; its reason code (MQTT v5) or None (v3.1.1)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, data, qos=qos)
        with self._event:
            assert self._event.wait_for(lambda: info.mid in self.pubacks, timeout), "no PUBACK"
        return self.pubacks[info.mid]

    def subscribe(self, topic: str, timeout: float = 5.0) -> list[Any]:
        """Subscribe with QoS 1 and return the SUBACK reason codes."""
        _, mid = self.client.subscribe(topic, qos=1)
        with self._event:
            assert self._event.wait_for(lambda: mid in self.subacks, timeout), "no SUBACK"
        return self.subacks[mid]

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connack = rc
        self.connected.set()

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        with self._event:
            self.pubacks[mid] = rc if self.protocol == mqtt.MQTTv5 else None
            self._event.notify_all()

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, mid: int, codes: Any, _p: Any) -> None:
        with self._event:
            self.subacks[mid] = list(codes)
            self._event.notify_all()
