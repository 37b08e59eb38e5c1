"""Visit assembly: window, dedupe across frames, cool-down, slots, when a visit goes by itself."""

from __future__ import annotations

from collections.abc import Callable

from gate_client.config import Settings
from gate_client.station import Station
from gate_client.transport import ServiceClient
from gate_client.visit import Visit
from gate_client.visit import VisitAssembler
from gate_client.visit import slot_table
from tests.client.conftest import LiveService
from tests.service.visits import GOOD_SCANS

CHECKLIST = ("grounding", "no_leaks", "placards")


def assembler(window: float = 10.0, settle: float = 1.0, hold: float = 5.0) -> VisitAssembler:
    return VisitAssembler(window=window, settle=settle, hold=hold)


def classify_locally(visit: Visit) -> None:
    """Slots as the service names them, for tests of the assembly alone."""
    for scan in visit.scans.values():
        kind = scan.text.split(":")[1]
        slot = {"VEH": "trailer" if scan.text.endswith("挂") else "vehicle", "TNK": "tank",
                "PSN": "person", "WBL": "waybill", "ORD": "order"}[kind]
        scan.classification = {"recognised": True, "kind": kind, "slot": slot,
                               "identifier": scan.text.split(":", 2)[2]}


def test_the_same_code_in_many_frames_counts_once() -> None:
    visits = assembler()
    for t in range(20):  # 20 frames, 0.1 s apart, all showing the vehicle's plate
        visits.add(GOOD_SCANS[0], "QRCode", "camera", t * 0.1)
    visits.add(GOOD_SCANS[1], "QRCode", "camera", 2.1)
    visit = visits.current
    assert visit is not None and list(visit.scans) == GOOD_SCANS[:2]
    assert visit.scans[GOOD_SCANS[0]].count == 20
    assert visit.body("JMS01", "G1", "k" * 8)["scans"] == [
        {"text": GOOD_SCANS[0], "symbology": "QRCode"},
        {"text": GOOD_SCANS[1], "symbology": "QRCode"}]


def test_codes_within_the_window_form_one_visit_and_a_gap_starts_another() -> None:
    visits = assembler(window=10.0)
    visits.add(GOOD_SCANS[0], "QRCode", "camera", 0.0)
    first = visits.current
    visits.add(GOOD_SCANS[1], "QRCode", "camera", 9.0)   # within 10 s of the last read
    visits.add(GOOD_SCANS[2], "QRCode", "camera", 18.5)  # within 10 s of the one before
    assert visits.current is first and len(first.scans) == 3
    visits.add(GOOD_SCANS[3], "QRCode", "camera", 30.0)  # 11.5 s of nothing: a new vehicle
    assert visits.current is not first and list(visits.current.scans) == [GOOD_SCANS[3]]


def test_an_abandoned_visit_resets_after_the_window() -> None:
    visits = assembler(window=10.0)
    visits.add(GOOD_SCANS[0], None, "keyboard", 0.0, deliberate=True)
    assert visits.expire(9.9) is None and visits.current is not None
    visits.touch(9.0)  # the operator ticked something: still here
    assert visits.expire(18.9) is None
    assert visits.expire(19.0) == "timeout" and visits.current is None


def test_a_decided_visit_is_held_then_reset_and_its_codes_cool_down() -> None:
    visits = assembler(window=10.0, hold=5.0)
    for t, text in enumerate(GOOD_SCANS):
        visits.add(text, "QRCode", "camera", float(t))
    visit = visits.current
    visits.close(visit, 6.0)
    # The camera still sees the vehicle that was just decided: no second visit for it.
    visits.add(GOOD_SCANS[0], "QRCode", "camera", 7.0)
    assert visits.current is visit and visit.closed
    assert visits.expire(10.9) is None
    assert visits.expire(11.0) == "hold" and visits.current is None
    visits.add(GOOD_SCANS[0], "QRCode", "camera", 12.0)
    assert visits.current is None  # still in view since the decision: still cooling down
    # Typed on purpose, the same code starts a new visit at once.
    visits.add(GOOD_SCANS[0], None, "keyboard", 12.5, deliberate=True)
    assert visits.current is not None and not visits.current.closed
    # Once out of view for a window, a camera read of it is a new vehicle again.
    visits.reset()
    other = assembler(window=10.0, hold=5.0)
    other.add(GOOD_SCANS[0], None, "camera", 0.0)
    other.close(other.current, 0.0)
    other.add(GOOD_SCANS[0], None, "camera", 10.0)
    assert other.current is not None and not other.current.closed


def test_a_new_code_during_the_hold_starts_the_next_visit() -> None:
    visits = assembler(hold=30.0)
    visits.add(GOOD_SCANS[0], None, "camera", 0.0)
    decided = visits.current
    visits.close(decided, 1.0)
    visits.add("LG1:VEH:黑A54321", None, "camera", 2.0)
    assert visits.current is not decided and list(visits.current.scans) == ["LG1:VEH:黑A54321"]


def test_persons_fill_driver_then_escort() -> None:
    visits = assembler()
    for t, text in enumerate(GOOD_SCANS):
        visits.add(text, "QRCode", "camera", float(t))
    classify_locally(visits.current)
    slots = visits.current.slots()
    assert [s.text for s in slots["driver"]] == ["LG1:PSN:黑交危驾230800101"]
    assert [s.text for s in slots["escort"]] == ["LG1:PSN:230802198505050026"]
    table = {row["slot"]: row for row in slot_table(visits.current, ("vehicle", "escort"))}
    assert table["vehicle"]["state"] == "filled" and table["vehicle"]["required"]
    assert table["order"]["state"] == "empty" and not table["order"]["required"]


def test_a_visit_goes_by_itself_only_when_complete_settled_and_ticked() -> None:
    visits = assembler(settle=1.0)
    for t, text in enumerate(GOOD_SCANS[:-1]):  # no waybill yet
        visits.add(text, "QRCode", "camera", float(t))
    visit = visits.current
    classify_locally(visit)
    visit.checklist = dict.fromkeys(CHECKLIST, True)
    assert not visits.due(10.0, CHECKLIST, escort=True)  # waybill missing
    visits.add(GOOD_SCANS[-1], "QRCode", "camera", 10.0)
    assert not visits.due(10.0, CHECKLIST, escort=True)  # not classified yet
    classify_locally(visit)
    assert not visits.due(10.5, CHECKLIST, escort=True)  # a second code may be in the next frame
    assert visits.due(11.0, CHECKLIST, escort=True)
    visit.checklist["placards"] = False
    assert not visits.due(11.0, CHECKLIST, escort=True)  # the operator has not ticked it all
    visit.checklist["placards"] = True
    key = visit.key_for_send()
    assert not visits.due(12.0, CHECKLIST, escort=True)  # sent as it is
    assert visit.key_for_send() == key  # a retry of the same content: the same key
    visits.add("LG1:ORD:PO-1", None, "camera", 12.0)
    assert visit.key_for_send() != key  # new content: a new request


def test_an_incomplete_answer_adds_what_is_missing_to_what_is_required() -> None:
    visits = assembler(settle=0.0)
    for t, text in enumerate(t for t in GOOD_SCANS if "挂" not in t):
        visits.add(text, None, "camera", float(t))
    visit = visits.current
    classify_locally(visit)
    visit.checklist = dict.fromkeys(CHECKLIST, True)
    visit.key_for_send()
    visit.missing = ("trailer",)  # what the service said
    visits.add("LG1:ORD:PO-1", None, "camera", 9.0)
    classify_locally(visit)
    assert not visits.due(9.0, CHECKLIST, escort=True)  # still no trailer
    visits.add(GOOD_SCANS[1], None, "camera", 10.0)
    classify_locally(visit)
    assert visits.due(10.0, CHECKLIST, escort=True)


def test_slots_fill_from_the_service_classification(service: LiveService,
                                                    make_settings: Callable[..., Settings]
                                                    ) -> None:
    station = Station(make_settings(visit_settle=60.0), use_mqtt=False)
    try:
        station.add_codes([(text, "QRCode") for text in GOOD_SCANS[:3]], "camera")
        state = {row["slot"]: row for row in station.state()["slots"]}
        assert state["vehicle"]["state"] == "filled"
        assert state["vehicle"]["codes"][0]["identifier"] == "黑D12345"
        assert state["trailer"]["state"] == "filled" and state["tank"]["state"] == "filled"
        assert state["driver"]["state"] == "empty" and state["driver"]["required"]
        station.add_codes([(text, "QRCode") for text in [*GOOD_SCANS[3:], "not a code"]],
                          "camera")
        state = station.state()
        slots = {row["slot"]: row for row in state["slots"]}
        assert slots["driver"]["codes"][0]["identifier"] == "黑交危驾230800101"
        assert slots["escort"]["codes"][0]["identifier"] == "230802198505050026"
        assert slots["waybill"]["state"] == "filled"
        junk = next(s for s in state["visit"]["scans"] if s["text"] == "not a code")
        assert junk["classified"] and junk["recognised"] is False
        assert state["service"]["reachable"] is True
    finally:
        station.close()
    # The same call as the station makes, directly: slots as the service names them.
    answer = ServiceClient(service.url, service.tokens["operator"]).classify("JMS01", GOOD_SCANS)
    assert [i["slot"] for i in answer["items"]] == ["vehicle", "trailer", "tank", "person",
                                                    "person", "waybill"]
