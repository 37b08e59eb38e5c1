"""The product master API: listing, filters, paging, single lookups, bad input and roles."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

READ_ROLES = ("admin", "enterprise", "operator", "supervisor", "regulator")
ENDPOINTS = ("/api/v1/products", "/api/v1/products/1203", "/api/v1/catalogue",
             "/api/v1/catalogue/7782-50-5")


def _get(client: FlaskClient, auth: Any, url: str, status: int = 200) -> Any:
    resp = client.get(url, headers=auth("admin"))
    assert resp.status_code == status, (resp.status_code, resp.json)
    return resp.json


def test_list_products_pages_through_all_rows(client: FlaskClient, auth: Any) -> None:
    body = _get(client, auth, "/api/v1/products")
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (3374, 1, 50, 50)
    assert (body["items"][0]["un_number"], body["items"][0]["variant"]) == ("0004", 1)
    last = _get(client, auth, "/api/v1/products?page=7&per_page=500")
    assert len(last["items"]) == 3374 - 6 * 500
    assert _get(client, auth, "/api/v1/products?page=99")["items"] == []


def test_list_products_filters(client: FlaskClient, auth: Any) -> None:
    diesel = _get(client, auth, "/api/v1/products?un_number=UN1202")
    assert diesel["total"] == 9
    assert {i["name_zh"] for i in diesel["items"]} == {"柴油"}
    assert _get(client, auth, "/api/v1/products?adr_class=6.1")["total"] == 764
    petrol = _get(client, auth, "/api/v1/products?q=汽油")
    assert [i["un_number"] for i in petrol["items"]] == ["1203"] * 3
    assert _get(client, auth, "/api/v1/products?q=motor spirit")["total"] >= 1
    assert _get(client, auth, "/api/v1/products?q=100%25_")["total"] == 0  # wildcards are literal


def test_get_product_with_variants_and_converted_tank_codes(client: FlaskClient,
                                                            auth: Any) -> None:
    chlorine = _get(client, auth, "/api/v1/products/1017")
    assert chlorine["name_zh"] == "氯（液氯）"
    [row] = chlorine["variants"]
    assert (row["adr_class"], row["tank_codes"], row["tank_vehicle"]) == ("2", ["P22DH(M)"], "AT")
    assert row["carriage_prohibited"] is False and row["subject_to_adr"] is True
    crude = _get(client, auth, "/api/v1/products/UN1267")
    assert crude["variants"][1]["tank_codes"] == ["L1.5BN"]
    assert crude["name_zh"] == "石油原油"
    prohibited = _get(client, auth, "/api/v1/products/1798")
    assert prohibited["variants"][0]["carriage_prohibited"] is True


def test_unknown_product_is_404(client: FlaskClient, auth: Any) -> None:
    body = _get(client, auth, "/api/v1/products/9999", 404)
    assert body["code"] == "not_found" and " / " in body["message"]


def test_catalogue_filters(client: FlaskClient, auth: Any) -> None:
    assert _get(client, auth, "/api/v1/catalogue")["total"] == 2829
    assert _get(client, auth, "/api/v1/catalogue?highly_toxic=true")["total"] == 148
    assert _get(client, auth, "/api/v1/catalogue?highly_toxic=false")["total"] == 2829 - 148
    assert _get(client, auth, "/api/v1/catalogue?explosive_precursor=1")["total"] == 72
    assert _get(client, auth, "/api/v1/catalogue?high_risk=true")["total"] == 6
    chlorine = _get(client, auth, "/api/v1/catalogue?cas=7782-50-5")
    assert [(i["serial"], i["highly_toxic"]) for i in chlorine["items"]] == [(1381, True)]
    by_alias = _get(client, auth, "/api/v1/catalogue?q=硝化棉")
    assert 2208 in [i["serial"] for i in by_alias["items"]]


def test_get_catalogue_by_cas(client: FlaskClient, auth: Any) -> None:
    cyanide = _get(client, auth, "/api/v1/catalogue/143-33-9")
    assert (cyanide["highly_toxic"], cyanide["high_risk"]) == (True, True)
    assert cyanide["entries"][0]["serial"] == 1688
    nitrate = _get(client, auth, "/api/v1/catalogue/6484-52-2")
    assert (nitrate["explosive_precursor"], nitrate["high_risk"]) == (False, True)
    nitrocellulose = _get(client, auth, "/api/v1/catalogue/9004-70-0")
    assert nitrocellulose["explosive_precursor"] is True
    assert nitrocellulose["entries"][0]["precursor_serial"] == "9.1"
    assert len(_get(client, auth, "/api/v1/catalogue/7647-01-0")["entries"]) == 2
    assert _get(client, auth, "/api/v1/catalogue/7732-18-5", 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/products?page=abc", "page"),
        ("/api/v1/products?page=0", "page"),
        ("/api/v1/products?per_page=501", "per_page"),
        ("/api/v1/products?un_number=12", "un_number"),
        ("/api/v1/products?adr_class=10", "adr_class"),
        ("/api/v1/products?q=" + "x" * 101, "q"),
        ("/api/v1/products/12AB", "un_number"),
        ("/api/v1/catalogue?page=-1", "page"),
        ("/api/v1/catalogue?cas=7782-50-4", "cas"),
        ("/api/v1/catalogue?highly_toxic=maybe", "highly_toxic"),
        ("/api/v1/catalogue/not-a-cas", "cas"),
    ],
)
def test_bad_parameters_are_422_with_bilingual_messages(client: FlaskClient, auth: Any,
                                                       url: str, param: str) -> None:
    body = _get(client, auth, url, 422)
    assert body["code"] == "validation_failed"
    assert param in body["errors"]
    assert all(" / " in m for m in body["errors"][param])


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_role_may_read(client: FlaskClient, auth: Any, url: str) -> None:
    for role in READ_ROLES:
        assert client.get(url, headers=auth(role)).status_code == 200, role
    resp = client.get(url)
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_master_is_read_only(client: FlaskClient, auth: Any, method: str) -> None:
    resp = getattr(client, method)("/api/v1/products/1203", json={}, headers=auth("admin"))
    assert resp.status_code == 405
    assert set(resp.json) >= {"code", "message"}


def test_openapi_lists_the_product_paths(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/products", "/api/v1/products/{un_number}", "/api/v1/catalogue",
            "/api/v1/catalogue/{cas}"} <= set(paths)
