"""The decision log: append-only, hash-chained per site, and every kind of tampering is found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gate_service.db import get_engine
from gate_service.db import new_session
from gate_service.decisions import chain
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

pytestmark = pytest.mark.usefixtures("demo")
SECRET = "dev-only-not-secret"


@pytest.fixture
def logged(app: Flask, client: FlaskClient, auth: Any) -> list[dict[str, Any]]:
    """Five decisions at site JMS01."""
    out = []
    for i in range(5):
        scans = BAD_SCANS if i % 2 else None
        out.append(
            client.post(
                "/api/v1/verifications", json=visit(scans, gate="G1"), headers=auth("operator")
            ).json
        )
    return out


def _verify(app: Flask) -> chain.ChainReport:
    with app.app_context(), new_session() as session:
        return chain.verify_site(session, "JMS01", SECRET)


@pytest.fixture
def tamper(app: Flask) -> Iterator[Any]:
    """Run raw SQL with the append-only triggers lifted, as an attacker with DB access would."""
    with app.app_context():
        engine = get_engine()
        pg = engine.dialect.name == "postgresql"

        def run(sql: str, **params: Any) -> None:
            with engine.begin() as conn:
                for table in ("decisions", "decision_reasons"):
                    if pg:
                        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                    else:
                        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
                conn.execute(text(sql), params)
                for table in ("decisions", "decision_reasons") if pg else ():
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))

        yield run


def test_intact_chain_verifies(app: Flask, logged: list[dict[str, Any]]) -> None:
    report = _verify(app)
    assert report.ok and report.rows == 5 and report.head_seq == 5
    assert [d["log"]["seq"] for d in logged] == [1, 2, 3, 4, 5]


def test_the_database_refuses_update_and_delete(app: Flask, logged: list[dict[str, Any]]) -> None:
    with app.app_context():
        for sql in ("UPDATE decisions SET outcome = 'ALLOW'", "DELETE FROM decisions"):
            with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as conn:
                conn.execute(text(sql))
    assert _verify(app).ok


def test_edited_row_is_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    tamper("UPDATE decisions SET outcome = 'ALLOW' WHERE seq = 2")
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 2 and "outcome" in (report.problem or "")
    assert report.first_bad_id == logged[1]["decision_id"]


def test_edited_body_is_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    with app.app_context(), new_session() as session:
        body = json.loads(
            session.execute(text("SELECT body FROM decisions WHERE seq = 4")).scalar()
        )
    body["reasons"] = []
    tamper("UPDATE decisions SET body = :b WHERE seq = 4", b=chain.canonical(body))
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 4 and "hash" in (report.problem or "")


def test_deleted_row_is_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    tamper("DELETE FROM decision_reasons")
    tamper("DELETE FROM decisions WHERE seq = 3")
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 4 and "deleted" in (report.problem or "")


def test_deleted_newest_row_is_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    tamper("DELETE FROM decision_reasons")
    tamper("DELETE FROM decisions WHERE seq = 5")
    report = _verify(app)
    assert not report.ok and "newest rows were deleted" in (report.problem or "")


def test_inserted_row_is_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    # A forged row squeezed in as #3, everything after shifted up by one.
    tamper("UPDATE decisions SET seq = seq + 100 WHERE seq >= 3")
    tamper("UPDATE decisions SET seq = seq - 99 WHERE seq >= 100")
    tamper(
        "INSERT INTO decisions (decision_id, site_code, gate, seq, created_at, local_date, kind, "
        "outcome, operator, highly_toxic, high_risk, ruleset_id, ruleset_version, latency_ms, "
        "body, pii, prev_hash, hash) SELECT 'forged', site_code, gate, 3, created_at, "
        "local_date, kind, 'ALLOW', operator, highly_toxic, high_risk, ruleset_id, "
        "ruleset_version, latency_ms, body, pii, hash, hash FROM decisions WHERE seq = 2"
    )
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 3


def test_reordered_rows_are_found(app: Flask, logged: list[dict[str, Any]], tamper: Any) -> None:
    tamper("UPDATE decisions SET seq = 100 WHERE seq = 2")
    tamper("UPDATE decisions SET seq = 2 WHERE seq = 3")
    tamper("UPDATE decisions SET seq = 3 WHERE seq = 100")
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 2


def test_edited_personal_data_is_found(
    app: Flask, logged: list[dict[str, Any]], tamper: Any
) -> None:
    with app.app_context(), new_session() as session:
        pii = session.execute(text("SELECT pii FROM decisions WHERE seq = 1")).scalar()
    pii = json.loads(pii) if isinstance(pii, str) else pii
    assert pii, "the raw ID numbers are kept outside the hashed body"
    path = next(iter(pii))
    pii[path] = "110105194912310021"
    tamper("UPDATE decisions SET pii = :p WHERE seq = 1", p=json.dumps(pii))
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 1 and "personal data" in (report.problem or "")


def test_chains_are_per_site(app: Flask, logged: list[dict[str, Any]]) -> None:
    with app.app_context(), new_session() as session:
        assert chain.sites_with_chains(session) == ["JMS01"]
        assert chain.verify_site(session, "OTHER", SECRET).ok
