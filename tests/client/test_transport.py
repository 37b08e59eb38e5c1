"""HTTP to the service: Bearer token, timeouts, retries with one idempotency key, fail closed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate_client.config import Settings
from gate_client.station import Station
from gate_client.transport import RequestRejected
from gate_client.transport import ServiceClient
from gate_client.transport import ServiceUnavailable
from gate_client.transport import checked_decision
from tests.client.conftest import LiveService
from tests.client.proxy import FaultyProxy
from tests.live import call
from tests.service.visits import GOOD_SCANS
from tests.service.visits import visit

CHECKLIST = ("grounding", "no_leaks", "placards")


def decision_count(service: LiveService) -> int:
    status, body = call("GET", f"{service.url}/api/v1/decisions", service.tokens["admin"])
    assert status == 200
    return int(body["total"])


def test_retries_reuse_the_idempotency_key_and_log_one_decision(service: LiveService) -> None:
    # 1: answered 503; 2: the connection drops; 3: decided by the service, but answered after
    # the client's timeout; 4: goes through, and gets the decision of attempt 3.
    proxy = FaultyProxy(service.url, "/api/v1/verifications", ["503", "drop", "late"],
                        late_seconds=1.5)
    with proxy.running() as url:
        client = ServiceClient(url, service.tokens["operator"], timeout=0.8, retries=3,
                               backoff=0.05)
        answer = client.verify(visit(key="gc-retry-000001"))
    assert answer["outcome"] == "ALLOW"
    assert len(proxy.requests) == 4
    assert {r["body"]["idempotency_key"] for r in proxy.requests} == {"gc-retry-000001"}
    assert decision_count(service) == 1  # decided once, whatever the network did


def test_no_answer_after_the_last_retry_is_service_unavailable(service: LiveService) -> None:
    proxy = FaultyProxy(service.url, "/api/v1/verifications", ["503", "503"])
    with proxy.running() as url:
        client = ServiceClient(url, service.tokens["operator"], retries=1, backoff=0.01)
        with pytest.raises(ServiceUnavailable, match="503"):
            client.verify(visit())
    assert len(proxy.requests) == 2 and decision_count(service) == 0


def test_the_token_is_sent_and_a_bad_one_is_rejected(service: LiveService) -> None:
    with pytest.raises(RequestRejected) as err:
        ServiceClient(service.url, "not-a-token", retries=0).verify(visit())
    assert err.value.status == 401 and err.value.retryable
    with pytest.raises(RequestRejected) as err:
        ServiceClient(service.url, service.tokens["operator"], retries=2).verify(
            visit(gate="G9"))
    assert err.value.status == 422 and not err.value.retryable


@pytest.mark.parametrize("answer", [
    {"outcome": "OPEN", "decision_id": "d"},
    {"outcome": "ALLOW"},
    {"outcome": "ALLOW", "decision_id": "d", "reasons": [{"code": "X"}]},
    {"outcome": "ALLOW", "decision_id": "d", "missing": ["escort"]},
    {"outcome": "ALLOW", "decision_id": "d", "site": "JMS01", "gate": "G2"},
])
def test_an_answer_in_doubt_is_no_decision(answer: dict[str, Any]) -> None:
    with pytest.raises(ServiceUnavailable):
        checked_decision(answer, {"site": "JMS01", "gate": "G1"})


def test_the_station_writes_the_spool_before_the_request_leaves(
        service: LiveService, make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    spooled_at_request: list[tuple[str, str] | None] = []

    def look(record: dict[str, Any]) -> None:
        with sqlite3.connect(tmp_path / "spool.db") as conn:
            spooled_at_request.append(conn.execute(
                "SELECT idempotency_key, state FROM attempts WHERE idempotency_key = ?",
                (record["body"]["idempotency_key"],)).fetchone())
        conn.close()

    proxy = FaultyProxy(service.url, "/api/v1/verifications", [], on_request=look)
    with proxy.running() as url:
        station = Station(make_settings(service_url=url), use_mqtt=False)
        try:
            station.preset(checklist=CHECKLIST)
            station.add_codes([(t, "QRCode") for t in GOOD_SCANS], "camera")
            verdict = station.tick()
        finally:
            station.close()
    assert verdict is not None and verdict.opens_barrier
    assert spooled_at_request == [(verdict.idempotency_key, "inflight")]
    assert station.spool.get(verdict.idempotency_key).state == "sent"
