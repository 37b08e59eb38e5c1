"""Throughput and commit→PUBACK lag of the outbox relay, next to a bare paho publisher, in one run.

Usage:
    python bench/relay.py [--events 5000] [--rate 500] [--per-commit 2] [--poll 0.1]
                          [--inflight 20] [--backends sqlite,postgresql] [--pg-admin-url URL]

A private Mosquitto is started from deploy/mosquitto (passwords and ACLs on, a free loopback
port, as in tests/relay), and for each backend a fresh migrated database is created.

Baseline, no database: one paho client (MQTT v5, QoS 1, the same login and in-flight window)
publishes the same N payloads, once as fast as it can (throughput) and once paced at ``--rate``
events/s (lag = publish() call → PUBACK).

Relay, per backend:
- stream: a writer commits outbox rows (``--per-commit`` per transaction, as a decision writes its
  decision and barrier events) paced at ``--rate`` while the relay runs; lag = commit → PUBACK
  (the PUBACK callback time of each row), which includes the relay's poll interval;
- drain: N rows committed while no relay runs, then a relay started; its drain rate is the relay's
  capacity with a backlog (after an outage), set against the bare client's burst throughput.

Every relay run ends with every row marked sent, checked in the database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gate_service import create_app  # noqa: E402
from gate_service import models as m  # noqa: E402
from gate_service.db import writing  # noqa: E402
from gate_service.migrate import upgrade  # noqa: E402
from gate_service.relay import Ack  # noqa: E402
from gate_service.relay import MqttOptions  # noqa: E402
from gate_service.relay import Relay  # noqa: E402
from gate_service.relay import RelayConfig  # noqa: E402
from gate_service.relay.outbox import encode  # noqa: E402
from tests.relay.broker import SERVICE  # noqa: E402
from tests.relay.broker import Broker  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOPIC = "loadgate/JMS01/{gate}/decision"


def decision_payload(i: int) -> dict[str, Any]:
    """A realistic decision event (an ALLOW with everything resolved, about 0.9 kB)."""
    return {
        "schema": "loadgate.decision.v1", "decision_id": str(uuid.uuid4()), "outcome": "ALLOW",
        "kind": "verification", "site": "JMS01", "gate": f"G{i % 2 + 1}",
        "created_at": "2026-11-28T19:49:00.015796+00:00", "local_date": "2026-11-29",
        "reasons": [], "warnings": [], "missing": [], "unrecognised": [],
        "resolved": {"carrier": "91230800MA1B00002J", "driver": "230802********0012",
                     "escort": "230802********0026", "tank": "TK-0001", "trailer": "黑D6789挂",
                     "vehicle": "黑D12345", "waybill": f"YD{i:013d}"},
        "overrides": None,
        "ruleset": {"id": "cn-2019", "version": "sha256:" + "1" * 64},
        "log": {"seq": i + 1, "hash": f"{i:064x}"},
    }


def summary(name: str, events: int, seconds: float, lags: list[float]) -> dict[str, Any]:
    """One result line."""
    lags = sorted(lags)

    def pct(q: float) -> float:
        return lags[min(len(lags) - 1, round(q * (len(lags) - 1)))] * 1000

    return {"name": name, "events": events, "seconds": seconds, "rate": events / seconds,
            "p50": pct(0.5), "p99": pct(0.99)}


def bare_paho(broker: Broker, payloads: list[dict[str, Any]], inflight: int,
              rate: float | None = None) -> dict[str, Any]:
    """The floor: the same payloads published with QoS 1 by one paho client, no database;
    as fast as it can, or paced at ``rate`` events/s."""
    bodies = [(TOPIC.format(gate=p["gate"]), encode(p)) for p in payloads]
    sent: dict[int, float] = {}
    acked: dict[int, float] = {}
    done = threading.Event()

    def on_publish(_c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        acked[mid] = time.perf_counter()
        if len(acked) == len(bodies):
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(*SERVICE)
    client.max_inflight_messages_set(inflight)
    client.on_publish = on_publish
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    start = time.perf_counter()
    for n, (topic, body) in enumerate(bodies):
        if rate:
            pause(start + n / rate - time.perf_counter())
        # Recorded before the call: the PUBACK may come back before publish() returns.
        at = time.perf_counter()
        info = client.publish(topic, body, qos=1)
        sent[info.mid] = at
    assert done.wait(120), f"{len(acked)} of {len(bodies)} acknowledged"
    seconds = max(acked.values()) - start
    client.disconnect()
    client.loop_stop()
    name = f"bare paho, paced {rate:g}/s" if rate else "bare paho, burst"
    return summary(name, len(bodies), seconds,
                   [acked[mid] - sent[mid] for mid in sent])


def pause(seconds: float) -> None:
    """Sleep until a paced slot (not at all when behind)."""
    if seconds > 0:
        time.sleep(seconds)


class Run:
    """One database with a relay: write outbox rows, collect the relay's PUBACK times."""

    def __init__(self, url: str, broker: Broker, config: RelayConfig) -> None:
        self.app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
        with self.app.app_context():
            upgrade("head")
        self.sessions = self.app.extensions["gate.sessionmaker"]
        self.options = MqttOptions(port=broker.port, username=SERVICE[0], password=SERVICE[1])
        self.config = config
        self.committed: dict[int, float] = {}
        self.acked: dict[int, float] = {}
        self._lock = threading.Lock()
        self.all_acked = threading.Event()
        self.expected = 0

    def on_acked(self, acks: list[Ack]) -> None:
        with self._lock:
            for ack in acks:
                self.acked[ack.id] = ack.acked_at
            if len(self.acked) >= self.expected:
                self.all_acked.set()

    def relay(self) -> Relay:
        return Relay(self.sessions, self.options, self.config, on_acked=self.on_acked)

    def write(self, payloads: list[dict[str, Any]], per_commit: int,
              rate: float | None = None) -> None:
        """Commit the rows, ``per_commit`` per transaction (paced at ``rate`` rows/s), noting
        each commit's time."""
        began = time.perf_counter()
        for start in range(0, len(payloads), per_commit):
            if rate:
                pause(began + start / rate - time.perf_counter())
            rows = [m.OutboxEvent(decision_id=p["decision_id"], site_code="JMS01",
                                  gate=p["gate"], topic=TOPIC.format(gate=p["gate"]), payload=p)
                    for p in payloads[start:start + per_commit]]
            with self.sessions() as session, writing(session):
                session.add_all(rows)
                session.flush()
            at = time.time()
            with self._lock:
                for row in rows:
                    self.committed[row.id] = at

    def reset(self, expected: int) -> None:
        self.committed.clear()
        self.acked.clear()
        self.all_acked.clear()
        self.expected = expected

    def pending(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count(m.OutboxEvent.id))
                                      .where(m.OutboxEvent.sent_at.is_(None))) or 0)

    def result(self, name: str, started: float) -> dict[str, Any]:
        seconds = max(self.acked.values()) - started
        lags = [self.acked[i] - self.committed[i] for i in self.committed]
        assert self.pending() == 0, "rows left unsent"
        return summary(name, len(self.committed), seconds, lags)

    def stream(self, payloads: list[dict[str, Any]], per_commit: int, rate: float
               ) -> dict[str, Any]:
        """The relay runs while the rows are committed at a steady rate."""
        self.reset(len(payloads))
        relay = self.relay().start()
        wait_connected(relay)
        started = time.time()
        self.write(payloads, per_commit, rate)
        assert self.all_acked.wait(300), f"{len(self.acked)} of {len(payloads)} acknowledged"
        relay.stop()
        return self.result(f"relay, paced {rate:g}/s", started)

    def drain(self, payloads: list[dict[str, Any]], per_commit: int) -> dict[str, Any]:
        """The rows are committed first (an outage), then a relay drains them."""
        self.reset(len(payloads))
        self.write(payloads, per_commit)
        started = time.time()
        relay = self.relay().start()
        assert self.all_acked.wait(300), f"{len(self.acked)} of {len(payloads)} acknowledged"
        relay.stop()
        return self.result("relay, drain backlog", started)

    def close(self) -> None:
        self.app.extensions["gate.engine"].dispose()


def wait_connected(relay: Relay, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not relay.status()["connected"]:
        assert time.monotonic() < deadline, "relay did not connect"
        time.sleep(0.01)


Database = tuple[str, str, Callable[[], None]]


def databases(backends: list[str], admin_url: str, folder: Path) -> list[Database]:
    """(backend, url, cleanup) for each backend asked for."""
    out: list[Database] = []
    for backend in backends:
        if backend == "sqlite":
            out.append(("sqlite", f"sqlite:///{folder / 'bench.db'}", lambda: None))
            continue
        name = f"gate_bench_relay_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop(admin: Any = admin, name: str = name) -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        out.append(("postgresql", admin_url.rsplit("/", 1)[0] + "/" + name, drop))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0,
                        help="events/s offered in the paced runs")
    parser.add_argument("--per-commit", type=int, default=2)
    parser.add_argument("--poll", type=float, default=RelayConfig.poll_interval,
                        help="the relay's idle poll interval (s)")
    parser.add_argument("--inflight", type=int, default=RelayConfig.client_inflight)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()

    config = RelayConfig(poll_interval=args.poll, client_inflight=args.inflight, log_every=3600)
    payloads = [decision_payload(i) for i in range(args.events)]
    size = statistics.mean(len(encode(p)) for p in payloads)
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker").start()
        try:
            print(f"mosquitto from deploy/mosquitto on 127.0.0.1:{broker.port}; "
                  f"{args.events} events of {size:.0f} bytes, QoS 1, {args.inflight} in flight, "
                  f"relay poll {args.poll} s")
            results = [("-", bare_paho(broker, payloads, args.inflight)),
                       ("-", bare_paho(broker, payloads, args.inflight, args.rate))]
            for backend, url, cleanup in databases(args.backends.split(","), args.pg_admin_url,
                                                   Path(tmp)):
                run = Run(url, broker, config)
                try:
                    results.append((backend, run.drain(
                        [decision_payload(i) for i in range(args.events)], 500)))
                    results.append((backend, run.stream(
                        [decision_payload(i) for i in range(args.events)], args.per_commit,
                        args.rate)))
                finally:
                    run.close()
                    cleanup()
        finally:
            broker.stop()
    burst, paced = results[0][1], results[1][1]
    print(f"\n{'backend':<11} {'run':<24} {'events':>6} {'s':>6} {'events/s':>9} {'ratio':>6} "
          f"{'lag p50 ms':>10} {'ratio':>6} {'lag p99 ms':>10} {'ratio':>6}")
    for backend, r in results:
        paced_run = "paced" in r["name"]
        rate_ratio = "" if paced_run else f"{r['rate'] / burst['rate']:.2f}"
        lag = (f"{r['p50']:>10.1f} {r['p50'] / paced['p50']:>6.1f} {r['p99']:>10.1f} "
               f"{r['p99'] / paced['p99']:>6.1f}") if paced_run else f"{'-':>10} {'':>6} {'-':>10}"
        print(f"{backend:<11} {r['name']:<24} {r['events']:>6} {r['seconds']:>6.2f} "
              f"{r['rate']:>9.0f} {rate_ratio:>6} {lag}")
    print("\nevents/s ratio: to the bare burst. lag ratio: to the bare client paced at the same "
          "rate.\nlag: bare = publish() → PUBACK; relay = commit → PUBACK, which includes "
          "waiting for the relay's next poll.")

if __name__ == "__main__":
    main()
