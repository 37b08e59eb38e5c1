"""Over real HTTP: a whole day at the gate, and two gates racing for one waybill."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text

from gate_service.cli.demo import ORDER
from gate_service.cli.demo import SAMPLE
from gate_service.db import get_engine
from gate_service.db import new_session
from gate_service.decisions import chain
from tests.live import call
from tests.live import serve
from tests.service.cli import gate
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit


def test_whole_scenario_over_http(app: Flask, tokens: dict[str, str], database_url: str) -> None:
    with serve(app) as base:
        for name in ORDER:  # the enterprise's files, imported as CSV with Chinese headers
            status, report = call(
                "POST",
                f"{base}/api/v1/{name}/import",
                tokens["admin"],
                (SAMPLE / f"{name}.csv").read_bytes(),
                "text/csv",
            )
            assert status == 200 and not report["errors"], (name, report)
        status, allowed = call("POST", f"{base}/api/v1/verifications", tokens["operator"], visit())
        assert (status, allowed["outcome"]) == (200, "ALLOW"), allowed
        status, refused = call(
            "POST", f"{base}/api/v1/verifications", tokens["operator"], visit(BAD_SCANS)
        )
        assert (status, refused["outcome"]) == (200, "REFUSE")
        status, done = call(
            "POST",
            f"{base}/api/v1/verifications/{allowed['decision_id']}/completion",
            tokens["operator"],
            {"quantity_kg": 17980, "seals": ["QF-1"]},
        )
        assert status == 201 and done["released"] is True
        status, waybill = call("GET", f"{base}/api/v1/waybills/YD2026112800001", tokens["admin"])
        assert waybill["status"] == "loaded"

    ok = gate(database_url, "audit", "verify", ok=False, timeout=120)
    assert ok.returncode == 0 and "OK, 2 decisions" in ok.stdout, ok.stdout + ok.stderr
    with app.app_context(), get_engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE decisions DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER decisions_no_update"))
        # Someone turns the refusal into an ALLOW after the fact.
        conn.execute(text("UPDATE decisions SET outcome = 'ALLOW' WHERE seq = 2"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE decisions ENABLE TRIGGER USER"))
    broken = gate(database_url, "audit", "verify", ok=False, timeout=120)
    assert broken.returncode == 1
    assert f"BROKEN at #2 (decision {refused['decision_id']})" in broken.stdout


def test_two_gates_one_waybill_at_most_one_allow(
    app: Flask, tokens: dict[str, str], demo: None
) -> None:
    racers = 8
    start = threading.Barrier(racers)

    def race(i: int) -> dict[str, Any]:
        start.wait()
        status, body = call(
            "POST",
            base + "/api/v1/verifications",
            tokens["operator"],
            visit(gate="G1" if i % 2 else "G2"),
        )
        assert status == 200, body
        return body

    with serve(app) as base, ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(race, range(racers)))
    outcomes = sorted(r["outcome"] for r in results)
    assert outcomes == ["ALLOW"] + ["REFUSE"] * (racers - 1)
    for r in results:
        if r["outcome"] == "REFUSE":
            assert [x["code"] for x in r["reasons"]] == ["WAYBILL_ALREADY_USED"]
    assert sorted(r["log"]["seq"] for r in results) == list(range(1, racers + 1))
    with app.app_context(), new_session() as session:
        assert chain.verify_site(session, "JMS01", "dev-only-not-secret").ok


def test_same_key_from_two_threads_gives_one_decision(
    app: Flask, tokens: dict[str, str], demo: None
) -> None:
    start = threading.Barrier(4)
    body = visit(key="retry-after-timeout-1")

    def send(_: int) -> str:
        start.wait()
        return call("POST", base + "/api/v1/verifications", tokens["operator"], body)[1][
            "decision_id"
        ]

    with serve(app) as base, ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(send, range(4)))
    assert len(ids) == 1


def test_database_down_means_503_never_allow(
    app: Flask, tokens: dict[str, str], demo: None, tmp_path: Path
) -> None:
    from gate_service import create_app

    broken = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/gate.db", "TESTING": True}
    )
    with serve(broken) as base:
        status, body = call("POST", base + "/api/v1/verifications", tokens["operator"], visit())
    assert status == 503 and body["code"] == "unavailable"
