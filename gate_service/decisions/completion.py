"""Loading completion: re-check the mass, write the loading record (装货记录), close the waybill."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from rules import model as rm

from .. import models as m
from ..auth import Caller
from ..errors import Conflict
from ..errors import NotFound
from ..models.base import utcnow
from .facts import from_json
from .pii import unseal
from .service import profile_for
from .service import site_for


def _allowing(session: Session, decision_id: str) -> tuple[m.DecisionRow, m.DecisionRow]:
    """The decision named and the verification whose evidence it rests on."""
    row = session.scalar(select(m.DecisionRow).where(m.DecisionRow.decision_id == decision_id))
    if row is None:
        raise NotFound("无此决定 / no such decision")
    if row.outcome != "ALLOW":
        raise Conflict("只有允许装货的决定才能完成装货 / only an ALLOW can be completed")
    base = row
    if row.overrides:
        base = session.scalar(
            select(m.DecisionRow).where(m.DecisionRow.decision_id == row.overrides)
        )
        assert base is not None
    return row, base


def _fact(cls: type[Any], evidence: dict[str, Any], name: str) -> Any:
    data = evidence.get(name)
    return from_json(cls, data) if data else None


def complete(
    session: Session, caller: Caller, decision_id: str, data: dict[str, Any], *, prefix: str
) -> dict[str, Any]:
    """Record what was loaded; release only when the actual mass is within every limit."""
    row, base = _allowing(session, decision_id)
    site_for(session.connection(), caller, row.site_code, None)
    if session.scalar(select(m.LoadingRecord).where(m.LoadingRecord.decision_id == decision_id)):
        raise Conflict("该决定已完成装货记录 / this decision's loading is already recorded")
    body = unseal(json.loads(base.body), base.pii or {})
    if json.loads(row.body).get("offline"):
        raise Conflict("补传的决定不能完成装货 / a decision forwarded after an outage cannot load")
    evidence = body.get("evidence") or {}
    vehicle = _fact(rm.VehicleFacts, evidence, "vehicle")
    trailer = _fact(rm.VehicleFacts, evidence, "trailer")
    tank = _fact(rm.TankFacts, evidence, "tank")
    waybill = _fact(rm.WaybillFacts, evidence, "waybill")
    driver = _fact(rm.PersonFacts, evidence, "driver")
    escort = _fact(rm.PersonFacts, evidence, "escort")
    if waybill is None:
        raise Conflict("该决定没有运单 / the decision has no waybill")
    profile = profile_for(base.ruleset_id)
    quantity = float(data["quantity_kg"])
    findings = rules.mass_violations(profile, quantity, vehicle, trailer, tank)
    load = evidence.get("load") or {}
    goods = waybill.goods[0] if waybill.goods else None
    un = load.get("un_number") or (goods.un_number if goods else "")
    products = evidence.get("products") or {}
    product = products.get(un) or {}
    record = m.LoadingRecord(
        decision_id=decision_id,
        site_code=row.site_code,
        waybill_no=waybill.waybill_no,
        un_number=un,
        name=product.get("name") or load.get("name") or (goods.name if goods else un),
        adr_class=product.get("adr_class") or (goods.adr_class if goods else None),
        quantity_kg=quantity,
        consignor=waybill.consignor_name or waybill.consignor_uscc,
        carrier=waybill.carrier_uscc,
        vehicle_plate=vehicle.plate if vehicle else None,
        trailer_plate=trailer.plate if trailer else None,
        tank_no=tank.tank_no if tank else None,
        driver=f"{driver.name} {driver.id_number}" if driver else None,
        escort=f"{escort.name} {escort.id_number}" if escort else None,
        seals=list(data.get("seals") or []),
        loaded_at=data.get("loaded_at") or utcnow(),
        recorded_by=caller.actor,
    )
    session.add(record)
    released = not findings
    w = session.scalar(select(m.Waybill).where(m.Waybill.waybill_no == waybill.waybill_no))
    if released and w is not None:
        w.waybill_status = "loaded"
    command = "release" if released else "hold"
    session.add(
        m.OutboxEvent(
            decision_id=decision_id,
            site_code=row.site_code,
            gate=row.gate,
            topic=f"{prefix}/{row.site_code}/{row.gate}/barrier",
            payload={
                "schema": "loadgate.barrier.v1",
                "command": command,
                "decision_id": decision_id,
                "site": row.site_code,
                "gate": row.gate,
            },
        )
    )
    session.flush()
    return {
        "decision_id": decision_id,
        "released": released,
        "waybill_no": waybill.waybill_no,
        "waybill_status": w.waybill_status if w else None,
        "quantity_kg": quantity,
        "reasons": [v.to_dict() for v in findings],
        "loading_record": {
            "id": record.id,
            "un_number": record.un_number,
            "name": record.name,
            "class": record.adr_class,
            "quantity_kg": record.quantity_kg,
            "seals": record.seals,
            "loaded_at": record.loaded_at.isoformat(),
        },
    }
