"""The service goes down: the gate stays closed, the visit is spooled, forwarded when it is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from gate_client.config import Settings
from gate_client.display import create_app
from gate_client.station import Station
from gate_client.verdict import Verdict
from tests.client.conftest import LiveService
from tests.live import call
from tests.service.visits import GOOD_SCANS

CHECKLIST = ("grounding", "no_leaks", "placards")


@pytest.fixture
def gate(make_settings: Callable[..., Settings]) -> Iterator[tuple[Station, FlaskClient]]:
    """A running station (fast forwarder backoff) and a client of its display app."""
    station = Station(make_settings(visit_settle=60.0, http_retries=1),
                      use_mqtt=False, forward_backoff=(0.2, 1.0))
    station.start()
    yield station, create_app(station).test_client()
    station.close()


def display_state(display: FlaskClient) -> dict[str, Any]:
    response = display.get("/api/state")
    assert response.status_code == 200
    return response.get_json()


def wait_until(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def scan_and_tick(station: Station) -> None:
    station.add_codes([(t, "QRCode") for t in GOOD_SCANS], "camera")
    for item in CHECKLIST:
        station.set_check(item, True)


def logged(service: LiveService) -> list[dict[str, Any]]:
    status, body = call("GET", f"{service.url}/api/v1/decisions", service.tokens["admin"])
    assert status == 200, body
    return body["items"]


def test_no_allow_while_down_then_forwarded_late(service: LiveService,
                                                 gate: tuple[Station, FlaskClient]) -> None:
    station, display = gate
    seen: list[Verdict] = []
    station.add_listener(seen.append)
    scan_and_tick(station)  # classified while the service was up: the slots are filled
    service.stop()

    verdict = station.confirm()
    assert verdict is not None and verdict.status == "unavailable"
    assert not verdict.opens_barrier
    state = display_state(display)
    assert state["phase"] == "unavailable" and state["barrier"] == "closed"
    assert state["banner"]["zh"] == "服务不可用，道闸保持关闭"
    assert state["service"]["reachable"] is False
    assert state["spool"].get("pending") == 1
    assert station.confirm().status == "unavailable"  # the operator retries: still closed
    key = verdict.idempotency_key
    assert station.spool.get(key).state == "pending"

    service.start()  # back, on the same port
    # While the vehicle is still at the gate the attempt is the operator's to retry live;
    # the forwarder leaves it alone.
    time.sleep(1.2)
    assert station.spool.get(key).state == "pending" and logged(service) == []

    station.reset()  # the vehicle has left; the operator starts over
    wait_until(lambda: station.spool.get(key).state == "sent")
    late = wait_until(lambda: [v for v in seen if not v.live and v.status == "decided"])
    assert late[0].outcome == "ALLOW" and not late[0].opens_barrier
    state = display_state(display)
    assert state["phase"] == "idle" and state["barrier"] == "closed"
    assert state["late"][0]["outcome"] == "ALLOW" and state["late"][0]["message"] == "补传"
    assert state["late"][0]["barrier"] == "closed"
    assert all(not (v.live and v.outcome == "ALLOW") for v in seen)

    items = logged(service)
    assert len(items) == 1 and items[0]["outcome"] == "ALLOW"
    assert items[0]["decision_id"] == late[0].response["decision_id"]
    status, full = call("GET", f"{service.url}/api/v1/decisions/{items[0]['decision_id']}",
                        service.tokens["admin"])
    assert status == 200 and full["idempotency_key"] == key


def test_a_retry_after_the_service_is_back_is_a_live_decision(
        service: LiveService, gate: tuple[Station, FlaskClient]) -> None:
    station, display = gate
    scan_and_tick(station)
    service.stop()
    first = station.confirm()
    assert first.status == "unavailable"
    service.start()
    again = station.confirm()  # the same visit, still at the gate: the same request
    assert again.idempotency_key == first.idempotency_key
    assert again.live and again.outcome == "ALLOW" and again.opens_barrier
    state = display_state(display)
    assert state["phase"] == "allow" and state["banner"]["zh"] == "允许装货"
    assert len(logged(service)) == 1
    assert station.spool.get(first.idempotency_key).live is True


def test_a_service_down_from_the_start_leaves_codes_unclassified_and_the_gate_closed(
        service: LiveService, gate: tuple[Station, FlaskClient]) -> None:
    station, display = gate
    service.stop()
    scan_and_tick(station)
    state = display_state(display)
    assert state["service"]["reachable"] is False and state["phase"] == "collecting"
    assert all(not s["classified"] for s in state["visit"]["scans"])
    assert {row["state"] for row in state["slots"]} == {"empty"}
    verdict = station.confirm()
    assert verdict.status == "unavailable" and display_state(display)["barrier"] == "closed"
    service.start()
    station.reset()
    wait_until(lambda: station.spool.get(verdict.idempotency_key).state == "sent")
    assert [i["outcome"] for i in logged(service)] == ["ALLOW"]
