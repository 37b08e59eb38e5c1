"""The records API: validation with per-field messages, versions, history, filters and paging."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f


def _create(
    client: FlaskClient, auth: Any, res: str, body: dict[str, Any], role: str = "admin"
) -> dict[str, Any]:
    resp = client.post(f"/api/v1/{res}", json=body, headers=auth(role))
    assert resp.status_code == 201, resp.json
    return resp.json


@pytest.mark.parametrize(
    ("res", "body", "field", "fragment"),
    [
        ("vehicles", f.vehicle(plate="黑I12345"), "plate", "authority letter"),
        ("vehicles", f.vehicle(plate="黑D6789挂"), "kind", "trailer"),
        ("vehicles", f.vehicle(rated_load_kg=0), "rated_load_kg", "positive"),
        ("vehicles", f.vehicle(rated_load_kg="heavy"), "rated_load_kg", "integer"),
        ("vehicles", f.vehicle(carrier_uscc="91230800MA1B000020"), "carrier_uscc", "check"),
        ("vehicles", f.vehicle(registration_valid_until="2027-13"), "registration_valid_until", ""),
        ("vehicles", f.vehicle(colour="red"), "colour", "unknown field"),
        ("persons", f.person(id_number="230802198001010013"), "id_number", "check"),
        (
            "persons",
            f.person(qualification_categories=["司机"]),
            "qualification_categories",
            "unknown value",
        ),
        ("tanks", f.tank(tank_code="L5BN"), "tank_code", ""),
        (
            "tanks",
            f.tank(inspected_on="2027-01-01", next_inspection_due="2026-12-31"),
            "next_inspection_due",
            "before",
        ),
        (
            "tanks",
            f.tank(media=[{"un_number": "9999", "name": "x"}]),
            "media.0.un_number",
            "product master",
        ),
        ("tanks", f.tank(media="UN1203"), "media", "not understood"),
        ("persons", {"name": "x"}, "id_number", "required"),
    ],
)
def test_bad_input_names_each_field(
    client: FlaskClient, auth: Any, res: str, body: dict[str, Any], field: str, fragment: str
) -> None:
    resp = client.post(f"/api/v1/{res}", json=body, headers=auth("admin"))
    assert resp.status_code == 422, resp.json
    assert resp.json["code"] == "validation_failed"
    errors = resp.json["errors"]
    flat = _flatten(errors)
    assert field in flat, errors
    message = " ".join(flat[field])
    assert fragment.lower() in message.lower()
    assert " / " in message, "messages carry Chinese and English"
    assert client.get(f"/api/v1/{res}", headers=auth("admin")).json["total"] == 0


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(errors, list):
        out[prefix] = [str(e) for e in errors]
        return out
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = [str(v) for v in value]
    return out


@pytest.mark.parametrize(
    "body", [b"not json", b"[1,2]", b"null", b'{"plate": ' + b"9" * 5000 + b"}"]
)
def test_malformed_bodies_get_4xx(client: FlaskClient, auth: Any, body: bytes) -> None:
    resp = client.post(
        "/api/v1/vehicles", data=body, content_type="application/json", headers=auth("admin")
    )
    assert 400 <= resp.status_code < 500
    assert "code" in resp.json


def test_update_needs_the_version_read(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "vehicles", f.vehicle())
    missing = client.patch(
        "/api/v1/vehicles/黑D12345", json={"rated_load_kg": 1}, headers=auth("admin")
    )
    assert missing.status_code == 422 and "version" in missing.json["errors"]
    first = client.patch(
        "/api/v1/vehicles/黑D12345",
        json={"version": 1, "rated_load_kg": 31000},
        headers=auth("admin"),
    )
    assert first.status_code == 200 and first.json["version"] == 2
    stale = client.patch(
        "/api/v1/vehicles/黑D12345",
        json={"version": 1, "rated_load_kg": 32000},
        headers=auth("enterprise"),
    )
    assert stale.status_code == 409 and stale.json["code"] == "version_conflict"
    assert (
        client.get("/api/v1/vehicles/黑D12345", headers=auth("admin")).json["rated_load_kg"]
        == 31000
    )


def test_natural_key_cannot_change(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "vehicles", f.vehicle())
    resp = client.patch(
        "/api/v1/vehicles/黑D12345", json={"version": 1, "plate": "黑D22222"}, headers=auth("admin")
    )
    assert resp.status_code == 422 and "plate" in resp.json["errors"]


def test_duplicate_key_is_a_conflict(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "vehicles", f.vehicle())
    resp = client.post("/api/v1/vehicles", json=f.vehicle(plate="黑D·12345"), headers=auth("admin"))
    assert resp.status_code == 409


def test_history_keeps_who_when_before_after(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "persons", f.person(), role="enterprise")
    client.patch(
        f"/api/v1/persons/{f.DRIVER}",
        json={"version": 1, "phone": "13900000000"},
        headers=auth("admin"),
    )
    client.post(
        f"/api/v1/persons/{f.DRIVER}/deactivate", json={"version": 2}, headers=auth("admin")
    )
    items = client.get(f"/api/v1/persons/{f.DRIVER}/history", headers=auth("regulator")).json[
        "items"
    ]
    assert [(i["action"], i["version"]) for i in items] == [
        ("create", 1),
        ("update", 2),
        ("deactivate", 3),
    ]
    assert items[0]["actor"] == "enterprise:test-enterprise" and items[0]["before"] is None
    assert items[1]["before"]["phone"] is None and items[1]["after"]["phone"] == "13900000000"
    assert items[2]["after"]["status"] == "inactive"
    assert all(i["at"] for i in items)


def test_deactivated_records_are_kept_but_not_listed(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "vehicles", f.vehicle())
    client.post("/api/v1/vehicles/黑D12345/deactivate", json={"version": 1}, headers=auth("admin"))
    assert client.get("/api/v1/vehicles", headers=auth("admin")).json["total"] == 0
    listed = client.get("/api/v1/vehicles?include_inactive=1", headers=auth("admin")).json
    assert listed["total"] == 1 and listed["items"][0]["status"] == "inactive"
    assert client.get("/api/v1/vehicles/黑D12345", headers=auth("admin")).status_code == 200


def test_waybill_deactivation_cancels_it(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "waybills", f.payloads()["waybills"])
    body = client.post(
        "/api/v1/waybills/YD-1/deactivate", json={"version": 1}, headers=auth("admin")
    ).json
    assert body["status"] == "cancelled" and body["record_status"] == "inactive"


def test_filters_and_pagination(client: FlaskClient, auth: Any) -> None:
    for i in range(7):
        _create(
            client,
            auth,
            "vehicles",
            f.vehicle(plate=f"黑D1000{i}", carrier_uscc=f.CARRIER if i % 2 else f.OTHER_CARRIER),
        )
    page = client.get("/api/v1/vehicles?per_page=3&page=2", headers=auth("admin")).json
    assert (page["total"], len(page["items"]), page["page"]) == (7, 3, 2)
    mine = client.get(f"/api/v1/vehicles?carrier_uscc={f.CARRIER}", headers=auth("admin")).json
    assert mine["total"] == 3
    bad = client.get("/api/v1/vehicles?per_page=0", headers=auth("admin"))
    assert bad.status_code == 422 and "per_page" in bad.json["errors"]
    bad = client.get("/api/v1/vehicles?carrier_uscc=123", headers=auth("admin"))
    assert bad.status_code == 422 and "carrier_uscc" in bad.json["errors"]


def test_enterprise_lists_only_its_own_but_may_look_up_any(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "vehicles", f.vehicle(), role="enterprise")
    assert client.get("/api/v1/vehicles", headers=auth("enterprise2")).json["total"] == 0
    assert client.get("/api/v1/vehicles/黑D12345", headers=auth("enterprise2")).status_code == 200
    patch = client.patch(
        "/api/v1/vehicles/黑D12345",
        json={"version": 1, "rated_load_kg": 1},
        headers=auth("enterprise2"),
    )
    assert patch.status_code == 403


def test_year_month_dates_mean_month_end(client: FlaskClient, auth: Any) -> None:
    body = _create(client, auth, "tanks", f.tank(next_inspection_due="2028-02"))
    assert body["next_inspection_due"] == "2028-02-29"


def test_unknown_record_and_resource(client: FlaskClient, auth: Any) -> None:
    assert client.get("/api/v1/vehicles/黑D00000", headers=auth("admin")).status_code == 404
    assert client.get("/api/v1/spaceships", headers=auth("admin")).status_code == 404
    assert client.get("/api/v1/spaceships", headers=auth("admin")).json["code"] == "not_found"


def test_expiring_lists_by_owner(client: FlaskClient, auth: Any) -> None:
    _create(client, auth, "persons", f.person(qualification_valid_until="2020-01-01"))
    _create(client, auth, "tanks", f.tank(next_inspection_due="2099-01"))
    body = client.get("/api/v1/expiring?within_days=30", headers=auth("admin")).json
    items = body["by_owner"][f.CARRIER]
    assert [(i["resource"], i["expired"]) for i in items] == [("persons", True)]
    assert client.get("/api/v1/expiring?within_days=x", headers=auth("admin")).status_code == 422
