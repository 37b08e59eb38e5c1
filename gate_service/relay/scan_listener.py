"""Scans over MQTT: fixed scanners publish codes on ``.../scan``, verified as if sent over HTTP."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .. import models as m
from ..auth import Caller
from ..db import writing
from ..decisions.resolve import Request
from ..decisions.service import response_of
from ..decisions.service import verify
from ..errors import GateError
from ..events import SCAN
from ..events import event_errors
from ..models.base import utcnow
from ..schemas.verification import VerificationSchema
from .alerts import queue_alert
from .mqtt import MqttOptions
from .mqtt import client_id
from .mqtt import connect
from .mqtt import make_client

logger = logging.getLogger(__name__)
SessionFactory = Callable[[], Session]
MAX_BYTES = 64 * 1024
# Error texts travel in an alert: keep them short (a schema message may quote the bad value).
MAX_ERROR_TEXT = 200
MAX_ERROR_PATHS = 20


class BadScan(Exception):
    """A scan message that cannot be decided; ``errors`` names what is wrong, by field."""

    def __init__(self, errors: dict[str, Any], idempotency_key: str | None = None) -> None:
        super().__init__(str(errors))
        self.errors = errors
        self.idempotency_key = idempotency_key


def _short(errors: Any) -> dict[str, Any]:
    if not isinstance(errors, dict):
        errors = {"$": errors if isinstance(errors, list) else [str(errors)]}

    def clip(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): clip(v) for k, v in list(value.items())[:MAX_ERROR_PATHS]}
        if isinstance(value, list):
            return [clip(v) for v in value[:MAX_ERROR_PATHS]]
        return str(value)[:MAX_ERROR_TEXT]

    clipped: dict[str, Any] = clip(errors)
    return clipped


def is_single_code(body: bytes) -> bool:
    """A fixed scanner's single code for the gate client, not a whole visit for the service."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(payload, dict) and "text" in payload and "idempotency_key" not in payload


def parse_request(site: str, gate: str, body: bytes) -> Request:
    """A scan message as a verification request, or :class:`BadScan` naming its faults."""
    if len(body) > MAX_BYTES:
        raise BadScan({"$": [f"消息过大 / message larger than {MAX_BYTES} bytes"]})
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadScan({"$": [f"不是 UTF-8 JSON / not UTF-8 JSON: {exc}"]}) from exc
    key = payload.get("idempotency_key") if isinstance(payload, dict) else None
    key = key if isinstance(key, str) else None
    errors = event_errors(payload, SCAN)
    if errors:
        raise BadScan(errors, key)
    for name, expected in (("site", site), ("gate", gate)):
        if payload.get(name, expected) != expected:
            raise BadScan({f"$.{name}": ["与主题不符 / differs from the topic"]}, key)
    fields = {k: v for k, v in payload.items() if k != "schema"}
    # Typed as Any: the schema's field named "load" hides Schema.load from type checkers.
    schema: Any = VerificationSchema()
    try:
        data = schema.load({**fields, "site": site, "gate": gate})
    except ValidationError as err:
        raise BadScan(err.messages if isinstance(err.messages, dict) else {"$": err.messages},
                      key) from err
    return Request(site_code=site, gate=gate, scans=data["scans"], load=data["load"],
                   checklist=data["checklist"], idempotency_key=data["idempotency_key"])


class ScanListener:
    """Subscribes to ``<prefix>/+/+/scan`` and decides each message as the device of that gate.

    Messages are acknowledged to the broker only once decided (or answered with an alert), and
    the session outlives a short disconnection, so a scan is not dropped by a broker restart; a
    redelivered message carries its idempotency key, so it is not decided twice.
    """

    def __init__(self, sessions: SessionFactory, options: MqttOptions, *, secret: str,
                 prefix: str, identifier: str | None = None, session_expiry: int = 60,
                 retry: tuple[float, float] = (0.5, 30.0), db_attempts: int = 4) -> None:
        self.sessions = sessions
        self.options = options
        self.secret = secret
        self.prefix = prefix
        self.identifier = identifier or client_id("scans")
        # Short on purpose: scans queued during a long outage would open barriers much later.
        self.session_expiry = session_expiry
        self.retry = retry
        self.db_attempts = db_attempts
        self.counts = {"received": 0, "decided": 0, "rejected": 0, "failed": 0, "ignored": 0}
        self._queue: queue.Queue[mqtt.MQTTMessage] = queue.Queue(maxsize=1000)
        self._client: mqtt.Client | None = None
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connected = False
        self._pid = os.getpid()

    @property
    def topic_filter(self) -> str:
        """What the listener subscribes to."""
        return f"{self.prefix}/+/+/scan"

    def start(self) -> ScanListener:
        """Connect in the background and start the worker that decides the scans."""
        client = make_client(self.options, self.identifier, manual_ack=True, retry=self.retry)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        self._pid = os.getpid()
        connect(client, self.options, clean_start=False, session_expiry=self.session_expiry)
        self._worker = threading.Thread(target=self._work, name="scan-listener", daemon=True)
        self._worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the message in hand, then disconnect; queued ones are redelivered later."""
        if os.getpid() != self._pid:
            return  # a forked copy owns neither the threads nor the socket
        self._stopping.set()
        if self._worker is not None:
            self._worker.join(timeout)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    def status(self) -> dict[str, Any]:
        """Counts of scan messages, for the relay's status."""
        return {"scans": {"connected": self._connected, **self.counts}}

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any,
                    _properties: Any) -> None:
        if reason_code.is_failure:
            logger.error("scan listener: broker %s refused the connection: %s",
                         self.options.address, reason_code)
            return
        self._connected = True
        # Subscribing again is harmless when the broker kept the session.
        client.subscribe(self.topic_filter, qos=1)
        logger.info("scan listener subscribed to %s on %s", self.topic_filter,
                    self.options.address)

    def _on_disconnect(self, *_: Any) -> None:
        self._connected = False

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        # Blocks paho's thread while the worker is behind: back-pressure, not loss. On stop the
        # message is left unacknowledged, so the broker delivers it again to the next listener.
        while not self._stopping.is_set():
            try:
                self._queue.put(message, timeout=0.5)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self.handle(message.topic, bytes(message.payload))
            except Exception:  # noqa: BLE001 - one message must never stop the listener
                logger.exception("scan listener: unexpected failure on %s", message.topic)
            if message.qos and self._client is not None:
                self._client.ack(message.mid, message.qos)

    def _site_gate(self, topic: str) -> tuple[str, str] | None:
        head = f"{self.prefix}/"
        parts = topic[len(head):].split("/") if topic.startswith(head) else []
        if len(parts) != 3 or parts[2] != "scan" or not all(0 < len(p) <= 64 for p in parts[:2]):
            return None
        return parts[0], parts[1]

    def handle(self, topic: str, body: bytes) -> str:
        """Decide one scan message: ``decided``, ``rejected`` (alert sent), ``failed`` or
        ``ignored``. Never raises for a bad message."""
        self.counts["received"] += 1
        where = self._site_gate(topic)
        if where is None:
            logger.warning("scan listener: ignored a message on unexpected topic %r", topic)
            return "ignored"
        site, gate = where
        if is_single_code(body):
            # One code from a fixed scanner ({"text": ...}) belongs to the gate client's visit;
            # the service decides only whole visits, which carry an idempotency key.
            self.counts["ignored"] += 1
            return "ignored"
        try:
            request = parse_request(site, gate, body)
        except BadScan as bad:
            return self._reject(topic, site, gate, bad.errors, bad.idempotency_key)
        try:
            outcome = self._decide(request)
        except GateError as err:  # an unknown site or gate, say
            errors = err.errors if isinstance(err.errors, dict) else {"$": [err.message]}
            return self._reject(topic, site, gate, errors, request.idempotency_key)
        except Exception as exc:  # noqa: BLE001 - logged and alerted; the listener goes on
            logger.exception("scan listener: could not decide the scan on %s", topic)
            self.counts["failed"] += 1
            self._alert(topic, site, gate, "scan_failed", {"$": [type(exc).__name__]},
                        request.idempotency_key)
            return "failed"
        if outcome is None:
            self.counts["failed"] += 1
            return "failed"
        self.counts["decided"] += 1
        return "decided"

    def _decide(self, request: Request) -> str | None:
        """Verify within a write transaction, retrying while the database is unavailable."""
        caller = Caller(name=f"mqtt:{request.site_code}/{request.gate}", role="operator",
                        site_code=request.site_code)
        delay = self.retry[0]
        for attempt in range(1, self.db_attempts + 1):
            received = utcnow()
            try:
                with self.sessions() as session, writing(session):
                    row = verify(session, caller, request, secret=self.secret, prefix=self.prefix)
                    if row.created_at < received:
                        self._repeat(session, row)
                    outcome = f"{row.outcome} {row.decision_id}"
            except OperationalError as exc:
                logger.warning("scan listener: database unavailable (%s), attempt %d of %d",
                               type(exc).__name__, attempt, self.db_attempts)
                if self._stopping.wait(delay):
                    break
                delay = min(delay * 2, self.retry[1])
                continue
            logger.info("scan on %s/%s decided: %s", request.site_code, request.gate, outcome)
            return outcome
        logger.error("scan on %s/%s (key %s) not decided: database unavailable; the gate stays "
                     "closed", request.site_code, request.gate, request.idempotency_key)
        return None

    def _repeat(self, session: Session, row: m.DecisionRow) -> None:
        """A repeated key: send the earlier decision again (never the barrier command)."""
        base = f"{self.prefix}/{row.site_code}/{row.gate}"
        session.add(m.OutboxEvent(decision_id=row.decision_id, site_code=row.site_code,
                                  gate=row.gate, topic=f"{base}/decision",
                                  payload={"schema": "loadgate.decision.v1", **response_of(row)}))

    def _reject(self, topic: str, site: str, gate: str, errors: dict[str, Any],
                key: str | None) -> str:
        logger.warning("scan listener: bad scan message on %s: %s", topic, _short(errors))
        self.counts["rejected"] += 1
        self._alert(topic, site, gate, "bad_scan_message", errors, key)
        return "rejected"

    def _alert(self, topic: str, site: str, gate: str, kind: str, errors: dict[str, Any],
               key: str | None) -> None:
        texts = {"bad_scan_message": ("扫码消息无效，未作决定；请重新扫码",
                                      "scan message rejected, no decision made; scan again"),
                 "scan_failed": ("扫码未能处理，未作决定；请重新扫码或人工查验",
                                 "scan could not be processed, no decision made")}
        message, message_en = texts[kind]
        try:
            with self.sessions() as session, writing(session):
                queue_alert(session, prefix=self.prefix, site=site, kind=kind,
                            severity="warning", message=message, message_en=message_en,
                            gate=gate, topic=topic, errors=_short(errors), idempotency_key=key)
        except Exception:  # noqa: BLE001 - the alert is best effort; the problem is logged
            logger.exception("scan listener: could not queue the %s alert", kind)
