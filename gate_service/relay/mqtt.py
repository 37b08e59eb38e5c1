"""MQTT clients for the service: broker address, credentials and TLS from the settings."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

logger = logging.getLogger(__name__)


class _QuietShutdown(logging.Filter):
    """Drops the error paho logs when its network loop ends after a deliberate disconnect."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Client is not connected")


PAHO_LOGGER = logging.getLogger(f"{__name__}.paho")
PAHO_LOGGER.addFilter(_QuietShutdown())


@dataclass(frozen=True)
class MqttOptions:
    """Where the broker is and how to log in to it."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls_ca: str | None = None
    keepalive: int = 30

    @classmethod
    def from_settings(cls, settings: Any) -> MqttOptions:
        """The broker options of the service settings (``mqtt_*``)."""
        return cls(host=settings.mqtt_host, port=settings.mqtt_port,
                   username=settings.mqtt_username, password=settings.mqtt_password,
                   tls_ca=settings.mqtt_tls_ca)

    @property
    def address(self) -> str:
        """host:port, for logs."""
        return f"{self.host}:{self.port}{' (TLS)' if self.tls_ca else ''}"


def client_id(role: str) -> str:
    """A client id unique to this host and process (two ids alike would throw each other off)."""
    return f"loadgate-{role}-{socket.gethostname()}-{os.getpid()}"


def make_client(options: MqttOptions, identifier: str, *, manual_ack: bool = False,
                retry: tuple[float, float] = (0.5, 30.0)) -> mqtt.Client:
    """An MQTT v5 client (v5, so a refused publish comes back as a PUBACK reason code).

    :param retry: the first and the longest delay between reconnection attempts; paho doubles
        the delay after each failure.
    """
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=identifier,
                         protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if options.username:
        client.username_pw_set(options.username, options.password)
    if options.tls_ca:
        # Verifies the broker's certificate and host name against this CA.
        client.tls_set(ca_certs=options.tls_ca)
    low, high = retry
    # paho's annotation says int, but it waits fractions of a second just as well.
    client.reconnect_delay_set(min_delay=low, max_delay=high)  # type: ignore[arg-type]
    client.enable_logger(PAHO_LOGGER)
    return client


def connect(client: mqtt.Client, options: MqttOptions, *, clean_start: bool = True,
            session_expiry: int | None = None) -> None:
    """Connect in the background; paho's loop keeps reconnecting while the broker is away."""
    properties = None
    if session_expiry is not None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = session_expiry
    client.connect_async(options.host, options.port, keepalive=options.keepalive,
                         clean_start=clean_start, properties=properties)
    client.loop_start()
