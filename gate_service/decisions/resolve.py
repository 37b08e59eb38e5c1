"""Resolve the codes scanned at a gate into the records and facts a decision is made on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Row
from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import or_
from sqlalchemy import select

import rules
from rules import model as rm
from rules.codes import vehicle_slot

from .. import models as m
from ..products.lookup import compose_facts
from ..products.lookup import normalise_cas
from ..products.lookup import normalise_un
from ..products.lookup import pick_site_product
from ..products.reference import reference_for
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


def _in(model: type[Any], column: str) -> Select[Any]:
    table = model.__table__
    return select(table).where(table.c[column].in_(bindparam("keys", expanding=True)))


def _people_query() -> Select[Any]:
    table = m.Person.__table__
    return select(table).where(
        or_(
            table.c.id_number.in_(bindparam("ids", expanding=True)),
            table.c.qualification_cert_no.in_(bindparam("codes", expanding=True)),
        )
    )


def _permits_query() -> Select[Any]:
    table = m.Permit.__table__
    return (
        select(table)
        .where(
            or_(
                table.c.permit_no.in_(bindparam("nos", expanding=True)),
                table.c.vehicle_plate.in_(bindparam("plates", expanding=True)),
            )
        )
        .order_by(table.c.id)
    )


def _blacklist_query() -> Select[Any]:
    table = m.BlacklistEntry.__table__
    return (
        select(table)
        .where(
            table.c.status == "active",
            table.c.subject_key.in_(bindparam("keys", expanding=True)),
        )
        .order_by(table.c.id)
    )


def _site_products_query() -> Select[Any]:
    table = m.SiteProduct.__table__
    return select(table).where(
        table.c.site_code == bindparam("site"),
        table.c.un_number.in_(bindparam("uns", expanding=True)),
        table.c.status == "active",
    )


# Built once: composing and cache-keying a statement costs more than running it on SQLite.
_QUERIES = {
    "waybills": _in(m.Waybill, "waybill_no"),
    "vehicles": _in(m.Vehicle, "plate"),
    "tanks": _in(m.Tank, "tank_no"),
    "carriers": _in(m.Carrier, "uscc"),
    "persons": _people_query(),
    "permits": _permits_query(),
    "blacklist": _blacklist_query(),
    "site_products": _site_products_query(),
}


def _by(
    conn: Connection, name: str, column: str, values: Iterable[str | None]
) -> dict[str, Row[Any]]:
    """Rows of a record table whose ``column`` is one of ``values``, keyed by that column."""
    wanted = [v for v in dict.fromkeys(values) if v]
    if not wanted:
        return {}
    return {getattr(row, column): row for row in conn.execute(_QUERIES[name], {"keys": wanted})}


def _people(
    conn: Connection, codes: Iterable[str], id_numbers: Iterable[str | None]
) -> list[Row[Any]]:
    """Persons whose ID number or qualification certificate number is one of the codes, and
    those with the given ID numbers, in one query."""
    codes = list(dict.fromkeys(codes))
    ids = list(dict.fromkeys([*codes, *(i for i in id_numbers if i)]))
    if not ids:
        return []
    return list(conn.execute(_QUERIES["persons"], {"ids": ids, "codes": codes}))


def _person_for(rows: Iterable[Row[Any]], identifier: str) -> Row[Any] | None:
    """The person a scanned code names: by ID number first, then by certificate number."""
    rows = list(rows)
    for row in rows:
        if row.id_number == identifier:
            return row
    return next((row for row in rows if row.qualification_cert_no == identifier), None)


def _bind_people(
    scans: tuple[rm.ScanCode, ...],
    people: Mapping[str, Row[Any] | None],
    found: Mapping[str, Row[Any] | None],
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
    conn: Connection, site_code: str, loads: list[tuple[str, str | None]]
) -> dict[str, rm.ProductFacts]:
    """The facts of every product named: site products read now, the product master cached."""
    wanted = list(dict.fromkeys((normalise_un(un), pg) for un, pg in loads))
    if not wanted:
        return {}
    reference = reference_for(conn.engine)
    adr = reference.adr_rows(conn, {un for un, _ in wanted})
    site_products: dict[str, list[Row[Any]]] = {}
    uns = list(dict.fromkeys(un for un, _ in wanted))
    for row in conn.execute(_QUERIES["site_products"], {"site": site_code, "uns": uns}):
        site_products.setdefault(row.un_number, []).append(row)
    chosen = {(un, pg): pick_site_product(site_products.get(un, []), pg) for un, pg in wanted}
    flags = reference.flags(
        conn, {normalise_cas(p.cas) for p in chosen.values() if p is not None and p.cas}
    )
    out: dict[str, rm.ProductFacts] = {}
    for (un, pg), product in chosen.items():
        if not adr[un]:
            continue
        cas = normalise_cas(product.cas) if product is not None and product.cas else ""
        facts = compose_facts(un, pg, product, adr[un], flags.get(cas, {}))
        fact = rm.ProductFacts(**{k: v for k, v in facts.items() if k != "known"})
        out[f"{un}/{pg}" if pg else un] = fact
        out.setdefault(un, fact)
    return out


def resolve(
    conn: Connection, site: Row[Any], request: Request, profile: rules.Profile, now: dt.datetime
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

    waybill = _by(conn, "waybills", "waybill_no", [presented.get("waybill")]).get(
        presented.get("waybill", "")
    )
    vehicles = _by(conn, "vehicles", "plate", [presented.get("vehicle"), presented.get("trailer")])
    vehicle = vehicles.get(presented.get("vehicle", ""))
    trailer = vehicles.get(presented.get("trailer", ""))
    tank = _by(conn, "tanks", "tank_no", [presented.get("tank")]).get(presented.get("tank", ""))

    person_codes = [s.identifier for s in scans if s.kind == "PSN"]
    named = (waybill.driver_id_number, waybill.escort_id_number) if waybill is not None else ()
    people = _people(conn, person_codes, named)
    found = {code: _person_for(people, code) for code in person_codes}
    by_id = {p.id_number: p for p in people}
    driver = by_id.get(waybill.driver_id_number or "") if waybill is not None else None
    escort = by_id.get(waybill.escort_id_number or "") if waybill is not None else None
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
    carrier = _by(conn, "carriers", "uscc", [carrier_uscc]).get(carrier_uscc or "")

    permit_nos = {s.identifier for s in scans if s.kind == "PMT"}
    if waybill is not None and waybill.permit_no:
        permit_nos.add(waybill.permit_no)
    plates = [vehicle.plate] if vehicle is not None else []
    permits = (
        list(conn.execute(_QUERIES["permits"], {"nos": sorted(permit_nos), "plates": plates}))
        if permit_nos or plates
        else []
    )

    subjects = {("vehicle", r.plate) for r in (vehicle, trailer) if r is not None}
    subjects |= {("tank", tank.tank_no)} if tank is not None else set()
    subjects |= {
        ("person", p.id_number) for p in (driver, escort, *found.values()) if p is not None
    }
    subjects |= {("carrier", carrier_uscc)} if carrier_uscc else set()
    keys = sorted({k for _, k in subjects})
    blacklist = list(conn.execute(_QUERIES["blacklist"], {"keys": keys})) if keys else []
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
    products = _products(conn, site.code, wanted)

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
