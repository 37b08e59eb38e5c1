"""Every decision endpoint × every role, and each role's view of the log."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

pytestmark = pytest.mark.usefixtures("demo")
ROLES = ("admin", "plant", "enterprise", "enterprise2", "operator", "supervisor", "regulator", None)
GATE_STAFF = {"admin", "operator", "supervisor"}


def _h(auth: Any, role: str | None) -> dict[str, str]:
    return auth(role) if role else {}


def _want(role: str | None, allowed: set[str], ok: int) -> int:
    if role is None:
        return 401
    return ok if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_verify_and_complete(client: FlaskClient, auth: Any, role: str | None) -> None:
    resp = client.post("/api/v1/verifications", json=visit(), headers=_h(auth, role))
    assert resp.status_code == _want(role, GATE_STAFF, 200), resp.json
    allowed = client.post(
        "/api/v1/verifications", json=visit(key="k-allowed"), headers=auth("operator")
    ).json
    if allowed["outcome"] != "ALLOW":  # the first request of a gate role already used the waybill
        allowed = resp.json
    done = client.post(
        f"/api/v1/verifications/{allowed['decision_id']}/completion",
        json={"quantity_kg": 18000},
        headers=_h(auth, role),
    )
    assert done.status_code == _want(role, GATE_STAFF, 201), done.json


@pytest.mark.parametrize("role", ROLES)
def test_override_and_approval(client: FlaskClient, auth: Any, role: str | None) -> None:
    refused = client.post(
        "/api/v1/verifications", json=visit(BAD_SCANS), headers=auth("operator")
    ).json
    url = f"/api/v1/verifications/{refused['decision_id']}"
    resp = client.post(
        f"{url}/override",
        json={"reason": "整改完毕，现场复核无误，准予装货"},
        headers=_h(auth, role),
    )
    assert resp.status_code == _want(role, {"supervisor"}, 201), resp.json
    approval = client.post(f"{url}/approval", json={"reason": "同意"}, headers=_h(auth, role))
    # No 剧毒 goods here, so there is never a request awaiting approval.
    assert approval.status_code == _want(role, {"supervisor"}, 409), approval.json


@pytest.mark.parametrize("role", ROLES)
def test_classify(client: FlaskClient, auth: Any, role: str | None) -> None:
    resp = client.post(
        "/api/v1/codes/classify",
        json={"site": "JMS01", "texts": ["黑D12345"]},
        headers=_h(auth, role),
    )
    assert resp.status_code == _want(role, GATE_STAFF, 200), resp.json


# Who sees the decision of a JMS01 gate about a vehicle of CARRIER: everyone but the other carrier.
SEES = {"admin", "plant", "enterprise", "operator", "supervisor", "regulator"}


@pytest.mark.parametrize("role", ROLES)
def test_reading_the_log(client: FlaskClient, auth: Any, role: str | None) -> None:
    decision = client.post("/api/v1/verifications", json=visit(), headers=auth("operator")).json
    did = decision["decision_id"]
    h = _h(auth, role)
    listed = client.get("/api/v1/decisions", headers=h)
    one = client.get(f"/api/v1/decisions/{did}", headers=h)
    gate_view = client.get(f"/api/v1/verifications/{did}", headers=h)
    stats = client.get("/api/v1/decisions/stats?by=outcome", headers=h)
    export = client.get("/api/v1/decisions/export?format=json", headers=h)
    if role is None:
        assert {r.status_code for r in (listed, one, gate_view, stats, export)} == {401}
        return
    assert listed.status_code == 200 and stats.status_code == 200
    assert listed.json["total"] == (1 if role in SEES else 0)
    assert one.status_code == (200 if role in SEES else 404)
    assert gate_view.status_code == (200 if role in SEES else 404)
    assert export.status_code == (
        200 if role in {"admin", "plant", "enterprise", "enterprise2", "regulator"} else 403
    )


def test_operators_of_another_site_see_nothing(client: FlaskClient, auth: Any, app: Any) -> None:
    from gate_service.auth import issue_token
    from gate_service.db import new_session

    client.post("/api/v1/verifications", json=visit(), headers=auth("operator"))
    with app.app_context(), new_session() as session, session.begin():
        other = issue_token(session, name="x", role="operator", site_code="XYZ01")
    listed = client.get("/api/v1/decisions", headers={"Authorization": f"Bearer {other}"}).json
    assert listed["total"] == 0
