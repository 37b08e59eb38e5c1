"""Hostile and random input: every endpoint answers with a 4xx and the error shape, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from gate_service.records.registry import RESOURCES
from tests.service.visits import visit

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12,
)


def _fields(res: str) -> list[str]:
    return list(RESOURCES[res].instance.fields) + ["version", "__proto__", "x" * 300]


@st.composite
def record_bodies(draw: Any, res: str) -> Any:
    names = _fields(res)
    if draw(st.booleans()):
        return draw(JSON)
    return draw(st.dictionaries(st.sampled_from(names), JSON, max_size=8))


@st.composite
def verification_bodies(draw: Any) -> Any:
    base = visit()
    key = draw(st.sampled_from([*base, "extra"]))
    base[key] = draw(JSON)
    return base


def _check(resp: Any) -> None:
    assert resp.status_code < 500, (resp.status_code, resp.data[:300])
    if resp.status_code >= 400:
        assert {"code", "message"} <= set(resp.json)


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("res", sorted(RESOURCES))
def test_records_never_500(app: Flask, tokens: dict[str, str], res: str) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}

    @FUZZ
    @given(body=record_bodies(res))
    def run(body: Any) -> None:
        _check(client.post(f"/api/v1/{res}", json=body, headers=headers))
        _check(client.patch(f"/api/v1/{res}/x", json=body, headers=headers))

    run()


def test_verifications_never_500(app: Flask, tokens: dict[str, str], demo: None) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['operator']}"}

    @FUZZ
    @given(body=verification_bodies())
    def run(body: Any) -> None:
        _check(client.post("/api/v1/verifications", json=body, headers=headers))
        _check(client.post("/api/v1/codes/classify", json=body, headers=headers))

    run()


@pytest.mark.parametrize("path", ["/api/v1/vehicles?page=-1", "/api/v1/vehicles?per_page=9999999",
                                  "/api/v1/decisions?since=%00", "/api/v1/decisions/stats?by=%FF",
                                  "/api/v1/vehicles/%00%01", "/api/v1/products?un_number=abc",
                                  "/api/v1/expiring?within_days=-3"])
def test_hostile_query_strings(app: Flask, tokens: dict[str, str], path: str) -> None:
    resp = app.test_client().get(path, headers={"Authorization": f"Bearer {tokens['admin']}"})
    _check(resp)


def test_oversized_body_is_413(app: Flask, tokens: dict[str, str]) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = app.test_client().post("/api/v1/vehicles", data=b"x" * 4096,
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert resp.status_code == 413 and resp.json["code"]
