"""Bulk import and export: CSV and XLSX, Chinese or English headers, all or nothing, upsert."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook
from openpyxl import load_workbook

from tests import factories as f

ZH_VEHICLE = [
    "车牌号",
    "车辆类型",
    "承运人统一社会信用代码",
    "核定载质量(kg)",
    "行驶证检验有效期至",
    "道路运输证经营范围",
]


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _post(
    client: FlaskClient,
    auth: Any,
    res: str,
    data: bytes,
    name: str,
    query: str = "",
    role: str = "admin",
) -> Any:
    return client.post(
        f"/api/v1/{res}/import{query}", headers=auth(role), data={"file": (io.BytesIO(data), name)}
    )


GOOD = [
    ZH_VEHICLE,
    ["黑D10001", "tractor", f.CARRIER, "30000", "2027-05", "3;8"],
    ["黑D·10002", "tractor", f.CARRIER, "31000", "2027-05-31", "3；8"],
    ["黑D1003挂", "trailer", f.CARRIER, "32000", "2027/05/31", ""],
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_then_reimport_changes_nothing(client: FlaskClient, auth: Any, fmt: str) -> None:
    data = _csv(GOOD) if fmt == "csv" else _xlsx(GOOD)
    first = _post(client, auth, "vehicles", data, f"v.{fmt}")
    assert first.status_code == 200, first.json
    assert (first.json["created"], first.json["updated"], first.json["unchanged"]) == (3, 0, 0)
    again = _post(client, auth, "vehicles", data, f"v.{fmt}")
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 3)
    body = client.get("/api/v1/vehicles/黑D10002", headers=auth("admin")).json
    assert body["version"] == 1 and body["permit_scope"] == ["3", "8"]
    assert body["registration_valid_until"] == "2027-05-31"
    history = client.get("/api/v1/vehicles/黑D10002/history", headers=auth("admin")).json["items"]
    assert [h["action"] for h in history] == ["import"]


def test_reimport_with_a_change_updates_only_that_row(client: FlaskClient, auth: Any) -> None:
    _post(client, auth, "vehicles", _csv(GOOD), "v.csv")
    changed = [row[:] for row in GOOD]
    changed[1][3] = "29000"
    resp = _post(client, auth, "vehicles", _csv(changed), "v.csv")
    assert (resp.json["created"], resp.json["updated"], resp.json["unchanged"]) == (0, 1, 2)
    assert client.get("/api/v1/vehicles/黑D10001", headers=auth("admin")).json["version"] == 2


def test_bad_rows_reject_the_whole_file(client: FlaskClient, auth: Any) -> None:
    rows = GOOD + [
        ["黑I99999", "bus", f.CARRIER, "-5", "2027-05", ""],
        ["黑D10001", "tractor", "123", "1", "someday", ""],
    ]
    resp = _post(client, auth, "vehicles", _csv(rows), "v.csv")
    assert resp.status_code == 422
    assert resp.json["code"] == "import_rejected"
    errors = {e["row"]: e["errors"] for e in resp.json["errors"]["errors"]}
    assert set(errors) == {5, 6}
    assert set(errors[5]) == {"plate", "kind", "rated_load_kg"}
    assert set(errors[6]) >= {"carrier_uscc", "registration_valid_until", "plate"}  # repeated key
    assert client.get("/api/v1/vehicles", headers=auth("admin")).json["total"] == 0


def test_partial_import_writes_the_good_rows(client: FlaskClient, auth: Any) -> None:
    rows = GOOD + [["黑I99999", "tractor", f.CARRIER, "1", "2027-05", ""]]
    resp = _post(client, auth, "vehicles", _csv(rows), "v.csv", "?partial=1")
    assert resp.status_code == 200
    assert resp.json["created"] == 3 and [e["row"] for e in resp.json["errors"]] == [5]


def test_unknown_header_is_reported_before_rows(client: FlaskClient, auth: Any) -> None:
    resp = _post(client, auth, "vehicles", _csv([["车牌号", "颜色"], ["黑D10001", "红"]]), "v.csv")
    assert resp.status_code == 422 and "column 2" in resp.json["errors"]


@pytest.mark.parametrize(
    "data,name", [(b"", "v.csv"), (b"\x00\x01garbage", "v.xlsx"), (b"plate\n", "v.txt.exe")]
)
def test_unreadable_files_get_4xx(client: FlaskClient, auth: Any, data: bytes, name: str) -> None:
    resp = _post(client, auth, "vehicles", data, name)
    assert resp.status_code == 422, resp.json


def test_enterprise_cannot_import_others_records(client: FlaskClient, auth: Any) -> None:
    resp = _post(client, auth, "vehicles", _csv(GOOD), "v.csv", role="enterprise2")
    assert resp.status_code == 422
    assert client.get("/api/v1/vehicles", headers=auth("admin")).json["total"] == 0


@pytest.mark.parametrize("res", list(f.KEYS))
@pytest.mark.parametrize(("fmt", "lang"), [("csv", "zh"), ("xlsx", "en")])
def test_export_reads_back_unchanged(
    client: FlaskClient, auth: Any, res: str, fmt: str, lang: str
) -> None:
    if res == "site_products":
        client.post("/api/v1/sites", json=f.payloads()["sites"], headers=auth("admin"))
    assert (
        client.post(f"/api/v1/{res}", json=f.payloads()[res], headers=auth("admin")).status_code
        == 201
    )
    exported = client.get(f"/api/v1/{res}/export?format={fmt}&lang={lang}", headers=auth("admin"))
    assert exported.status_code == 200
    if fmt == "xlsx":
        header = next(load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True))
        assert "owner" in header
    resp = _post(client, auth, res, exported.data, f"x.{fmt}")
    assert resp.status_code == 200, resp.json
    assert (resp.json["unchanged"], resp.json["updated"], resp.json["created"]) == (1, 0, 0)


def test_waybill_goods_and_tank_media_cells(client: FlaskClient, auth: Any) -> None:
    rows = [
        ["罐体编号", "罐体类型", "适装介质列表"],
        ["TK-9", "atmospheric", "UN1203 汽油 II； UN1230 甲醇 II"],
    ]
    assert _post(client, auth, "tanks", _csv(rows), "t.csv").status_code == 200
    media = client.get("/api/v1/tanks/TK-9", headers=auth("admin")).json["media"]
    assert media == [
        {"un_number": "1203", "name": "汽油", "packing_group": "II"},
        {"un_number": "1230", "name": "甲醇", "packing_group": "II"},
    ]
    rows = [["运单编号", "货物"], ["YD-9", "UN1203 汽油 3 II 18000; UN1230 甲醇 3 II 500.5kg"]]
    assert _post(client, auth, "waybills", _csv(rows), "w.csv").status_code == 200
    goods = client.get("/api/v1/waybills/YD-9", headers=auth("admin")).json["goods"]
    assert goods[1] == {
        "un_number": "1230",
        "name": "甲醇",
        "class": "3",
        "packing_group": "II",
        "quantity_kg": 500.5,
    }


def test_tank_provisions_and_portable_instructions_import(client: FlaskClient, auth: Any) -> None:
    rows = [
        ["罐体编号", "罐体类型", "罐体代码", "罐体特殊规定"],
        ["TK-P1", "portable", "t11", ""],
        ["TK-C1", "tank_container", "L4BH", "TE19；TA4"],
    ]
    assert _post(client, auth, "tanks", _csv(rows), "t.csv").status_code == 200
    portable = client.get("/api/v1/tanks/TK-P1", headers=auth("admin")).json
    container = client.get("/api/v1/tanks/TK-C1", headers=auth("admin")).json
    assert (portable["tank_code"], portable["special_provisions"]) == ("T11", [])
    assert (container["tank_code"], container["special_provisions"]) == ("L4BH", ["TE19", "TA4"])
    crossed = [rows[0], ["TK-P2", "portable", "L4BH", ""], ["TK-C2", "tank_container", "T11", ""]]
    resp = _post(client, auth, "tanks", _csv(crossed), "t.csv")
    assert resp.status_code == 422
    errors = {e["row"]: e["errors"] for e in resp.json["errors"]["errors"]}
    assert set(errors) == {2, 3} and all(set(e) == {"tank_code"} for e in errors.values())
    assert client.get("/api/v1/tanks/TK-P2", headers=auth("admin")).status_code == 404
