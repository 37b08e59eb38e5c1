"""The outbox relay: publishes committed outbox rows with QoS 1 and marks them sent on PUBACK."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import writing
from ..models.base import utcnow
from . import outbox
from .mqtt import MqttOptions
from .mqtt import client_id
from .mqtt import connect
from .mqtt import make_client
from .outbox import GateKey
from .outbox import Pending

logger = logging.getLogger(__name__)
SessionFactory = Callable[[], Session]
# A publish that paho accepted: sent now, or queued until the connection is back.
ACCEPTED = (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN)


@dataclass(frozen=True)
class RelayConfig:
    """How the relay polls, batches, backs off and reports."""

    poll_interval: float = 0.1
    # While events keep coming, look again sooner: decisions come in bursts at a busy site.
    active_poll: float = 0.01
    active_window: float = 2.0
    batch_size: int = 500
    # Rows handed to the MQTT client and not yet acknowledged; bounds memory during an outage.
    max_claimed: int = 2000
    # Unacknowledged publishes on the wire; keep it within the broker's receive maximum.
    client_inflight: int = 20
    backlog_every: float = 2.0
    log_every: float = 60.0
    retry_min: float = 0.5
    retry_max: float = 30.0
    drain_timeout: float = 5.0
    rate_window: float = 60.0


@dataclass(frozen=True)
class Ack:
    """An outbox row the broker acknowledged, and when (epoch seconds)."""

    id: int
    topic: str
    gate: GateKey
    created_at: dt.datetime
    acked_at: float

    @property
    def lag(self) -> float:
        """Seconds from writing the row to its PUBACK."""
        return self.acked_at - self.created_at.timestamp()


class Companion(Protocol):
    """Something that runs beside the relay and stops with it (the scan listener)."""

    def start(self) -> Any: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def status(self) -> dict[str, Any]: ...


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Relay:
    """Publishes the outbox in id order; a row is marked sent only when its PUBACK arrives.

    The publishing thread reads committed rows in its own short read transactions and hands them
    to a paho client (whose network thread resends unacknowledged messages after a reconnect).
    A second thread records the acknowledgements in batches, so that waiting for the database's
    write lock never holds up publishing. A row the broker refuses stays pending and its gate is
    held back with a growing delay before it is tried again. Until a row of that gate is
    acknowledged again, the gate sends one row at a time: with several in flight, a later row
    could be accepted while the one before it is refused, and the gate would see them out of order.
    """

    def __init__(self, sessions: SessionFactory, options: MqttOptions,
                 config: RelayConfig | None = None, *, identifier: str | None = None,
                 on_acked: Callable[[list[Ack]], None] | None = None) -> None:
        self.sessions = sessions
        self.options = options
        self.config = config or RelayConfig()
        self.identifier = identifier or client_id("relay")
        self.on_acked = on_acked
        self.companions: list[Companion] = []
        self._client: mqtt.Client | None = None
        self._thread: threading.Thread | None = None
        self._recorder: threading.Thread | None = None
        self._stopping = threading.Event()
        self._finish = threading.Event()
        self._wake = threading.Event()
        self._record_wake = threading.Event()
        self._acks: deque[tuple[int, bool, str, float]] = deque()  # filled by paho's thread
        self._inflight: dict[int, Pending] = {}  # paho message id → row; publisher thread only
        # Shared by the two threads, under _lock: rows handed to the client and not yet
        # recorded, acknowledgements waiting to be recorded, gates held back after a refusal.
        self._lock = threading.Lock()
        self._claimed: dict[int, GateKey] = {}
        self._unrecorded: list[Ack] = []
        self._refused: list[Pending] = []
        self._held: dict[GateKey, float] = {}
        self._strikes: dict[GateKey, int] = {}
        self._connected = False
        self._published = 0
        self._refusals = 0
        self._recent: deque[tuple[float, int]] = deque()
        self._lags: deque[float] = deque(maxlen=5000)
        self._backlog = outbox.Backlog(0, None)
        self._backlog_at: dt.datetime | None = None
        self._started = time.monotonic()
        self._next_backlog = 0.0
        self._next_log = 0.0
        self._last_work = 0.0
        self._last_error: str | None = None
        self._last_logged = ("", 0.0)
        self._pid = os.getpid()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Relay:
        """Connect (in the background) and start the relay threads and its companions."""
        client = make_client(self.options, self.identifier,
                             retry=(self.config.retry_min, self.config.retry_max))
        client.max_inflight_messages_set(self.config.client_inflight)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client
        # A clean session: the outbox, not the broker, is what keeps events while we are away.
        connect(client, self.options)
        self._started = time.monotonic()
        self._pid = os.getpid()
        self._recorder = threading.Thread(target=self._record_loop, name="outbox-relay-acks",
                                          daemon=True)
        self._recorder.start()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()
        for companion in self.companions:
            companion.start()
        logger.info("outbox relay started (broker %s, client %s)", self.options.address,
                    self.identifier)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop publishing, wait briefly for outstanding PUBACKs, record them and disconnect.

        Rows still unacknowledged stay pending and are published again by the next relay.
        """
        if os.getpid() != self._pid:
            return  # a forked copy (a gunicorn worker) owns neither the threads nor the socket
        for companion in self.companions:
            companion.stop(timeout)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the relay thread is alive (False in a forked child of the process)."""
        return self._thread is not None and self._thread.is_alive()

    # -- paho callbacks (network thread): record and wake, nothing else -------------------

    def _on_connect(self, _client: mqtt.Client, _userdata: Any, _flags: Any,
                    reason_code: Any, _properties: Any) -> None:
        if reason_code.is_failure:
            self._connected = False
            self._note(f"broker {self.options.address} refused the connection: {reason_code}",
                       logging.ERROR)
            return
        self._connected = True
        self._last_error = None
        logger.info("outbox relay connected to %s", self.options.address)
        self._wake.set()

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._note(f"broker {self.options.address} unreachable; retrying")

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any,
                       reason_code: Any, _properties: Any) -> None:
        self._connected = False
        if not self._stopping.is_set():
            self._note(f"lost the broker {self.options.address} ({reason_code}); retrying")

    def _on_publish(self, _client: mqtt.Client, _userdata: Any, mid: int, reason_code: Any,
                    _properties: Any) -> None:
        # Runs with paho's message lock held, so it must not call back into the client.
        self._acks.append((mid, not reason_code.is_failure, str(reason_code), time.time()))
        self._wake.set()

    # -- the publishing thread ------------------------------------------------------------

    def _run(self) -> None:
        delay = self.config.retry_min
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                busy = self._step()
                delay = self.config.retry_min
                if self._connected:
                    self._last_error = None  # the problem, if any, is over
            except SQLAlchemyError as exc:
                self._note(f"database unavailable ({type(exc).__name__}); retrying in {delay:g} s")
                self._stopping.wait(delay)
                delay = min(delay * 2, self.config.retry_max)
                continue
            except Exception:  # noqa: BLE001 - the relay thread must outlive any one failure
                logger.exception("outbox relay step failed; retrying in %g s", delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, self.config.retry_max)
                continue
            if not busy:
                active = time.monotonic() - self._last_work < self.config.active_window
                self._wake.wait(self.config.active_poll if active else self.config.poll_interval)
        self._drain()

    def _step(self) -> bool:
        """Pass on PUBACKs, refresh the backlog, publish a batch; True if more is waiting."""
        self._collect()
        now = time.monotonic()
        if now >= self._next_backlog:
            self._refresh_backlog()
            self._next_backlog = now + self.config.backlog_every
        if now >= self._next_log:
            if self._next_log:
                self._log_status()
            self._next_log = now + self.config.log_every
        if not self._connected:
            return False
        return self._publish() >= self.config.batch_size

    def _collect(self) -> None:
        """Match PUBACKs to their rows and pass them to the recorder."""
        acked: list[Ack] = []
        refused: list[Pending] = []
        while self._acks:
            mid, ok, reason, at = self._acks.popleft()
            row = self._inflight.pop(mid, None)
            if row is None:
                continue
            if ok:
                acked.append(Ack(row.id, row.topic, row.gate, row.created_at, at))
            else:
                logger.warning("broker refused %s (outbox row %d): %s", row.topic, row.id, reason)
                refused.append(row)
        if acked or refused:
            with self._lock:
                self._unrecorded.extend(acked)
                self._refused.extend(refused)
                for row in refused:  # at once, so the next publish already holds the gate
                    self._hold(row.gate)
            self._record_wake.set()

    def _hold(self, gate: GateKey) -> None:
        """Hold a gate back after a refusal, twice as long each time (call under _lock)."""
        strikes = self._strikes.get(gate, 0) + 1
        self._strikes[gate] = strikes
        delay = min(self.config.retry_min * 2 ** (strikes - 1), self.config.retry_max)
        self._held[gate] = time.monotonic() + delay

    def _publish(self) -> int:
        """Hand the next committed rows to the client, in id order; returns how many."""
        now = time.monotonic()
        with self._lock:
            room = self.config.max_claimed - len(self._claimed)
            self._held = {g: until for g, until in self._held.items() if until > now}
            claimed = set(self._claimed)
            careful = set(self._strikes)  # refused lately: one row in flight at a time
            held = set(self._held)
            if careful:
                # A careful gate with a row still claimed waits for it, or the order could break.
                held |= careful & set(self._claimed.values())
        if room <= 0 or self._client is None:
            return 0
        with self.sessions() as session:
            rows = outbox.fetch_pending(session, min(self.config.batch_size, room), claimed, held)
        if rows:
            self._last_work = now
        blocked: set[GateKey] = set()
        handed: dict[int, GateKey] = {}
        for row in rows:
            if row.gate in blocked:
                continue  # an earlier row of this gate did not go out, or is the one allowed
            try:
                info = self._client.publish(row.topic, row.body, qos=1)
            except ValueError as exc:  # a topic or payload MQTT cannot carry
                logger.error("cannot publish outbox row %d on %r: %s", row.id, row.topic, exc)
                with self._lock:
                    self._hold(row.gate)
                blocked.add(row.gate)
                continue
            if info.rc not in ACCEPTED:
                self._note(f"MQTT client did not take outbox row {row.id}: {info.rc}")
                blocked.add(row.gate)
                continue
            handed[row.id] = row.gate
            self._inflight[info.mid] = row
            if row.gate in careful:
                blocked.add(row.gate)
        with self._lock:
            self._claimed.update(handed)
        return len(rows)

    def _refresh_backlog(self) -> None:
        with self.sessions() as session:
            self._backlog = outbox.backlog(session)
        self._backlog_at = utcnow()

    def _drain(self) -> None:
        """On stop: give outstanding PUBACKs a moment, record them, then disconnect."""
        deadline = time.monotonic() + self.config.drain_timeout
        while self._inflight and self._connected and time.monotonic() < deadline:
            self._wake.wait(0.05)
            self._wake.clear()
            self._collect()
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        self._collect()
        self._finish.set()
        self._record_wake.set()
        if self._recorder is not None:
            self._recorder.join(self.config.drain_timeout)
        logger.info("outbox relay stopped: %d published, %d left unacknowledged",
                    self._published, len(self._claimed))

    # -- the recording thread -------------------------------------------------------------

    def _record_loop(self) -> None:
        delay = self.config.retry_min
        while True:
            final = self._finish.is_set()
            self._record_wake.clear()
            try:
                self._record()
                delay = self.config.retry_min
            except SQLAlchemyError as exc:
                self._note(f"could not record PUBACKs ({type(exc).__name__}); retrying")
                if final:
                    return
                self._finish.wait(delay)
                delay = min(delay * 2, self.config.retry_max)
                continue
            except Exception:  # noqa: BLE001 - the recorder must outlive any one failure
                logger.exception("outbox relay could not record PUBACKs")
                if final:
                    return
                self._finish.wait(delay)
                continue
            if final:
                return
            self._record_wake.wait(1.0)

    def _record(self) -> None:
        """Write acknowledged rows as sent and refused ones as attempted, in one transaction."""
        with self._lock:
            acked, refused = self._unrecorded, self._refused
            self._unrecorded, self._refused = [], []
        if not acked and not refused:
            return
        try:
            with self.sessions() as session, writing(session):
                outbox.mark_sent(session, [a.id for a in acked], utcnow())
                outbox.count_attempt(session, [r.id for r in refused])
        except BaseException:
            with self._lock:  # keep them for the next try; the rows stay claimed meanwhile
                self._unrecorded[:0] = acked
                self._refused[:0] = refused
            raise
        with self._lock:
            for ack in acked:
                self._claimed.pop(ack.id, None)
                self._strikes.pop(ack.gate, None)
            for row in refused:
                self._claimed.pop(row.id, None)
            self._published += len(acked)
            self._refusals += len(refused)
            self._recent.append((time.monotonic(), len(acked)))
            self._lags.extend(a.lag for a in acked)
        self._wake.set()  # room for more rows
        if acked and self.on_acked is not None:
            self.on_acked(acked)

    # -- reporting ------------------------------------------------------------------------

    def _note(self, message: str, level: int = logging.WARNING) -> None:
        """Remember the last problem; log it when it changes, and at most once a minute if not."""
        self._last_error = message
        last, at = self._last_logged
        now = time.monotonic()
        if message != last or now - at > 60:
            logger.log(level, "outbox relay: %s", message)
            self._last_logged = (message, now)

    def status(self) -> dict[str, Any]:
        """The relay's state and lag: backlog, in flight, published, rate, commit→PUBACK lag."""
        now = utcnow()
        mono = time.monotonic()
        with self._lock:
            claimed = len(self._claimed)
            while self._recent and self._recent[0][0] < mono - self.config.rate_window:
                self._recent.popleft()
            recent = sum(n for _, n in self._recent)
            lags = sorted(self._lags)
            published, refusals = self._published, self._refusals
        elapsed = min(self.config.rate_window, mono - self._started)
        age = self._backlog.age(now)
        out: dict[str, Any] = {
            "running": self.running, "connected": self._connected,
            "broker": self.options.address, "client_id": self.identifier,
            "pending": self._backlog.pending,
            "oldest_pending_age_s": None if age is None else round(age, 3),
            "backlog_checked_at": self._backlog_at.isoformat() if self._backlog_at else None,
            "inflight": claimed, "published": published, "refused": refusals,
            "rate_per_s": round(recent / elapsed, 2) if elapsed > 0 else 0.0,
            "lag_s": ({"p50": round(_percentile(lags, 0.5), 4),
                       "p99": round(_percentile(lags, 0.99), 4), "max": round(lags[-1], 4),
                       "samples": len(lags)} if lags else None),
            "last_error": self._last_error,
        }
        for companion in self.companions:
            out.update(companion.status())
        return out

    def _log_status(self) -> None:
        s = self.status()
        age = s["oldest_pending_age_s"]
        lag = s["lag_s"] or {"p50": 0.0, "p99": 0.0}
        logger.info("outbox relay: %d pending (oldest %s), %d in flight, %d published, %.1f/s, "
                    "lag p50 %.3f s p99 %.3f s, broker %s %s", s["pending"],
                    "-" if age is None else f"{age:.1f} s", s["inflight"], s["published"],
                    s["rate_per_s"], lag["p50"], lag["p99"], s["broker"],
                    "connected" if s["connected"] else "DISCONNECTED")
