"""MQTT for the gate: retained online/offline status and the codes of fixed scanners."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .config import Settings

logger = logging.getLogger(__name__)

STATUS_SCHEMA = "loadgate.status.v1"
MAX_SCANS = 50

ScanHandler = Callable[[list[tuple[str, str | None]]], None]


def topics(prefix: str, site: str, gate: str) -> dict[str, str]:
    """The gate's topics (design §4.5)."""
    base = f"{prefix}/{site}/{gate}"
    return {"status": f"{base}/status", "decision": f"{base}/decision", "scan": f"{base}/scan"}


def parse_scans(payload: bytes | bytearray) -> list[tuple[str, str | None]]:
    """(text, symbology) pairs from ``{"text", "symbology"}`` or ``{"scans": [...]}``;
    none from a complete visit carrying an ``idempotency_key`` (the service decides those).

    :raises ValueError: if the payload is not one of those shapes.
    """
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if "idempotency_key" in data:
        # A whole visit (loadgate.scan.v1) for the service's own scan listener, which decides
        # it: taking its codes into this gate's visit too would decide the vehicle twice.
        return []
    items = data.get("scans") if "scans" in data else [data]
    if not isinstance(items, list) or not 0 < len(items) <= MAX_SCANS:
        raise ValueError(f"'scans' must be a list of 1 to {MAX_SCANS} codes")
    out: list[tuple[str, str | None]] = []
    for item in items:
        text = item.get("text") if isinstance(item, dict) else None
        symbology = item.get("symbology") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text or len(text) > 2048:
            raise ValueError("each code needs a 'text' of 1 to 2048 characters")
        out.append((text, symbology if isinstance(symbology, str) else None))
    return out


class MqttLink:
    """The gate client's MQTT connection; optional, and never in the way of a decision.

    `start` returns at once (connect_async + loop_start); paho reconnects by itself. A refused
    CONNACK is logged and the link stays disconnected.
    """

    def __init__(self, settings: Settings, on_scans: ScanHandler) -> None:
        if not settings.mqtt_host:
            raise ValueError("no MQTT broker configured")
        self.settings = settings
        self.on_scans = on_scans
        self.topics = topics(settings.mqtt_topic_prefix, settings.site, settings.gate)
        self.client_id = f"gate-client-{settings.site}-{settings.gate}-{uuid.uuid4().hex[:8]}"
        self.connected = threading.Event()
        self._client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                   client_id=self.client_id)
        if settings.mqtt_username:
            self._client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
        if settings.mqtt_tls_ca:
            self._client.tls_set(ca_certs=settings.mqtt_tls_ca)
        # The broker publishes this for us if we vanish: displays then see the gate offline.
        self._client.will_set(self.topics["status"], self._status("offline", "lost"), qos=1,
                              retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def _status(self, status: str, reason: str) -> str:
        return json.dumps({"schema": STATUS_SCHEMA, "status": status, "reason": reason,
                           "site": self.settings.site, "gate": self.settings.gate,
                           "client_id": self.client_id,
                           "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})

    def start(self) -> None:
        """Connect in the background."""
        self._client.connect_async(self.settings.mqtt_host or "", self.settings.mqtt_port,
                                   keepalive=30)
        self._client.loop_start()

    def stop(self, timeout: float = 3.0) -> None:
        """Say offline (retained), then disconnect."""
        if self.connected.is_set():
            info = self._client.publish(self.topics["status"], self._status("offline", "stopped"),
                                        qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                logger.warning("could not publish the offline status")
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any,
                    reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.settings.mqtt_host,
                         reason_code)
            return
        client.publish(self.topics["status"], self._status("online", "connected"), qos=1,
                       retain=True)
        client.subscribe(self.topics["scan"], qos=1)
        self.connected.set()
        logger.info("MQTT connected to %s:%s", self.settings.mqtt_host, self.settings.mqtt_port)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any,
                       reason_code: Any, properties: Any) -> None:
        self.connected.clear()
        if reason_code.is_failure:
            logger.warning("MQTT connection lost: %s", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            scans = parse_scans(message.payload)
        except ValueError as exc:
            logger.warning("ignored a message on %s: %s", message.topic, exc)
            return
        if not scans:
            logger.info("left a complete visit on %s to the service's scan listener",
                        message.topic)
            return
        try:
            self.on_scans(scans)
        except Exception:  # a bad message must not kill paho's network thread
            logger.exception("handling scans from %s failed", message.topic)
