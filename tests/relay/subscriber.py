"""A real paho subscriber for tests: validates each message on arrival and de-duplicates."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gate_service.events import Deduplicator
from gate_service.events import event_errors


@dataclass
class Received:
    """One message as it arrived."""

    topic: str
    payload: dict[str, Any]
    first: bool
    committed: bool | None
    at: float


class Collector:
    """Subscribes with a persistent MQTT v5 session, so messages wait at the broker while it is
    away; checks each message against the event contract and, if given, ``check`` (run in the
    callback thread at receive time)."""

    def __init__(self, port: int, credentials: tuple[str, str], topics: list[str], *,
                 client_id: str, check: Callable[[dict[str, Any]], bool] | None = None,
                 protocol: int = mqtt.MQTTv5) -> None:
        self.port = port
        self.topics = topics
        self.check = check
        self.protocol = protocol
        self.messages: list[Received] = []
        self.invalid: list[tuple[str, Any, Any]] = []
        self.dedup = Deduplicator()
        self.subscribed = threading.Event()
        self._changed = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=protocol,
                                  clean_session=None if protocol == mqtt.MQTTv5 else False)
        self.client.username_pw_set(*credentials)
        self.client.reconnect_delay_set(0.1, 1)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def start(self, timeout: float = 10.0) -> Collector:
        """Connect and wait for the subscription to be granted."""
        if self.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 600
            self.client.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        else:
            self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self.subscribed.wait(timeout), "subscription not granted"
        return self

    def stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if not rc.is_failure:
            client.subscribe([(t, 1) for t in self.topics])

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        if all(not c.is_failure for c in codes):
            self.subscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            payload = json.loads(message.payload)
        except ValueError:
            self.invalid.append((message.topic, message.payload, "not JSON"))
            return
        errors = event_errors(payload)
        if errors:
            self.invalid.append((message.topic, payload, errors))
        try:
            first = self.dedup.first(payload)
        except ValueError:
            first = True  # status messages carry no event id
        committed = self.check(payload) if self.check is not None else None
        with self._changed:
            self.messages.append(Received(message.topic, payload, first, committed,
                                          time.time()))
            self._changed.notify_all()

    def unique(self, schema: str | None = None) -> list[Received]:
        """The first arrival of each event, in arrival order."""
        return [m for m in list(self.messages)
                if m.first and (schema is None or m.payload.get("schema") == schema)]

    def wait_for(self, done: Callable[[Collector], bool], timeout: float = 20.0) -> bool:
        """Wait until ``done(self)`` holds (re-checked on each message)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.2))
        return True
