"""Build and start the relay with the scan listener for an app, inside the service or alone."""

from __future__ import annotations

import atexit

from flask import Flask

from .mqtt import MqttOptions
from .relay import Relay
from .relay import RelayConfig
from .scan_listener import ScanListener


def build_relay(app: Flask, *, scans: bool = True, config: RelayConfig | None = None) -> Relay:
    """A relay on the app's database and broker settings (not started).

    :param scans: also run a :class:`ScanListener` that decides scans sent over MQTT.
    """
    settings = app.extensions["gate"]
    sessions = app.extensions["gate.sessionmaker"]
    options = MqttOptions.from_settings(settings)
    relay = Relay(sessions, options, config)
    if scans:
        relay.companions.append(ScanListener(sessions, options, secret=settings.secret_key,
                                             prefix=settings.mqtt_topic_prefix))
    return relay


def start_relay(app: Flask, *, scans: bool = True, config: RelayConfig | None = None,
                stop_at_exit: bool = True) -> Relay:
    """Start the relay in daemon threads of this process; ``relay.stop()`` ends it.

    Run one relay per database: start it in one process only (not in every gunicorn worker),
    or run ``gate-service relay`` beside a service that has ``relay_enabled`` off.
    The relay is kept in ``app.extensions["gate.relay"]``.
    """
    relay = build_relay(app, scans=scans, config=config).start()
    app.extensions["gate.relay"] = relay
    if stop_at_exit:
        # Record the last PUBACKs rather than publishing those rows again after a restart.
        atexit.register(relay.stop, 5.0)
    return relay
