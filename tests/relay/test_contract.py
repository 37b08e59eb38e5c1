"""The event contract: the shipped JSON Schemas, every kind of message checked as it arrives."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from gate_service.auth import Caller
from gate_service.cli.relay import alerts_group
from gate_service.db import writing
from gate_service.decisions import completion
from gate_service.decisions import overrides
from gate_service.decisions.chain import ChainReport
from gate_service.events import SCAN
from gate_service.events import Deduplicator
from gate_service.events import EventContractError
from gate_service.events import event_key
from gate_service.events import schemas
from gate_service.events import validate_event
from gate_service.relay import Relay
from gate_service.relay.alerts import queue_chain_broken
from tests.relay.broker import Broker
from tests.relay.device import Device
from tests.relay.gate import add_waybills
from tests.relay.gate import decide
from tests.relay.gate import good_visit
from tests.relay.subscriber import Collector
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

NAMES = {"loadgate.decision.v1", "loadgate.barrier.v1", "loadgate.alert.v1",
         "loadgate.status.v1", "loadgate.scan.v1"}
DECISION_ID = "1f416916-9a00-4f5a-a4a9-39fa9e590a65"


def test_the_schemas_ship_in_the_package_as_valid_draft_2020_12() -> None:
    folder = resources.files("gate_service.events").joinpath("schemas")
    assert {p.name for p in folder.iterdir()} == {f"{n}.json" for n in NAMES}
    assert set(schemas()) == NAMES
    for name, document in schemas().items():
        Draft202012Validator.check_schema(document)
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert document["title"] == name
        assert document["properties"]["schema"] == {"const": name}


def test_every_kind_of_message_published_matches_its_contract(
        app: Flask, demo: None, broker: Broker, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/#"])
    make_relay(scans=True)
    settings = app.extensions["gate"]
    sessions = app.extensions["gate.sessionmaker"]
    first, second = add_waybills(app, 2)
    allowed = decide(app, good_visit(first))
    heavy = decide(app, good_visit(second, gate="G2"))
    refused = decide(app, visit(BAD_SCANS))
    decide(app, visit(["LG1:VEH:黑D12345", "not a code"]))  # INCOMPLETE
    supervisor = Caller("test-supervisor", "supervisor", "JMS01")
    with sessions() as session, writing(session):
        overrides.override(session, supervisor, refused.decision_id,
                           "车辆证件已现场核验，系统数据未同步", secret=settings.secret_key,
                           prefix="loadgate")
        completion.complete(session, supervisor, allowed.decision_id,
                            {"quantity_kg": 18000, "seals": ["S1"]}, prefix="loadgate")
        completion.complete(session, supervisor, heavy.decision_id,
                            {"quantity_kg": 99000}, prefix="loadgate")
        queue_chain_broken(session, ChainReport("JMS01", 3, False, 3, 2, DECISION_ID,
                                                "hash does not match the body (edited)"),
                           prefix="loadgate")
    assert app.test_cli_runner().invoke(alerts_group, ["expiring"]).exit_code == 0
    credentials = broker.add_device("JMS01", "G1")
    broker.reload()
    gate = Device(broker.port, credentials)
    gate.connect()
    # As gate_client.mqtt words it.
    gate.publish("loadgate/JMS01/G1/status", {"schema": "loadgate.status.v1", "status": "online",
                                              "reason": "connected", "site": "JMS01",
                                              "gate": "G1", "client_id": "gate-JMS01-G1",
                                              "at": "2026-11-28T08:00:00+00:00"})
    broken = {"schema": SCAN, "scans": "oops", "idempotency_key": "contract-01"}
    gate.publish("loadgate/JMS01/G1/scan", broken)
    gate.publish("loadgate/JMS01/G1/scan", {**{k: v for k, v in visit().items()
                                               if k not in ("site", "gate")}, "schema": SCAN})
    expected = {("loadgate.decision.v1", "ALLOW verification"),
                ("loadgate.decision.v1", "REFUSE verification"),
                ("loadgate.decision.v1", "INCOMPLETE verification"),
                ("loadgate.decision.v1", "ALLOW override"),
                ("loadgate.barrier.v1", "open"), ("loadgate.barrier.v1", "release"),
                ("loadgate.barrier.v1", "hold"), ("loadgate.alert.v1", "chain_broken"),
                ("loadgate.alert.v1", "certificates_expiring"),
                ("loadgate.alert.v1", "bad_scan_message"), ("loadgate.status.v1", "online"),
                ("loadgate.scan.v1", "")}

    def seen(c: Collector) -> set[tuple[str, str]]:
        return {(r.payload.get("schema"), _label(r.payload)) for r in list(c.messages)}

    assert watcher.wait_for(lambda c: expected <= seen(c), timeout=15), expected - seen(watcher)
    # Only the deliberately broken scan breaks its contract (and got a bad_scan_message alert).
    assert [(t, p) for t, p, _ in watcher.invalid] == [("loadgate/JMS01/G1/scan", broken)]
    assert {s for s, _ in seen(watcher)} == NAMES
    gate.close()


def _label(payload: dict[str, Any]) -> str:
    schema = payload.get("schema")
    if schema == "loadgate.decision.v1":
        return f"{payload['outcome']} {payload['kind']}"
    return str(payload.get("command") or payload.get("kind") or payload.get("status") or "")


def _decision(**over: Any) -> dict[str, Any]:
    base = {"schema": "loadgate.decision.v1", "decision_id": DECISION_ID, "outcome": "REFUSE",
            "kind": "verification", "site": "JMS01", "gate": "G1",
            "created_at": "2026-11-28T19:49:00.015796+00:00", "local_date": "2026-11-29",
            "reasons": [{"code": "TANK_INSPECTION_EXPIRED", "check": "C08", "severity": "refuse",
                         "subject": "tank:TK-0002", "message": "罐体检验已过期",
                         "message_en": "Tank inspection expired", "citation": None,
                         "details": {}}],
            "warnings": [], "missing": [], "unrecognised": [], "resolved": {}, "overrides": None,
            "ruleset": {"id": "cn-2019", "version": "sha256:x"},
            "log": {"seq": 1, "hash": "0" * 64}}
    return {**base, **over}


@pytest.mark.parametrize(("payload", "path"), [
    (_decision(outcome="ALLOW"), "$.reasons"),  # default deny: an ALLOW with a refusal reason
    (_decision(outcome="MAYBE"), "$.outcome"),
    (_decision(decision_id="42"), "$.decision_id"),
    (_decision(surprise=1), "$"),
    (_decision(log={"seq": 0, "hash": "x"}), "$.log.seq"),
    ({"schema": "loadgate.barrier.v1", "command": "lift", "decision_id": DECISION_ID,
      "site": "JMS01", "gate": "G1"}, "$.command"),
    ({"schema": "loadgate.alert.v1", "alert_id": DECISION_ID, "kind": "chain_broken",
      "severity": "critical", "site": "JMS01", "created_at": "2026-11-28T00:00:00Z",
      "message": "m", "message_en": "m"}, "$"),  # chain_broken without its details
    ({"schema": "loadgate.status.v1", "status": "asleep", "site": "J", "gate": "G"}, "$.status"),
    ({"schema": "loadgate.decision.v9"}, "$.schema"),
    (["not", "an", "object"], "$"),
])
def test_validate_event_names_what_breaks_the_contract(payload: Any, path: str) -> None:
    with pytest.raises(EventContractError) as caught:
        validate_event(payload)
    assert path in caught.value.errors, caught.value.errors


def test_validate_event_accepts_conforming_payloads() -> None:
    assert validate_event(_decision()) == "loadgate.decision.v1"
    assert validate_event(_decision(outcome="ALLOW", reasons=[])) == "loadgate.decision.v1"
    scan = {"scans": [{"text": "LG1:VEH:黑D12345", "symbology": "QRCode"}],
            "idempotency_key": "scanner-000001"}
    assert validate_event(scan, SCAN) == SCAN  # a scanner may leave the schema name out


def test_deduplicator_keys_decisions_barrier_commands_and_alerts() -> None:
    dedup = Deduplicator(capacity=3)
    decision = {"schema": "loadgate.decision.v1", "decision_id": DECISION_ID}
    opened = {"schema": "loadgate.barrier.v1", "command": "open", "decision_id": DECISION_ID}
    released = {**opened, "command": "release"}
    alert = {"schema": "loadgate.alert.v1", "alert_id": str(uuid.uuid4())}
    assert [dedup.first(p) for p in (decision, opened, released, alert)] == [True] * 4
    assert dedup.first(dict(alert)) is False and dedup.duplicates == 1
    assert dedup.first(decision) is True, "the oldest key was forgotten beyond capacity"
    assert len(dedup) == 3
    assert event_key(released) == ("loadgate.barrier.v1", DECISION_ID, "release")
    with pytest.raises(ValueError):
        dedup.first({"schema": "loadgate.status.v1", "status": "online"})
