"""Decisions over MQTT: the outbox relay, scans from fixed scanners, alerts, broker clients."""

from __future__ import annotations

from .alerts import queue_alert
from .mqtt import MqttOptions
from .mqtt import make_client
from .outbox import outbox_status
from .relay import Ack
from .relay import Relay
from .relay import RelayConfig
from .scan_listener import ScanListener
from .startup import build_relay
from .startup import start_relay

__all__ = ["Ack", "MqttOptions", "Relay", "RelayConfig", "ScanListener", "build_relay",
           "make_client", "outbox_status", "queue_alert", "start_relay"]
