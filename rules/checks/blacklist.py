"""Blacklist (C20): no carrier, vehicle, tank or person of the visit may be listed on the day."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import active
from rules.checks.base import emit
from rules.checks.base import norm_key
from rules.checks.base import person_keys
from rules.checks.base import presented
from rules.checks.base import unknown
from rules.dates import in_force
from rules.identifiers import normalise_plate
from rules.model import CheckContext
from rules.model import Violation

CODES = {
    "carrier": "BLACKLISTED_CARRIER",
    "vehicle": "BLACKLISTED_VEHICLE",
    "tank": "BLACKLISTED_TANK",
    "person": "BLACKLISTED_PERSON",
}


def _key(kind: str, value: str | None) -> str:
    if kind == "vehicle" and value:
        return norm_key(normalise_plate(value))
    return norm_key(value)


def _subjects(ctx: CheckContext) -> dict[str, set[str]]:
    """Every key under which a subject of this visit could be listed."""
    wb = ctx.waybill
    vehicles = [v for v in (ctx.vehicle, ctx.trailer) if v is not None]
    carriers = [wb.carrier_uscc if wb else None] + [v.carrier_uscc for v in vehicles]
    carriers += [ctx.carrier.uscc if ctx.carrier else None]
    plates = [presented(ctx, "vehicle"), presented(ctx, "trailer")] + [v.plate for v in vehicles]
    plates += [wb.vehicle_plate, wb.trailer_plate] if wb else []
    tanks = [presented(ctx, "tank"), ctx.tank.tank_no if ctx.tank else None]
    tanks += [wb.tank_no] if wb else []
    people = [presented(ctx, "driver"), presented(ctx, "escort")]
    people += [s.identifier for s in ctx.scans if s.kind == "PSN"]
    people += [wb.driver_id_number, wb.escort_id_number] if wb else []
    subjects = {
        "carrier": {_key("carrier", c) for c in carriers},
        "vehicle": {_key("vehicle", p) for p in plates} | {_key("vin", v.vin) for v in vehicles},
        "tank": {_key("tank", t) for t in tanks},
        "person": {_key("person", p) for p in people}
        | person_keys(ctx.driver)
        | person_keys(ctx.escort),
    }
    return {kind: keys - {""} for kind, keys in subjects.items()}


def check_c20_blacklist(ctx: CheckContext) -> list[Violation]:
    """Refuse any subject with a blacklist entry in force on the local date."""
    subjects = _subjects(ctx)
    out: list[Violation] = []
    for entry in ctx.blacklist:
        if not active(entry) or not in_force(entry.valid_from, entry.valid_until, ctx.local_date):
            continue  # lifted (deactivated), not yet started, or ended
        if entry.subject_kind not in CODES:
            out.append(
                unknown(
                    ctx,
                    "C20",
                    f"blacklist:{entry.subject_key}",
                    f"黑名单对象类型未知：{entry.subject_kind}",
                    f"unknown blacklist subject kind {entry.subject_kind}",
                )
            )
            continue
        if _key(entry.subject_kind, entry.subject_key) in subjects[entry.subject_kind]:
            out.append(
                emit(
                    ctx,
                    "C20",
                    CODES[entry.subject_kind],
                    f"{entry.subject_kind}:{entry.subject_key}",
                    key=entry.subject_key,
                    reason=entry.reason or "—",
                    source=entry.source or "—",
                    until=entry.valid_until or "—",
                )
            )
    return out


C20 = CheckSpec("C20", "黑名单", "blacklist", check_c20_blacklist, tuple(CODES.values()))
