"""Overrides by supervisors, the audit API (filters, counts, exports) and the audit commands."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gate_service.auth import issue_token
from gate_service.db import new_session
from tests.service.cli import gate
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

pytestmark = pytest.mark.usefixtures("demo")
REASON = "罐体已于今日复检合格，报告待上传，经主管现场核实"


def _verify(client: FlaskClient, auth: Any, **kw: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/verifications", json=visit(**kw), headers=auth("operator"))
    assert resp.status_code == 200, resp.json
    return resp.json


def test_supervisor_override_is_a_chained_decision(client: FlaskClient, auth: Any) -> None:
    refused = _verify(client, auth, scans=BAD_SCANS)
    url = f"/api/v1/verifications/{refused['decision_id']}/override"
    short = client.post(url, json={"reason": "ok"}, headers=auth("supervisor"))
    assert short.status_code == 422 and "reason" in short.json["errors"]
    assert client.post(url, json={"reason": REASON}, headers=auth("operator")).status_code == 403
    over = client.post(url, json={"reason": REASON}, headers=auth("supervisor"))
    assert over.status_code == 201, over.json
    body = over.json
    assert body["outcome"] == "ALLOW" and body["kind"] == "override"
    assert (
        body["overrides"] == refused["decision_id"]
        and body["log"]["seq"] == refused["log"]["seq"] + 1
    )
    again = client.post(url, json={"reason": REASON}, headers=auth("supervisor"))
    assert again.status_code == 409
    detail = client.get(f"/api/v1/decisions/{body['decision_id']}", headers=auth("regulator")).json
    assert detail["inputs"]["reason"] == REASON
    assert "TANK_INSPECTION_EXPIRED" in detail["overridden_reasons"]
    done = client.post(
        f"/api/v1/verifications/{body['decision_id']}/completion",
        json={"quantity_kg": 15000},
        headers=auth("operator"),
    )
    assert done.status_code == 201 and done.json["waybill_status"] == "loaded"


def test_highly_toxic_override_needs_a_second_supervisor(
    client: FlaskClient, auth: Any, app: Flask
) -> None:
    refused = _verify(client, auth, un="3414", quantity=5000)
    assert refused["outcome"] == "REFUSE"
    url = f"/api/v1/verifications/{refused['decision_id']}"
    request = client.post(f"{url}/override", json={"reason": REASON}, headers=auth("supervisor"))
    assert request.status_code == 201
    assert (request.json["kind"], request.json["outcome"]) == ("override_request", "REFUSE")
    same = client.post(f"{url}/approval", json={"reason": "同意"}, headers=auth("supervisor"))
    assert same.status_code == 403
    with app.app_context(), new_session() as session, session.begin():
        second = issue_token(session, name="second", role="supervisor", site_code="JMS01")
    approved = client.post(
        f"{url}/approval",
        json={"reason": "复核同意"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert approved.status_code == 201, approved.json
    assert (approved.json["kind"], approved.json["outcome"]) == ("override", "ALLOW")
    detail = client.get(
        f"/api/v1/decisions/{approved.json['decision_id']}", headers=auth("regulator")
    ).json
    assert detail["requested_by"] == "supervisor:test-supervisor"
    assert detail["approved_by"] == "supervisor:second" and detail["highly_toxic"] is True


def test_audit_filters_and_counts(client: FlaskClient, auth: Any) -> None:
    _verify(client, auth)
    _verify(client, auth, scans=BAD_SCANS)
    _verify(client, auth, scans=BAD_SCANS, gate="G2")
    h = auth("regulator")
    refused = client.get("/api/v1/decisions?outcome=REFUSE", headers=h).json
    assert refused["total"] == 2
    assert client.get("/api/v1/decisions?gate=G2", headers=h).json["total"] == 1
    assert (
        client.get("/api/v1/decisions?reason=TANK_INSPECTION_EXPIRED", headers=h).json["total"] == 2
    )
    assert client.get("/api/v1/decisions?plate=黑A·54321", headers=h).json["total"] == 2
    assert client.get("/api/v1/decisions?un_number=UN1203", headers=h).json["total"] == 3
    assert client.get("/api/v1/decisions?high_risk=true", headers=h).json["total"] == 0
    assert client.get("/api/v1/decisions?since=2000-01-01T00:00:00Z", headers=h).json["total"] == 3
    assert client.get("/api/v1/decisions?until=2000-01-01T00:00:00Z", headers=h).json["total"] == 0
    bad = client.get("/api/v1/decisions?outcome=MAYBE&since=yesterday", headers=h)
    assert bad.status_code == 422 and {"outcome", "since"} <= set(bad.json["errors"])
    by_reason = client.get("/api/v1/decisions/stats?by=reason", headers=h).json["items"]
    assert {"key": "TANK_INSPECTION_EXPIRED", "count": 2} in by_reason
    by_outcome = client.get("/api/v1/decisions/stats?by=outcome", headers=h).json["items"]
    assert by_outcome == [{"key": "REFUSE", "count": 2}, {"key": "ALLOW", "count": 1}]
    by_day = client.get("/api/v1/decisions/stats?by=day", headers=h).json["items"]
    assert sum(i["count"] for i in by_day) == 3
    assert client.get("/api/v1/decisions/stats?by=mood", headers=h).status_code == 422


def test_export_masks_ids_and_still_verifies(client: FlaskClient, auth: Any) -> None:
    for scans in (None, BAD_SCANS):
        _verify(client, auth, scans=scans)
    exported = client.get("/api/v1/decisions/export?format=json", headers=auth("regulator"))
    assert exported.status_code == 200
    text = exported.data.decode("utf-8")
    assert "230802198001010012" not in text and "23080419780303003X" not in text
    doc = json.loads(text)
    prev = "0" * 64
    for row in doc["rows"]:
        assert hashlib.sha256((prev + row["body"]).encode("utf-8")).hexdigest() == row["hash"]
        prev = row["hash"]
    assert doc["heads"]["JMS01"] == {"seq": 2, "hash": prev}
    as_csv = client.get("/api/v1/decisions/export?format=csv", headers=auth("regulator"))
    lines = as_csv.data.decode("utf-8").splitlines()
    assert (
        lines[0].startswith("site,seq,decision_id")
        and "230802198001010012" not in as_csv.data.decode()
    )


def test_audit_commands(client: FlaskClient, auth: Any, database_url: str) -> None:
    allowed = _verify(client, auth)
    refused = _verify(client, auth, scans=BAD_SCANS)
    verified = gate(database_url, "audit", "verify", ok=False, timeout=120)
    assert verified.returncode == 0 and "JMS01: OK, 2 decisions" in verified.stdout
    for decision in (allowed, refused):
        replay = gate(
            database_url, "audit", "replay", decision["decision_id"], ok=False, timeout=120
        )
        assert replay.returncode == 0, replay.stderr
        assert (
            f"recorded: {decision['outcome']}" in replay.stdout and "same outcome" in replay.stdout
        )
    missing = gate(database_url, "audit", "replay", "no-such-decision", ok=False, timeout=120)
    assert missing.returncode != 0
    shown = gate(database_url, "rules", "show", "cn-2019", ok=False, timeout=120)
    assert shown.returncode == 0 and "C08" in shown.stdout and "sha256:" in shown.stdout
    assert gate(database_url, "rules", "show", "nope", ok=False, timeout=120).returncode != 0
