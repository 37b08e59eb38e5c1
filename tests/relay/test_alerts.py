"""Alerts: expiring certificates per site and enterprise, broken chains; queued, then published."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy import text

from gate_service import models as m
from gate_service.cli.relay import alerts_group
from gate_service.records.expiry import expiring
from gate_service.relay import Relay
from gate_service.relay.alerts import ALERT_GATE
from tests.relay.gate import add_waybills
from tests.relay.gate import decide
from tests.relay.gate import good_visit
from tests.relay.subscriber import Collector
from tests.service.visits import BAD_SCANS
from tests.service.visits import visit

SITE_OWNER = "91230800MA1A00001W"
GOOD_CARRIER = "91230800MA1B00002J"
EXPIRED_CARRIER = "91230100MA1D00004R"  # its licence ran out in 2024; it has a waybill at JMS01
ID_NUMBER = re.compile(r"(?<![0-9])[1-8][0-9]{16}[0-9Xx](?![0-9])")


def test_expiring_alerts_one_per_site_and_enterprise_with_ids_masked(
        app: Flask, demo: None, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/+/alerts"])
    make_relay()
    result = app.test_cli_runner().invoke(alerts_group, ["expiring", "--within", "30"])
    assert result.exit_code == 0, result.output
    assert watcher.wait_for(lambda c: len(c.unique()) >= 1)
    with app.extensions["gate.sessionmaker"]() as session:
        rows = list(session.scalars(select(m.OutboxEvent)))
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        owners = {o for o in (SITE_OWNER, GOOD_CARRIER, EXPIRED_CARRIER)
                  if list(expiring(session, today, 30, o))}
    assert f"{len(rows)} alert(s) queued" in result.output
    assert {r.topic for r in rows} == {"loadgate/JMS01/alerts"} and len(rows) == len(owners)
    assert all(r.gate == ALERT_GATE and r.decision_id == r.payload["alert_id"] for r in rows)

    assert watcher.wait_for(lambda c: len(c.unique()) >= len(rows))
    assert watcher.invalid == []
    alerts = {a.payload["enterprise"]: a.payload for a in watcher.unique()}
    assert set(alerts) == owners and EXPIRED_CARRIER in alerts
    carrier = alerts[EXPIRED_CARRIER]
    assert carrier["kind"] == "certificates_expiring" and carrier["severity"] == "critical"
    assert carrier["enterprise_name"] == "哈尔滨北安物流有限公司" and carrier["expired"] >= 1
    assert {"carriers", "persons", "vehicles"} <= {i["resource"] for i in carrier["items"]}
    licence = next(i for i in carrier["items"] if i["resource"] == "carriers")
    assert licence["valid_until"] == "2024-06-30" and licence["expired"] is True
    assert not ID_NUMBER.search(json.dumps(carrier, ensure_ascii=False)), "ID numbers leak"
    assert any("********" in i["key"] for i in carrier["items"] if i["resource"] == "persons")


def test_chain_alert_names_the_broken_site_and_exits_1(
        app: Flask, demo: None, make_relay: Callable[..., Relay],
        make_collector: Callable[..., Collector]) -> None:
    watcher = make_collector(["loadgate/+/alerts"])
    make_relay()
    decide(app, good_visit(add_waybills(app, 1)[0]))
    refused = decide(app, visit(BAD_SCANS))
    decide(app, visit(BAD_SCANS))
    runner = app.test_cli_runner()
    intact = runner.invoke(alerts_group, ["chain"])
    assert intact.exit_code == 0 and "JMS01: OK, 3 decisions" in intact.output

    engine = app.extensions["gate.engine"]
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:  # a tamperer with database access lifts the append-only guard
        conn.execute(text("ALTER TABLE decisions DISABLE TRIGGER USER") if pg
                     else text("DROP TRIGGER IF EXISTS decisions_no_update"))
        conn.execute(text("UPDATE decisions SET outcome = 'ALLOW' WHERE decision_id = :d"),
                     {"d": refused.decision_id})
        if pg:
            conn.execute(text("ALTER TABLE decisions ENABLE TRIGGER USER"))
    broken = runner.invoke(alerts_group, ["chain"])
    assert broken.exit_code == 1 and "JMS01: BROKEN at #2" in broken.output
    assert watcher.wait_for(lambda c: len(c.unique()) >= 1)
    assert watcher.invalid == []
    (alert,) = [r.payload for r in watcher.unique()]
    assert alert["kind"] == "chain_broken" and alert["severity"] == "critical"
    assert alert["site"] == "JMS01" and alert["first_bad_seq"] == 2
    assert alert["first_bad_id"] == refused.decision_id and "outcome" in alert["problem"]
