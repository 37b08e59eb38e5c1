"""The verification API end to end: decisions, idempotency, single-use waybills, completion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.service.visits import BAD_SCANS
from tests.service.visits import GOOD_SCANS
from tests.service.visits import visit

pytestmark = pytest.mark.usefixtures("demo")


def post(client: FlaskClient, auth: Any, body: dict[str, Any], role: str = "operator") -> Any:
    return client.post("/api/v1/verifications", json=body, headers=auth(role))


def test_a_visit_in_order_is_allowed(client: FlaskClient, auth: Any) -> None:
    resp = post(client, auth, visit())
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["outcome"] == "ALLOW" and body["reasons"] == [] and body["missing"] == []
    assert body["resolved"]["vehicle"] == "黑D12345" and body["resolved"]["trailer"] == "黑D6789挂"
    assert body["resolved"]["driver"] == "230802********0012"  # masked
    assert body["ruleset"]["id"] == "cn-2019" and body["ruleset"]["version"].startswith("sha256:")
    assert body["log"]["seq"] == 1 and len(body["log"]["hash"]) == 64


def test_refusal_is_a_decision_with_chinese_reasons(client: FlaskClient, auth: Any) -> None:
    body = post(client, auth, visit(BAD_SCANS, quantity=20000)).json
    assert body["outcome"] == "REFUSE"
    codes = {r["code"] for r in body["reasons"]}
    assert {
        "VEHICLE_PERMIT_EXPIRED",
        "TANK_INSPECTION_EXPIRED",
        "ESCORT_CERT_EXPIRED",
        "CARRIER_LICENSE_INVALID",
    } <= codes
    tank = next(r for r in body["reasons"] if r["code"] == "TANK_INSPECTION_EXPIRED")
    assert "罐体检验已过期" in tank["message"] and "2026-04-30" in tank["message"]
    assert tank["check"] == "C08" and tank["citation"] and tank["message_en"]


def test_missing_codes_make_it_incomplete(client: FlaskClient, auth: Any) -> None:
    scans = [s for s in GOOD_SCANS if "PSN:2308" not in s] + ["what is this"]
    body = post(client, auth, visit(scans)).json
    assert body["outcome"] == "INCOMPLETE" and body["missing"] == ["escort"]
    assert body["unrecognised"] == [{"text": "what is this", "problem": None}]


def test_same_idempotency_key_same_decision(client: FlaskClient, auth: Any) -> None:
    first = post(client, auth, visit(key="gate-G1-0001")).json
    again = post(client, auth, visit(key="gate-G1-0001")).json
    assert again == first
    listed = client.get("/api/v1/decisions", headers=auth("regulator")).json
    assert listed["total"] == 1


def test_waybill_is_single_use(client: FlaskClient, auth: Any) -> None:
    assert post(client, auth, visit()).json["outcome"] == "ALLOW"
    second = post(client, auth, visit(gate="G2")).json
    assert second["outcome"] == "REFUSE"
    assert [r["code"] for r in second["reasons"]] == ["WAYBILL_ALREADY_USED"]


def test_completion_writes_the_loading_record_and_closes_the_waybill(
    client: FlaskClient, auth: Any
) -> None:
    decision = post(client, auth, visit()).json
    url = f"/api/v1/verifications/{decision['decision_id']}/completion"
    done = client.post(
        url, json={"quantity_kg": 17950, "seals": ["QF001", "QF002"]}, headers=auth("operator")
    )
    assert done.status_code == 201, done.json
    assert done.json["released"] is True and done.json["waybill_status"] == "loaded"
    record = done.json["loading_record"]
    assert (record["un_number"], record["name"], record["class"]) == ("1203", "汽油", "3")
    assert client.post(url, json={"quantity_kg": 1}, headers=auth("operator")).status_code == 409
    waybill = client.get("/api/v1/waybills/YD2026112800001", headers=auth("admin")).json
    assert waybill["status"] == "loaded"
    reuse = post(client, auth, visit()).json
    assert "WAYBILL_ALREADY_USED" in [r["code"] for r in reuse["reasons"]]


def test_completion_over_the_tank_limit_holds_the_vehicle(client: FlaskClient, auth: Any) -> None:
    decision = post(client, auth, visit(quantity=18000)).json
    done = client.post(
        f"/api/v1/verifications/{decision['decision_id']}/completion",
        json={"quantity_kg": 26000},
        headers=auth("operator"),
    ).json
    assert done["released"] is False
    assert [r["code"] for r in done["reasons"]] == ["OVERFILL_TANK_LIMIT"]
    assert done["waybill_status"] == "loading"


def test_completion_of_a_refusal_is_refused(client: FlaskClient, auth: Any) -> None:
    decision = post(client, auth, visit(BAD_SCANS)).json
    resp = client.post(
        f"/api/v1/verifications/{decision['decision_id']}/completion",
        json={"quantity_kg": 1000},
        headers=auth("operator"),
    )
    assert resp.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gate": "G1", "scans": [], "idempotency_key": "abcdefgh"}, "site"),
        (visit(scans=[]) | {"scans": "LG1:VEH:x"}, "scans"),
        (visit() | {"load": {"un_number": "12", "quantity_kg": 1}}, "load"),
        (visit() | {"load": {"un_number": "1203", "quantity_kg": -5}}, "load"),
        (visit() | {"idempotency_key": "x"}, "idempotency_key"),
        (visit() | {"checklist": {"grounding": "yes please"}}, "checklist"),
        (visit() | {"gate": "G9"}, "gate"),
        (visit() | {"site": "NOPE"}, "site"),
        (visit() | {"extra": 1}, "extra"),
    ],
)
def test_bad_requests_get_422_naming_the_field(
    client: FlaskClient, auth: Any, body: dict[str, Any], field: str
) -> None:
    resp = post(client, auth, body)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]


def test_a_gate_token_only_works_at_its_site(client: FlaskClient, auth: Any, app: Any) -> None:
    from gate_service.auth import issue_token
    from gate_service.db import new_session

    with app.app_context(), new_session() as session, session.begin():
        other = issue_token(session, name="elsewhere", role="operator", site_code="XYZ01")
    resp = client.post(
        "/api/v1/verifications", json=visit(), headers={"Authorization": f"Bearer {other}"}
    )
    assert resp.status_code == 403
    assert post(client, auth, visit(), role="regulator").status_code == 403
    assert post(client, auth, visit(), role="enterprise").status_code == 403


def test_classify_codes(client: FlaskClient, auth: Any) -> None:
    texts = [
        "LG1:VEH:黑D12345",
        "黑D6789挂",
        "230802198001010012",
        "https://ewaybill.example.gov.cn/q?waybillNo=YD2026112800001",
        "LG1:ZZZ:1",
        "hello",
    ]
    resp = client.post(
        "/api/v1/codes/classify", json={"site": "JMS01", "texts": texts}, headers=auth("operator")
    )
    assert resp.status_code == 200, resp.json
    items = resp.json["items"]
    assert [i["slot"] for i in items] == ["vehicle", "trailer", "person", "waybill", None, None]
    assert items[3]["identifier"] == "YD2026112800001"
    assert [i["recognised"] for i in items] == [True, True, True, True, False, False]


def test_decision_detail_masks_id_numbers(client: FlaskClient, auth: Any) -> None:
    decision = post(client, auth, visit()).json
    detail = client.get(f"/api/v1/decisions/{decision['decision_id']}", headers=auth("regulator"))
    assert detail.status_code == 200
    text = json.dumps(detail.json, ensure_ascii=False)
    assert "230802198001010012" not in text and "230802********0012" in text
    assert detail.json["evidence"]["tank"]["tank_no"] == "TK-0001"


def test_a_visit_forwarded_after_an_outage_opens_nothing(client: FlaskClient, auth: Any,
                                                         app: Any) -> None:
    from sqlalchemy import select

    from gate_service.db import new_session
    from gate_service.models import OutboxEvent

    late = post(client, auth, visit() | {"offline": True}).json
    assert late["outcome"] == "ALLOW" and late["offline"] is True
    with app.app_context(), new_session() as session:
        topics = list(session.scalars(select(OutboxEvent.topic)))
    assert topics == ["loadgate/JMS01/G1/decision"]  # no barrier command
    resp = client.post(f"/api/v1/verifications/{late['decision_id']}/completion",
                       json={"quantity_kg": 18000}, headers=auth("operator"))
    assert resp.status_code == 409
    live = post(client, auth, visit()).json  # the waybill was not taken by the late record
    assert live["outcome"] == "ALLOW" and live["offline"] is False


def _add_goods(app: Any, waybill_no: str, *lines: dict[str, Any]) -> None:
    from sqlalchemy import select

    from gate_service import models as m
    from gate_service.db import writing

    with app.extensions["gate.sessionmaker"]() as session, writing(session):
        waybill = session.scalars(select(m.Waybill).where(m.Waybill.waybill_no == waybill_no)).one()
        waybill.goods = [*waybill.goods, *lines]


def _mixing_reasons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in body["reasons"] if r["code"] == "MIXED_LOADING_PROHIBITED"]


def test_mixed_loading_reads_the_danger_labels_of_the_product_master(
        client: FlaskClient, auth: Any, app: Any) -> None:
    # UN 3221 is class 4.1 and also bears label 1: it may not travel with petrol.
    _add_goods(app, "YD2026112800001", {"un_number": "3221", "name": "自反应液体B型",
                                         "class": "4.1", "quantity_kg": 20})
    body = post(client, auth, visit()).json
    assert body["outcome"] == "REFUSE"
    [reason] = _mixing_reasons(body)
    assert "UN3221 标志 4.1+1" in reason["message"], reason


def test_goods_the_table_lets_travel_together_pass_mixed_loading(
        client: FlaskClient, auth: Any, app: Any) -> None:
    _add_goods(app, "YD2026112800001", {"un_number": "1830", "name": "硫酸", "class": "8",
                                         "packing_group": "II", "quantity_kg": 20})
    body = post(client, auth, visit()).json
    assert _mixing_reasons(body) == [], body["reasons"]


def _patch_tank(client: FlaskClient, auth: Any, **fields: Any) -> Any:
    version = client.get("/api/v1/tanks/TK-0001", headers=auth("admin")).json["version"]
    return client.patch("/api/v1/tanks/TK-0001", json={"version": version, **fields},
                        headers=auth("admin"))


def _codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["reasons"]]


def test_a_portable_tank_goes_by_its_instruction(client: FlaskClient, auth: Any) -> None:
    # Petrol (UN 1203 II) is assigned T4 in col.10; T3 has the laxer bottom openings.
    assert _patch_tank(client, auth, kind="portable", tank_code="T3").status_code == 200
    body = post(client, auth, visit()).json
    assert _codes(body) == ["PORTABLE_TANK_INSTRUCTION_INSUFFICIENT"]
    assert "罐柜 T3，UN1203 要求 T4" in body["reasons"][0]["message"]
    assert _patch_tank(client, auth, tank_code="t 11").status_code == 200
    body = post(client, auth, visit()).json
    assert body["outcome"] == "ALLOW", body["reasons"]


def test_a_tank_code_must_fit_the_kind_of_tank(client: FlaskClient, auth: Any) -> None:
    resp = _patch_tank(client, auth, kind="portable")  # still coded LGBF
    assert resp.status_code == 422
    assert "portable tanks take a portable-tank instruction" in resp.json["errors"]["tank_code"][0]
    resp = _patch_tank(client, auth, tank_code="T11")  # still atmospheric
    assert resp.status_code == 422 and "tank_code" in resp.json["errors"]


def test_tank_provisions_come_from_the_tank_approval_on_file(client: FlaskClient,
                                                            auth: Any) -> None:
    # Ammonia (UN 1005) needs TA4 on the approval of the tank that carries it.
    assert _patch_tank(client, auth, kind="tank_container", tank_code="PxBH(M)").status_code == 200
    assert "TANK_SPECIAL_PROVISION_UNMET" in _codes(post(client, auth, visit(un="1005")).json)
    assert _patch_tank(client, auth, special_provisions=["TA4"]).status_code == 200
    assert "TANK_SPECIAL_PROVISION_UNMET" not in _codes(post(client, auth, visit(un="1005")).json)
