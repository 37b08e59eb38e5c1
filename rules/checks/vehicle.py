"""Vehicle checks: registration (C01), transport permit (C02) and scope (C03), ADR type (C11)."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import dated
from rules.checks.base import emit
from rules.checks.base import params
from rules.checks.base import planned_products
from rules.checks.base import presented
from rules.checks.base import product_class
from rules.checks.base import same_plate
from rules.checks.base import unknown
from rules.checks.scope import covers
from rules.checks.scope import parse_scope
from rules.identifiers import is_trailer_plate
from rules.identifiers import normalise_plate
from rules.model import CheckContext
from rules.model import VehicleFacts
from rules.model import Violation

# ADR 7.4.2: which approved vehicle types may be used where Table A col.14 names one.
ACCEPTED_TYPES = {
    "FL": frozenset({"FL"}),
    "AT": frozenset({"AT", "FL"}),
    "EX/III": frozenset({"EX/III"}),
    "EX/II": frozenset({"EX/II", "EX/III"}),
}


def _vehicles(ctx: CheckContext) -> list[tuple[str, VehicleFacts]]:
    # Tractor and trailer are two vehicles with their own papers: both are checked.
    pairs = [("vehicle", ctx.vehicle), ("trailer", ctx.trailer)]
    return [(slot, v) for slot, v in pairs if v is not None and active(v)]


def _scan_conflicts(ctx: CheckContext) -> list[Violation]:
    out: list[Violation] = []
    plates = {normalise_plate(s.identifier) for s in ctx.scans if s.kind == "VEH"}
    for role, group in (
        ("vehicle", sorted(p for p in plates if not is_trailer_plate(p))),
        ("trailer", sorted(p for p in plates if is_trailer_plate(p))),
    ):
        if len(group) > 1:  # two tractors (or trailers) in one visit: which one is loading?
            out.append(
                emit(
                    ctx,
                    "C01",
                    "PLATE_MISMATCH",
                    f"{role}:{group[0]}",
                    plate=group[0],
                    other=group[1],
                )
            )
    known = [presented(ctx, "vehicle"), presented(ctx, "trailer")]
    known += [v.plate for v in (ctx.vehicle, ctx.trailer) if v is not None]
    for read in ctx.lpr_plates:
        if not any(same_plate(read, k) for k in known if k):
            out.append(emit(ctx, "C01", "PLATE_MISMATCH", f"lpr:{read}", plate=read, other="LPR"))
    return out


def check_c01_vehicle_registration(ctx: CheckContext) -> list[Violation]:
    """行驶证 on file and in date; plates scanned, read and recorded agree."""
    out: list[Violation] = []
    for slot, record in (("vehicle", ctx.vehicle), ("trailer", ctx.trailer)):
        shown = presented(ctx, slot)
        if record is None:
            if shown and slot not in ctx.unavailable:
                out.append(emit(ctx, "C01", "VEHICLE_UNKNOWN", f"{slot}:{shown}", plate=shown))
            continue
        subject = f"{slot}:{record.plate}"
        if not active(record):
            out.append(
                emit(
                    ctx,
                    "C01",
                    "VEHICLE_LICENSE_INVALID",
                    subject,
                    plate=record.plate,
                    why="车辆档案已停用",
                    why_en="vehicle record is inactive",
                )
            )
            continue
        out += dated(
            ctx,
            "C01",
            subject,
            record.registration_valid_until,
            missing="VEHICLE_LICENSE_INVALID",
            expired="VEHICLE_LICENSE_INVALID",
            expiring="VEHICLE_LICENSE_EXPIRING",
            plate=record.plate,
        )
        if shown and not same_plate(shown, record.plate):
            out.append(emit(ctx, "C01", "PLATE_MISMATCH", subject, plate=record.plate, other=shown))
        if (slot == "trailer") != (
            record.kind == "trailer"
        ):  # a trailer must fill the trailer slot
            out.append(
                emit(ctx, "C01", "PLATE_MISMATCH", subject, plate=record.plate, other=record.kind)
            )
    return out + _scan_conflicts(ctx)


def check_c02_transport_permit(ctx: CheckContext) -> list[Violation]:
    """道路运输证 on file and its annual 审验 in date, for tractor and trailer."""
    out: list[Violation] = []
    for slot, record in _vehicles(ctx):
        subject = f"{slot}:{record.plate}"
        if not record.transport_permit_no:
            out.append(emit(ctx, "C02", "VEHICLE_PERMIT_MISSING", subject, plate=record.plate))
            continue
        out += dated(
            ctx,
            "C02",
            subject,
            record.transport_permit_valid_until,
            missing="VEHICLE_PERMIT_MISSING",
            expired="VEHICLE_PERMIT_EXPIRED",
            expiring="VEHICLE_PERMIT_EXPIRING",
            plate=record.plate,
            permit_no=record.transport_permit_no,
        )
    return out


def check_c03_permit_scope(ctx: CheckContext) -> list[Violation]:
    """The 道路运输证 经营范围 of each vehicle covers each planned product."""
    out: list[Violation] = []
    loads = planned_products(ctx)
    for slot, record in _vehicles(ctx):
        subject = f"{slot}:{record.plate}"
        scope = parse_scope(record.permit_scope)
        if scope.unparsed:
            out.append(
                unknown(
                    ctx,
                    "C03",
                    subject,
                    f"经营范围无法识别：{'、'.join(scope.unparsed)}",
                    f"unreadable permit scope: {', '.join(scope.unparsed)}",
                )
            )
            continue
        for _load, product in loads:
            if not covers(scope, product):
                out.append(
                    emit(
                        ctx,
                        "C03",
                        "VEHICLE_PERMIT_SCOPE_MISMATCH",
                        subject,
                        plate=record.plate,
                        un=product.un_number,
                        name=product.name,
                        adr_class=product_class(product),
                        scope="、".join(record.permit_scope) or "—",
                    )
                )
    return out


def check_c11_vehicle_type(ctx: CheckContext) -> list[Violation]:
    """ADR vehicle type (col.14) met and the ADR certificate of approval in date."""
    applies = params(ctx, "C11")["applies"]
    required = {(p.tank_vehicle or "").strip().upper() for _, p in planned_products(ctx)} - {""}
    if not required:
        return []
    out: list[Violation] = []
    for slot, record in _vehicles(ctx):
        offered = (record.adr_vehicle_type or "").strip().upper()
        if applies == "recorded" and not offered:
            continue  # cn-2019: only vehicles the site records an ADR type for
        subject = f"{slot}:{record.plate}"
        for need in sorted(required):
            if need not in ACCEPTED_TYPES:
                out.append(
                    unknown(
                        ctx,
                        "C11",
                        subject,
                        f"未知车辆类型要求 {need}",
                        f"unknown vehicle type requirement {need}",
                    )
                )
            elif offered not in ACCEPTED_TYPES[need]:
                out.append(
                    emit(
                        ctx,
                        "C11",
                        "VEHICLE_TYPE_INSUFFICIENT",
                        subject,
                        plate=record.plate,
                        required=need,
                        offered=offered or "—",
                    )
                )
        out += dated(
            ctx,
            "C11",
            subject,
            record.adr_approval_valid_until,
            missing="VEHICLE_ADR_APPROVAL_EXPIRED",
            expired="VEHICLE_ADR_APPROVAL_EXPIRED",
            expiring="VEHICLE_ADR_APPROVAL_EXPIRING",
            plate=record.plate,
        )
    return out


C01 = CheckSpec(
    "C01",
    "行驶证有效、车牌一致",
    "vehicle registration valid, plates agree",
    check_c01_vehicle_registration,
    ("VEHICLE_UNKNOWN", "VEHICLE_LICENSE_INVALID", "PLATE_MISMATCH", "VEHICLE_LICENSE_EXPIRING"),
)
C02 = CheckSpec(
    "C02",
    "道路运输证有效（年度审验）",
    "road transport permit valid (annual review)",
    check_c02_transport_permit,
    ("VEHICLE_PERMIT_MISSING", "VEHICLE_PERMIT_EXPIRED", "VEHICLE_PERMIT_EXPIRING"),
)
C03 = CheckSpec(
    "C03",
    "道路运输证经营范围覆盖货物",
    "transport permit scope covers the goods",
    check_c03_permit_scope,
    ("VEHICLE_PERMIT_SCOPE_MISMATCH",),
)
C11 = CheckSpec(
    "C11",
    "车辆类型（FL/AT/EX）与ADR批准证书",
    "ADR vehicle type and approval certificate",
    check_c11_vehicle_type,
    ("VEHICLE_TYPE_INSUFFICIENT", "VEHICLE_ADR_APPROVAL_EXPIRED", "VEHICLE_ADR_APPROVAL_EXPIRING"),
    {
        "applies": ParamSpec(
            "choice",
            "always",
            ("always", "recorded"),
            "always: every vehicle needs the type; recorded: only "
            "vehicles with an adr_vehicle_type on file are checked",
        )
    },
)
