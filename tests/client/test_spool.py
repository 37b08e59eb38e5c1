"""The spool: written before sending, forwarded later, and still there after a restart."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from gate_client.config import Settings
from gate_client.forwarder import Forwarder
from gate_client.spool import Spool
from gate_client.station import Station
from gate_client.transport import ServiceClient
from gate_client.verdict import Verdict
from tests.client.conftest import LiveService
from tests.live import call
from tests.service.visits import GOOD_SCANS
from tests.service.visits import visit

DOWN = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


def logged(service: LiveService) -> list[dict[str, object]]:
    status, body = call("GET", f"{service.url}/api/v1/decisions?per_page=50",
                        service.tokens["admin"])
    assert status == 200, body
    return body["items"]


def test_write_claim_release_settle(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    body = visit(key="gc-key-0001")
    assert spool.write("gc-key-0001", "v1", body)
    assert not spool.write("gc-key-0001", "v1", body)  # the same attempt again
    entry = spool.get("gc-key-0001")
    assert entry is not None and entry.state == "inflight" and entry.body == body
    assert not spool.claim("gc-key-0001")  # in flight: nobody else takes it
    spool.release("gc-key-0001", "refused", retry_at=time.time() + 60)
    assert spool.due() == []  # not before its retry time
    assert [e.idempotency_key for e in spool.due(time.time() + 61)] == ["gc-key-0001"]
    assert spool.claim("gc-key-0001")
    spool.settle("gc-key-0001", {"outcome": "ALLOW", "decision_id": "d"}, live=False)
    entry = spool.get("gc-key-0001")
    assert entry.state == "sent" and entry.live is False and entry.attempts == 2
    assert entry.decision == {"outcome": "ALLOW", "decision_id": "d"}


def test_a_newer_attempt_of_a_visit_supersedes_an_unanswered_one(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.write("gc-old-00001", "v1", visit(GOOD_SCANS[:5]), claimed=False)
    spool.write("gc-new-00001", "v1", visit(), claimed=False)
    assert spool.counts() == {"superseded": 1, "pending": 1}
    assert [e.idempotency_key for e in spool.due()] == ["gc-new-00001"]


def test_the_visit_is_spooled_before_the_service_hears_of_it(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    """Even when the service is down the attempt is on disk, pending, with its full body."""
    station = Station(make_settings(service_url=DOWN, http_retries=0), use_mqtt=False)
    try:
        station.preset(checklist=("grounding", "no_leaks", "placards"))
        station.add_codes([(t, "QRCode") for t in GOOD_SCANS], "camera")
        verdict = station.confirm()
    finally:
        station.close()
    assert verdict is not None and verdict.status == "unavailable" and not verdict.opens_barrier
    with sqlite3.connect(tmp_path / "spool.db") as conn:
        rows = conn.execute("SELECT idempotency_key, state, body FROM attempts").fetchall()
    conn.close()
    assert len(rows) == 1 and rows[0][0] == verdict.idempotency_key and rows[0][1] == "pending"
    body = json.loads(rows[0][2])
    assert [s["text"] for s in body["scans"]] == GOOD_SCANS
    assert body["idempotency_key"] == verdict.idempotency_key and body["checklist"]["grounding"]


def test_spooled_visits_survive_a_restart_and_are_forwarded_late(service: LiveService,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    first = Spool(path)
    key = f"gc-{uuid.uuid4().hex}"
    first.write(key, "v1", visit(key=key))  # in flight when the client died
    del first
    # A new client object on the same file: the attempt is pending again and goes now.
    spool = Spool(path)
    assert spool.get(key).state == "pending"
    seen: list[Verdict] = []
    client = ServiceClient(service.url, service.tokens["operator"], retries=0)
    forwarder = Forwarder(spool, client, on_verdict=seen.append, backoff_min=0.05)
    verdicts = forwarder.run_once()
    assert [v.outcome for v in verdicts] == ["ALLOW"] and seen == verdicts
    assert not verdicts[0].live and not verdicts[0].opens_barrier
    assert verdicts[0].to_json()["message"] == "补传"
    entry = spool.get(key)
    assert entry.state == "sent" and entry.live is False
    items = logged(service)
    assert len(items) == 1 and items[0]["decision_id"] == verdicts[0].response["decision_id"]
    assert forwarder.run_once() == []  # nothing left: no second log entry


def test_the_forwarder_backs_off_while_the_service_is_down(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    for n in range(3):
        spool.write(f"gc-down-{n:05d}", f"v{n}", visit(), claimed=False)
    forwarder = Forwarder(spool, ServiceClient(DOWN, "t", retries=0), backoff_min=30.0)
    assert forwarder.run_once() == []
    entries = {e.idempotency_key: e for e in spool.entries()}
    # One try, then it stops: the others would fail the same way.
    assert [e.attempts for e in entries.values()] == [1, 0, 0]
    assert entries["gc-down-00000"].next_attempt_at > time.time() + 25
    assert "Connection refused" in (entries["gc-down-00000"].last_error or "")
    assert forwarder.run_once() == [] and spool.get("gc-down-00001").attempts == 0  # paused


def test_rejected_attempts_are_kept_and_not_resent(service: LiveService, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.write("gc-bad-00001", "v1", visit(site="NOPE"), claimed=False)
    client = ServiceClient(service.url, service.tokens["operator"], retries=0)
    verdicts = Forwarder(spool, client).run_once()
    assert [v.status for v in verdicts] == ["rejected"]
    entry = spool.get("gc-bad-00001")
    assert entry.state == "rejected" and "422" in (entry.last_error or "")
    assert spool.due(time.time() + 3600) == []
