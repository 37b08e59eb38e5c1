"""Resolve the codes scanned at a gate into the records and facts a decision is made on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Row
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import or_

import rules
from rules import model as rm
from rules.codes import vehicle_slot

from .. import models as m
from ..products.lookup import facts_at_site
from ..products.lookup import normalise_un
from .batch import Batch
from .batch import Part
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


class AlreadyDecided(Exception):
    """A decision with the request's idempotency key is already logged: answer with it."""

    def __init__(self, row_id: int) -> None:
        super().__init__(row_id)
        self.row_id = row_id


@dataclass
class Resolution:
    """The facts of one visit (each fact carries its record's version) and the classified scans."""

    ctx: rm.CheckContext
    classified: list[rules.Classified]


_WAYBILLS = m.Waybill.__table__
_VEHICLES = m.Vehicle.__table__
_TANKS = m.Tank.__table__
_PERSONS = m.Person.__table__
_CARRIERS = m.Carrier.__table__
_PERMITS = m.Permit.__table__
_BLACKLIST = m.BlacklistEntry.__table__
_SITE_PRODUCTS = m.SiteProduct.__table__
_DECISIONS = m.DecisionRow.__table__


def _in(column: Any, param: str) -> Any:
    return column.in_(bindparam(param, expanding=True))


# Two round trips: the records the scanned codes name (and any decision already logged under
# the request's idempotency key), then the records those name in turn.
_NAMED = Batch(
    [
        Part(
            "earlier",
            _DECISIONS,
            and_(
                _DECISIONS.c.site_code == bindparam("site"),
                _DECISIONS.c.idempotency_key == bindparam("key"),
            ),
            [_DECISIONS.c.id],
        ),
        Part("waybills", _WAYBILLS, _in(_WAYBILLS.c.waybill_no, "waybill_nos")),
        Part("vehicles", _VEHICLES, _in(_VEHICLES.c.plate, "plates")),
        Part("tanks", _TANKS, _in(_TANKS.c.tank_no, "tank_nos")),
        Part(
            "persons",
            _PERSONS,
            or_(
                _in(_PERSONS.c.id_number, "person_codes"),
                _in(_PERSONS.c.qualification_cert_no, "person_codes"),
            ),
        ),
    ]
)
_RELATED = Batch(
    [
        Part("persons", _PERSONS, _in(_PERSONS.c.id_number, "person_ids")),
        Part("carriers", _CARRIERS, _in(_CARRIERS.c.uscc, "usccs")),
        Part(
            "permits",
            _PERMITS,
            or_(_in(_PERMITS.c.permit_no, "permit_nos"), _in(_PERMITS.c.vehicle_plate, "plates")),
        ),
        Part(
            "blacklist",
            _BLACKLIST,
            and_(_BLACKLIST.c.status == "active", _in(_BLACKLIST.c.subject_key, "subject_keys")),
        ),
        Part(
            "site_products",
            _SITE_PRODUCTS,
            and_(
                _SITE_PRODUCTS.c.site_code == bindparam("site"),
                _SITE_PRODUCTS.c.status == "active",
                _in(_SITE_PRODUCTS.c.un_number, "uns"),
            ),
        ),
    ]
)


def _keys(*values: str | None) -> list[str]:
    """The distinct, non-empty values, in order (the parameters of an ``IN``)."""
    return [v for v in dict.fromkeys(values) if v]


def _slots(scans: tuple[rm.ScanCode, ...]) -> dict[str, str]:
    """The slot each scanned record code fills (the first code of a slot wins)."""
    presented: dict[str, str] = {}
    for scan in scans:
        slot = {"VEH": None, "TNK": "tank", "WBL": "waybill"}.get(scan.kind, "")
        if slot is None:
            slot = vehicle_slot(scan.identifier)
        if slot:
            presented.setdefault(slot, scan.identifier)
    return presented


def _planned(load: dict[str, Any] | None) -> rm.PlannedLoad | None:
    """What the plant intends to load, as the request states it."""
    if not load:
        return None
    return rm.PlannedLoad(
        un_number=load["un_number"],
        quantity_kg=float(load["quantity_kg"]),
        packing_group=load.get("packing_group"),
        name=load.get("name"),
    )


def _roles_by_category(
    people: Iterable[SimpleNamespace | None],
) -> tuple[SimpleNamespace | None, SimpleNamespace | None]:
    """Without a waybill, driver and escort are the first certificates of those categories."""
    driver = escort = None
    for record in people:
        if record is None:
            continue
        if driver is None and "驾驶员" in (record.qualification_categories or []):
            driver = record
        elif escort is None and "押运员" in (record.qualification_categories or []):
            escort = record
    return driver, escort


def _person_for(rows: Iterable[SimpleNamespace], identifier: str) -> SimpleNamespace | None:
    """The person a scanned code names: by ID number first, then by certificate number."""
    rows = list(rows)
    for row in rows:
        if row.id_number == identifier:
            return row
    return next((row for row in rows if row.qualification_cert_no == identifier), None)


def _bind_people(
    scans: tuple[rm.ScanCode, ...],
    people: Mapping[str, SimpleNamespace | None],
    found: Mapping[str, SimpleNamespace | None],
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


def _wanted_products(
    load: rm.PlannedLoad | None, waybill: Any | None
) -> list[tuple[str, str | None]]:
    """The (UN number, packing group) of the planned load and of the waybill's goods."""
    wanted = [(load.un_number, load.packing_group)] if load else []
    if waybill is not None:
        wanted += [(g["un_number"], g.get("packing_group")) for g in waybill.goods or []]
    return list(dict.fromkeys((normalise_un(un), pg) for un, pg in wanted))


def _products(
    conn: Connection, site_code: str, wanted: list[tuple[str, str | None]], site_products: list[Any]
) -> dict[str, rm.ProductFacts]:
    """The facts of every product named that ADR knows, by "UN/PG" and by UN number."""
    out: dict[str, rm.ProductFacts] = {}
    for (un, pg), facts in facts_at_site(conn, site_code, wanted, site_products).items():
        if not facts["known"]:
            continue
        fact = rm.ProductFacts(**{k: v for k, v in facts.items() if k != "known"})
        out[f"{un}/{pg}" if pg else un] = fact
        out.setdefault(un, fact)
    return out


def resolve(
    conn: Connection, site: Row[Any], request: Request, profile: rules.Profile, now: dt.datetime
) -> Resolution:
    """Classify the scans, load every record the visit names and build the check context.

    The caller holds the site's chain head, so the idempotency key is looked up here too.

    :raises AlreadyDecided: when a decision with the request's idempotency key is logged.
    """
    classified = rules.classify([s["text"] for s in request.scans], profile)
    scans = rules.scan_codes(classified)
    presented = _slots(scans)

    person_codes = _keys(*(s.identifier for s in scans if s.kind == "PSN"))
    named = _NAMED.run(
        conn,
        {
            "waybill_nos": _keys(presented.get("waybill")),
            "plates": _keys(presented.get("vehicle"), presented.get("trailer")),
            "tank_nos": _keys(presented.get("tank")),
            "person_codes": person_codes,
            "site": site.code,
            "key": request.idempotency_key,
        },
    )
    if named["earlier"]:
        raise AlreadyDecided(named["earlier"][0].id)
    waybill = next(
        (w for w in named["waybills"] if w.waybill_no == presented.get("waybill")), None
    )
    vehicles = {v.plate: v for v in named["vehicles"]}
    vehicle = vehicles.get(presented.get("vehicle", ""))
    trailer = vehicles.get(presented.get("trailer", ""))
    tank = next((t for t in named["tanks"] if t.tank_no == presented.get("tank")), None)
    found = {code: _person_for(named["persons"], code) for code in person_codes}

    load = _planned(request.load)
    wanted = _wanted_products(load, waybill)
    carrier_uscc = (waybill.carrier_uscc if waybill is not None else None) or (
        vehicle.carrier_uscc if vehicle is not None else None
    )
    by_id = {p.id_number: p for p in named["persons"]}
    role_ids = (waybill.driver_id_number, waybill.escort_id_number) if waybill else (None, None)
    permit_nos = {s.identifier for s in scans if s.kind == "PMT"}
    if waybill is not None and waybill.permit_no:
        permit_nos.add(waybill.permit_no)
    # Every key a blacklist entry could be filed under; the entries are matched exactly below.
    subject_keys = _keys(
        *(r.plate for r in (vehicle, trailer) if r is not None),
        tank.tank_no if tank is not None else None,
        *(p.id_number for p in found.values() if p is not None),
        *role_ids,
        carrier_uscc,
    )
    related = _RELATED.run(
        conn,
        {
            "person_ids": _keys(*(i for i in role_ids if i not in by_id)),
            "usccs": _keys(carrier_uscc),
            "permit_nos": sorted(permit_nos),
            "plates": _keys(vehicle.plate if vehicle is not None else None),
            "subject_keys": subject_keys,
            "site": site.code,
            "uns": _keys(*(un for un, _ in wanted)),
        },
    )
    by_id.update({p.id_number: p for p in related["persons"]})
    driver = by_id.get(role_ids[0] or "")
    escort = by_id.get(role_ids[1] or "")
    if waybill is None:
        driver, escort = _roles_by_category(found.values())
    presented.update(_bind_people(scans, {"driver": driver, "escort": escort}, found))
    carrier = next((c for c in related["carriers"] if c.uscc == carrier_uscc), None)
    permits = sorted(related["permits"], key=lambda p: p.id)

    subjects = {("vehicle", r.plate) for r in (vehicle, trailer) if r is not None}
    subjects |= {("tank", tank.tank_no)} if tank is not None else set()
    subjects |= {
        ("person", p.id_number) for p in (driver, escort, *found.values()) if p is not None
    }
    subjects |= {("carrier", carrier_uscc)} if carrier_uscc else set()
    # Entries were read by key alone; a key counts only under its own kind of subject.
    blacklist = sorted(
        (b for b in related["blacklist"] if (b.subject_kind, b.subject_key) in subjects),
        key=lambda b: b.id,
    )
    products = _products(conn, site.code, wanted, related["site_products"])

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
