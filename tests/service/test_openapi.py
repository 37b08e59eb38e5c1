"""The OpenAPI document describes every route the service has."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from gate_service.records.registry import RESOURCES


def _documented_forms(rule: str) -> set[str]:
    rule = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule).replace("{res}", "{resource}")
    if "{resource}" not in rule:
        return {rule}
    return {rule.replace("{resource}", name) for name in RESOURCES}


def test_every_route_is_documented(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        missing = _documented_forms(rule.rule) - paths
        assert not missing, f"{rule.rule} is not in the OpenAPI document: {sorted(missing)[:3]}"


def test_schemas_carry_the_fields_of_the_data_dictionary(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert {"plate", "rated_load_kg", "transport_permit_valid_until"} <= set(
        schemas["Vehicle"]["properties"])
    assert {"media", "next_inspection_due", "tank_code"} <= set(schemas["Tank"]["properties"])
    assert {"site", "gate", "scans", "idempotency_key"} <= set(
        schemas["Verification"]["properties"])
