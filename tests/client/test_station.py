"""The station against the running service: sent when complete, rescans, hold and reset."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator

import pytest

from gate_client.config import Settings
from gate_client.station import Station
from tests.client.conftest import LiveService
from tests.live import call
from tests.service.visits import GOOD_SCANS

CHECKLIST = ("grounding", "no_leaks", "placards")
TRAILER = "LG1:VEH:黑D6789挂"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def station(make_settings: Callable[..., Settings], clock: Clock) -> Iterator[Station]:
    station = Station(make_settings(visit_settle=1.0, decision_hold=5.0, visit_window=30.0),
                      use_mqtt=False, clock=clock)
    yield station
    station.close()


def camera(station: Station, texts: list[str]) -> None:
    station.add_codes([(t, "QRCode") for t in texts], "camera")


def outcomes(service: LiveService) -> list[str]:
    status, body = call("GET", f"{service.url}/api/v1/decisions", service.tokens["admin"])
    assert status == 200
    return [item["outcome"] for item in reversed(body["items"])]


def test_a_complete_visit_goes_by_itself_then_resets_after_the_hold(
        station: Station, clock: Clock, service: LiveService) -> None:
    station.preset(checklist=CHECKLIST, load={"un_number": "UN1203", "quantity_kg": "18000"})
    camera(station, GOOD_SCANS)
    assert station.tick() is None  # settling: another code may be in the next frame
    clock.now += 1.0
    verdict = station.tick()
    assert verdict is not None and verdict.live and verdict.outcome == "ALLOW"
    assert verdict.opens_barrier
    state = station.state()
    assert state["phase"] == "allow" and state["barrier"] == "may_open"
    assert state["banner"] == {"kind": "allow", "zh": "允许装货", "en": "Loading permitted"}
    # The camera still sees the vehicle: no second visit, no second decision.
    clock.now += 2.0
    camera(station, GOOD_SCANS)
    assert station.tick() is None and station.state()["phase"] == "allow"
    clock.now += 5.0
    assert station.tick() is None
    state = station.state()
    assert state["phase"] == "idle" and state["barrier"] == "closed" and state["visit"] is None
    assert outcomes(service) == ["ALLOW"]


def test_an_incomplete_answer_keeps_the_visit_open_for_a_rescan(
        station: Station, clock: Clock, service: LiveService) -> None:
    station.preset(checklist=CHECKLIST)
    camera(station, [t for t in GOOD_SCANS if t != TRAILER])
    clock.now += 1.0
    # The client cannot know that this vehicle tows a trailer; the service can. (It answers
    # REFUSE today, the tank being listed on the trailer, with the trailer named as missing.)
    first = station.tick()
    assert first is not None and first.outcome in ("INCOMPLETE", "REFUSE")
    assert first.missing == ("trailer",) and not first.opens_barrier and not first.final
    state = station.state()
    assert state["phase"] in ("incomplete", "refuse") and state["barrier"] == "closed"
    assert state["visit"] is not None and not state["visit"]["closed"]
    assert {r["slot"]: r["state"] for r in state["slots"]}["trailer"] == "missing"
    clock.now += 3.0
    camera(station, [TRAILER])
    clock.now += 1.0
    second = station.tick()
    assert second is not None and second.outcome == "ALLOW"
    assert second.visit_id == first.visit_id and second.idempotency_key != first.idempotency_key
    assert outcomes(service) == [first.outcome, "ALLOW"]


def test_an_unticked_checklist_waits_and_a_confirm_sends_it_as_it_is(
        station: Station, clock: Clock, service: LiveService) -> None:
    camera(station, GOOD_SCANS)
    station.set_check("grounding", True)
    clock.now += 10.0
    assert station.tick() is None  # complete codes, but the operator has not ticked it all
    verdict = station.confirm()
    assert verdict is not None and verdict.outcome == "REFUSE"
    codes = {r["code"] for r in verdict.response["reasons"]}
    assert {"VEHICLE_DEFECT", "MARKING_PLACARD_MISSING"} <= codes
    assert "GROUNDING_NOT_CONFIRMED" not in codes
    assert station.state()["banner"]["zh"] == "禁止装货"


def test_an_abandoned_visit_times_out(station: Station, clock: Clock,
                                      service: LiveService) -> None:
    camera(station, GOOD_SCANS[:2])
    clock.now += 29.0
    station.tick()
    assert station.state()["visit"] is not None
    clock.now += 1.0
    station.tick()
    assert station.state()["visit"] is None and outcomes(service) == []


def test_bad_operator_inputs_are_refused_by_name(station: Station) -> None:
    with pytest.raises(ValueError, match="unknown checklist item"):
        station.set_check("brakes", True)
    with pytest.raises(ValueError, match="UN number"):
        station.set_load({"un_number": "12", "quantity_kg": 1})
    with pytest.raises(ValueError, match="between 0 and 100000"):
        station.set_load({"un_number": "1203", "quantity_kg": -5})
    with pytest.raises(ValueError, match="unknown checklist item"):
        station.preset(checklist=["grounding", "brakes"])
