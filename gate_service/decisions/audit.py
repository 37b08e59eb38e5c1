"""Read the decision log for audits: scoped lists, counts, exports, and replay of a decision."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from rules import model as rm
from rules.profile import parse_profile

from .. import models as m
from ..auth import Caller
from ..errors import Forbidden
from ..errors import NotFound
from .facts import from_json
from .pii import unseal


def scope(stmt: Select[Any], session: Session, caller: Caller) -> Select[Any]:
    """Limit a decision query to what the caller may see."""
    if caller.role in ("admin", "regulator"):
        return stmt
    if caller.role in ("operator", "supervisor"):
        return stmt.where(m.DecisionRow.site_code == caller.site_code)
    if caller.role == "enterprise":
        own_sites = select(m.Site.code).where(m.Site.owner_uscc == caller.enterprise_uscc)
        return stmt.where(
            or_(
                m.DecisionRow.site_code.in_(own_sites),
                m.DecisionRow.carrier_uscc == caller.enterprise_uscc,
            )
        )
    raise Forbidden("无权查看决定 / may not read decisions")


def visible_decision(session: Session, caller: Caller, decision_id: str) -> m.DecisionRow:
    """One decision the caller may see, or 404."""
    stmt = scope(
        select(m.DecisionRow).where(m.DecisionRow.decision_id == decision_id), session, caller
    )
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("无此决定 / no such decision")
    return row


@dataclass
class Filters:
    """Audit filters; every one optional."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    site: str | None = None
    gate: str | None = None
    outcome: str | None = None
    reason: str | None = None
    carrier: str | None = None
    plate: str | None = None
    un_number: str | None = None
    high_risk: bool | None = None
    highly_toxic: bool | None = None


def filtered(session: Session, caller: Caller, f: Filters) -> Select[Any]:
    """The decisions matching the filters, within the caller's scope."""
    d = m.DecisionRow
    stmt = select(d)
    conditions = [
        (f.since, lambda v: d.created_at >= v),
        (f.until, lambda v: d.created_at < v),
        (f.site, lambda v: d.site_code == v),
        (f.gate, lambda v: d.gate == v),
        (f.outcome, lambda v: d.outcome == v),
        (f.carrier, lambda v: d.carrier_uscc == v),
        (f.plate, lambda v: d.vehicle_plate == v),
        (f.un_number, lambda v: d.un_number == v),
        (f.high_risk, lambda v: d.high_risk == v),
        (f.highly_toxic, lambda v: d.highly_toxic == v),
        (
            f.reason,
            lambda v: d.id.in_(
                select(m.DecisionReason.decision_id).where(m.DecisionReason.code == v)
            ),
        ),
    ]
    for value, condition in conditions:
        if value is not None:
            stmt = stmt.where(condition(value))
    return scope(stmt, session, caller)


def summary(row: m.DecisionRow) -> dict[str, Any]:
    """A decision as audit lists show it (personal ID numbers masked)."""
    body = json.loads(row.body)
    return {
        "decision_id": row.decision_id,
        "created_at": body["created_at"],
        "local_date": body["local_date"],
        "site": row.site_code,
        "gate": row.gate,
        "kind": row.kind,
        "outcome": row.outcome,
        "overrides": row.overrides,
        "operator": row.operator,
        "waybill_no": row.waybill_no,
        "carrier_uscc": row.carrier_uscc,
        "vehicle_plate": row.vehicle_plate,
        "un_number": row.un_number,
        "high_risk": row.high_risk,
        "highly_toxic": row.highly_toxic,
        "reasons": [r["code"] for r in body.get("reasons", [])],
        "ruleset": {"id": row.ruleset_id, "version": row.ruleset_version},
        "seq": row.seq,
        "hash": row.hash,
    }


GROUPS = ("reason", "carrier", "site", "day", "outcome")


def counts(session: Session, caller: Caller, f: Filters, by: str) -> list[dict[str, Any]]:
    """Decision counts grouped by reason code, carrier, site, local day or outcome."""
    base = filtered(session, caller, f).subquery()
    if by == "reason":
        key = m.DecisionReason.code
        stmt = (
            select(key, func.count())
            .join(base, base.c.id == m.DecisionReason.decision_id)
            .where(m.DecisionReason.severity == "refuse")
        )
    else:
        key = {
            "carrier": base.c.carrier_uscc,
            "site": base.c.site_code,
            "day": base.c.local_date,
            "outcome": base.c.outcome,
        }[by]
        stmt = select(key, func.count()).select_from(base)
    rows = session.execute(stmt.group_by(key).order_by(func.count().desc(), key))
    return [{"key": str(k) if k is not None else None, "count": n} for k, n in rows]


def export_rows(session: Session, caller: Caller, f: Filters) -> Iterator[m.DecisionRow]:
    """Rows for an export, in chain order per site."""
    stmt = filtered(session, caller, f).order_by(m.DecisionRow.site_code, m.DecisionRow.seq)
    yield from session.scalars(stmt.execution_options(yield_per=2000))


@dataclass(frozen=True)
class Replay:
    """The result of re-evaluating a logged decision."""

    decision_id: str
    recorded: str
    replayed: str
    same: bool
    recorded_codes: tuple[str, ...]
    replayed_codes: tuple[str, ...]
    ruleset_version: str


def replay(session: Session, decision_id: str) -> Replay:
    """Re-evaluate a verification from its stored evidence under its recorded profile version."""
    row = session.scalar(select(m.DecisionRow).where(m.DecisionRow.decision_id == decision_id))
    if row is None:
        raise NotFound(f"无此决定 / no decision {decision_id}")
    if row.kind != "verification":
        raise NotFound("只能重放查验决定 / only verifications can be replayed")
    stored = session.get(m.RulesetVersion, row.ruleset_version)
    if stored is None:
        raise NotFound(f"规则集版本未保存 / ruleset version {row.ruleset_version} is not stored")
    profile = parse_profile(stored.content, origin=f"stored {row.ruleset_version}")
    body = unseal(json.loads(row.body), row.pii or {})
    ev = body.get("evidence") or {}
    recorded_codes = tuple(r["code"] for r in body["reasons"])
    if not ev:
        # No facts were gathered (the decision failed closed): replaying means refusing again.
        return Replay(
            decision_id,
            row.outcome,
            "REFUSE",
            row.outcome == "REFUSE",
            recorded_codes,
            recorded_codes,
            row.ruleset_version,
        )
    one = {
        "vehicle": rm.VehicleFacts,
        "trailer": rm.VehicleFacts,
        "tank": rm.TankFacts,
        "driver": rm.PersonFacts,
        "escort": rm.PersonFacts,
        "carrier": rm.CarrierFacts,
        "waybill": rm.WaybillFacts,
        "load": rm.PlannedLoad,
    }
    ctx = rm.CheckContext(
        site_code=ev["site_code"],
        gate=ev["gate"],
        local_date=dt.date.fromisoformat(ev["local_date"]),
        profile=profile,
        **{k: from_json(cls, ev[k]) if ev.get(k) else None for k, cls in one.items()},
        permits=tuple(from_json(rm.PermitFacts, p) for p in ev.get("permits", [])),
        products={k: from_json(rm.ProductFacts, p) for k, p in ev.get("products", {}).items()},
        blacklist=tuple(from_json(rm.BlacklistFacts, b) for b in ev.get("blacklist", [])),
        checklist=ev.get("checklist", {}),
        scans=tuple(from_json(rm.ScanCode, s) for s in ev.get("scans", [])),
        presented=ev.get("presented", {}),
        unavailable=tuple(ev.get("unavailable", [])),
        tank_approved_un=tuple(ev.get("tank_approved_un", [])),
        lpr_plates=tuple(ev.get("lpr_plates", [])),
        id_card_reads=ev.get("id_card_reads", {}),
    )
    decision = rules.evaluate(ctx)
    outcome = decision.outcome
    # An ALLOW that lost the waybill to another gate was logged as a refusal.
    if outcome == "ALLOW" and recorded_codes == ("WAYBILL_ALREADY_USED",):
        outcome, codes = "REFUSE", recorded_codes
    else:
        codes = decision.codes
    return Replay(
        decision_id,
        row.outcome,
        outcome,
        outcome == row.outcome and codes == recorded_codes,
        recorded_codes,
        codes,
        row.ruleset_version,
    )
