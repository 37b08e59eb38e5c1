"""Fixtures for the MQTT tests: a private broker, relays and subscribers that clean up after."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gate_service.relay import MqttOptions
from gate_service.relay import Relay
from gate_service.relay import RelayConfig
from gate_service.relay import ScanListener
from tests.relay.broker import MONITOR
from tests.relay.broker import SERVICE
from tests.relay.broker import Broker
from tests.relay.broker import mosquitto_binary
from tests.relay.subscriber import Collector

# Quick polls and short backoff, so that a broker restart costs the tests a second, not thirty.
FAST = RelayConfig(poll_interval=0.05, backlog_every=0.2, retry_min=0.1, retry_max=1.0,
                   drain_timeout=3.0)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running private broker with the deployed configuration."""
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()


def service_options(broker: Broker) -> MqttOptions:
    """How the service logs in to the test broker."""
    return MqttOptions(port=broker.port, username=SERVICE[0], password=SERVICE[1])


@pytest.fixture
def make_relay(app: Flask, broker: Broker) -> Iterator[Callable[..., Relay]]:
    """``make_relay(config=FAST, scans=False, options=None)`` → a started relay on the app's
    database, stopped after the test."""
    started: list[Relay] = []

    def make(config: RelayConfig = FAST, scans: bool = False,
             options: MqttOptions | None = None, **kwargs: Any) -> Relay:
        options = options or service_options(broker)
        sessions = app.extensions["gate.sessionmaker"]
        relay = Relay(sessions, options, config, **kwargs)
        if scans:
            settings = app.extensions["gate"]
            relay.companions.append(ScanListener(
                sessions, options, secret=settings.secret_key,
                prefix=settings.mqtt_topic_prefix, retry=(0.1, 1.0)))
        started.append(relay.start())
        return relay

    yield make
    for relay in started:
        relay.stop()


@pytest.fixture
def make_collector(broker: Broker) -> Iterator[Callable[..., Collector]]:
    """``make_collector(topics, credentials=MONITOR, check=None)`` → a started subscriber."""
    started: list[Collector] = []

    def make(topics: list[str] | None = None, credentials: tuple[str, str] = MONITOR,
             **kwargs: Any) -> Collector:
        kwargs.setdefault("client_id", f"test-{uuid.uuid4().hex[:8]}")
        collector = Collector(broker.port, credentials, topics or ["loadgate/#"], **kwargs)
        started.append(collector.start())
        return collector

    yield make
    for collector in started:
        collector.stop()
