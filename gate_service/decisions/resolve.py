"""Resolve the codes scanned at a gate into the records and facts a decision is made on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from rules import model as rm
from rules.codes import vehicle_slot

from .. import models as m
from ..products.lookup import product_facts
from .facts import from_record


@dataclass
class Request:
    """A verification request as the API received it (already validated)."""

    site_code: str
    gate: str
    scans: list[dict[str, Any]]
    load: dict[str, Any] | None
    checklist: dict[str, bool]
    idempotency_key: str
    offline: bool = False


@dataclass
class Resolution:
    """The facts of one visit (each fact carries its record's version) and the classified scans."""

    ctx: rm.CheckContext
    classified: list[rules.Classified]


def _one(session: Session, model: type[Any], **where: Any) -> Any | None:
    return session.scalar(select(model).where(*(getattr(model, k) == v for k, v in where.items())))


def _person(session: Session, identifier: str) -> m.Person | None:
    return session.scalar(
        select(m.Person).where(
            or_(m.Person.id_number == identifier, m.Person.qualification_cert_no == identifier)
        )
    )


def _bind_people(
    scans: tuple[rm.ScanCode, ...],
    people: Mapping[str, m.Person | None],
    found: Mapping[str, m.Person | None],
) -> dict[str, str]:
    """Which scanned person code presents the waybill's driver and which its escort."""
    presented: dict[str, str] = {}
    for scan in scans:
        if scan.kind != "PSN":
            continue
        record = found.get(scan.identifier)
        for slot, wanted in people.items():
            if wanted is not None and record is not None and record.id == wanted.id:
                presented.setdefault(slot, scan.identifier)
    return presented


def _products(
    session: Session, site_code: str, loads: list[tuple[str, str | None]]
) -> dict[str, rm.ProductFacts]:
    out: dict[str, rm.ProductFacts] = {}
    for un, pg in loads:
        facts = product_facts(session, site_code, un, pg)
        if not facts.get("known"):
            continue
        data = {k: v for k, v in facts.items() if k != "known"}
        product = rm.ProductFacts(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        )
        out[f"{un}/{pg}" if pg else un] = product
        out.setdefault(un, product)
    return out


def resolve(
    session: Session, site: m.Site, request: Request, profile: rules.Profile, now: dt.datetime
) -> Resolution:
    """Classify the scans, load every record the visit names and build the check context."""
    classified = rules.classify([s["text"] for s in request.scans], profile)
    scans = rules.scan_codes(classified)
    presented: dict[str, str] = {}
    for scan in scans:
        slot = {"VEH": None, "TNK": "tank", "WBL": "waybill"}.get(scan.kind, "")
        if slot is None:
            slot = vehicle_slot(scan.identifier)
        if slot:
            presented.setdefault(slot, scan.identifier)

    vehicle = (
        _one(session, m.Vehicle, plate=presented["vehicle"]) if "vehicle" in presented else None
    )
    trailer = (
        _one(session, m.Vehicle, plate=presented["trailer"]) if "trailer" in presented else None
    )
    tank = _one(session, m.Tank, tank_no=presented["tank"]) if "tank" in presented else None
    waybill = (
        _one(session, m.Waybill, waybill_no=presented["waybill"])
        if "waybill" in presented
        else None
    )

    found = {s.identifier: _person(session, s.identifier) for s in scans if s.kind == "PSN"}
    driver = (
        _one(session, m.Person, id_number=waybill.driver_id_number)
        if waybill is not None and waybill.driver_id_number
        else None
    )
    escort = (
        _one(session, m.Person, id_number=waybill.escort_id_number)
        if waybill is not None and waybill.escort_id_number
        else None
    )
    if waybill is None:
        # Without a waybill the roles come from the certificates' categories.
        for record in found.values():
            if record is None:
                continue
            if driver is None and "驾驶员" in (record.qualification_categories or []):
                driver = record
            elif escort is None and "押运员" in (record.qualification_categories or []):
                escort = record
    presented.update(_bind_people(scans, {"driver": driver, "escort": escort}, found))

    carrier_uscc = (waybill.carrier_uscc if waybill is not None else None) or (
        vehicle.carrier_uscc if vehicle is not None else None
    )
    carrier = _one(session, m.Carrier, uscc=carrier_uscc) if carrier_uscc else None

    permit_nos = {s.identifier for s in scans if s.kind == "PMT"}
    if waybill is not None and waybill.permit_no:
        permit_nos.add(waybill.permit_no)
    conditions = [m.Permit.permit_no.in_(permit_nos)] if permit_nos else []
    if vehicle is not None:
        conditions.append(m.Permit.vehicle_plate == vehicle.plate)
    permits = list(session.scalars(select(m.Permit).where(or_(*conditions)))) if conditions else []

    subjects = {("vehicle", r.plate) for r in (vehicle, trailer) if r is not None}
    subjects |= {("tank", tank.tank_no)} if tank is not None else set()
    subjects |= {
        ("person", p.id_number) for p in (driver, escort, *found.values()) if p is not None
    }
    subjects |= {("carrier", carrier_uscc)} if carrier_uscc else set()
    blacklist = (
        list(
            session.scalars(
                select(m.BlacklistEntry).where(
                    m.BlacklistEntry.status == "active",
                    m.BlacklistEntry.subject_key.in_({k for _, k in subjects}),
                )
            )
        )
        if subjects
        else []
    )
    blacklist = [b for b in blacklist if (b.subject_kind, b.subject_key) in subjects]

    load = None
    if request.load:
        load = rm.PlannedLoad(
            un_number=request.load["un_number"],
            quantity_kg=float(request.load["quantity_kg"]),
            packing_group=request.load.get("packing_group"),
            name=request.load.get("name"),
        )
    wanted = [(load.un_number, load.packing_group)] if load else []
    if waybill is not None:
        wanted += [(g["un_number"], g.get("packing_group")) for g in waybill.goods or []]
    products = _products(session, site.code, wanted)

    ctx = rm.CheckContext(
        site_code=site.code,
        gate=request.gate,
        local_date=rules.local_date(now, site.timezone or profile.timezone),
        profile=profile,
        vehicle=from_record(rm.VehicleFacts, vehicle) if vehicle else None,
        trailer=from_record(rm.VehicleFacts, trailer) if trailer else None,
        tank=from_record(rm.TankFacts, tank) if tank else None,
        driver=from_record(rm.PersonFacts, driver) if driver else None,
        escort=from_record(rm.PersonFacts, escort) if escort else None,
        carrier=from_record(rm.CarrierFacts, carrier) if carrier else None,
        waybill=from_record(rm.WaybillFacts, waybill) if waybill else None,
        permits=tuple(from_record(rm.PermitFacts, p) for p in permits),
        products=products,
        blacklist=tuple(from_record(rm.BlacklistFacts, b) for b in blacklist),
        load=load,
        checklist=dict(request.checklist),
        scans=scans,
        presented=presented,
    )
    return Resolution(ctx, classified)
