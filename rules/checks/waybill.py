"""Waybill and goods checks: waybill valid (C12), goods and crew agree with it (C13)."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import emit
from rules.checks.base import kg
from rules.checks.base import norm_key
from rules.checks.base import norm_name
from rules.checks.base import norm_un
from rules.checks.base import params
from rules.checks.base import person_keys
from rules.checks.base import planned_products
from rules.checks.base import presented
from rules.checks.base import product_class
from rules.checks.base import product_for
from rules.checks.base import same_plate
from rules.identifiers import is_trailer_plate
from rules.model import CheckContext
from rules.model import GoodsLine
from rules.model import PlannedLoad
from rules.model import Violation
from rules.model import WaybillFacts

FIXED_TANK_KINDS = frozenset({"atmospheric", "pressure"})


def check_c12_waybill(ctx: CheckContext) -> list[Violation]:
    """An e-waybill exists, is live, unused, lists goods and names this site as loader."""
    wb = ctx.waybill
    shown = presented(ctx, "waybill")
    if wb is None:
        if shown and "waybill" not in ctx.unavailable:
            return [emit(ctx, "C12", "WAYBILL_MISSING", f"waybill:{shown}", waybill_no=shown)]
        return []
    subject = f"waybill:{wb.waybill_no}"
    out: list[Violation] = []

    def invalid(why: str, why_en: str) -> None:
        out.append(
            emit(
                ctx,
                "C12",
                "WAYBILL_INVALID",
                subject,
                waybill_no=wb.waybill_no,
                why=why,
                why_en=why_en,
            )
        )

    if shown and norm_key(shown) != norm_key(wb.waybill_no):
        invalid("扫描的运单号与档案不符", "the scanned waybill number differs from the record")
    if not active(wb) or wb.status == "cancelled":
        invalid("运单已作废", "the waybill is cancelled or inactive")
    elif wb.status == "loaded":
        out.append(emit(ctx, "C12", "WAYBILL_ALREADY_USED", subject, waybill_no=wb.waybill_no))
    elif wb.status not in params(ctx, "C12")["usable_statuses"]:
        invalid(f"运单状态为 {wb.status}", f"waybill status is {wb.status}")
    if not wb.goods:
        invalid("运单未列货物", "the waybill lists no goods")
    if norm_key(wb.loader_site) != norm_key(ctx.site_code):
        out.append(
            emit(
                ctx,
                "C12",
                "WAYBILL_LOADER_MISMATCH",
                subject,
                waybill_no=wb.waybill_no,
                loader=wb.loader_site or "—",
                site=ctx.site_code,
            )
        )
    return out


def _vehicle_mismatches(ctx: CheckContext, wb: WaybillFacts) -> list[Violation]:
    subject = f"waybill:{wb.waybill_no}"
    out: list[Violation] = []

    def mismatch(what: str, what_en: str, listed: str | None, shown: str) -> None:
        out.append(
            emit(
                ctx,
                "C13",
                "WAYBILL_VEHICLE_MISMATCH",
                subject,
                what=what,
                what_en=what_en,
                listed=listed or "—",
                shown=shown,
            )
        )

    vehicle = presented(ctx, "vehicle")
    if vehicle and not same_plate(vehicle, wb.vehicle_plate):
        mismatch("车辆", "Vehicle", wb.vehicle_plate, vehicle)
    trailer = presented(ctx, "trailer")
    if trailer and not same_plate(trailer, wb.trailer_plate):
        mismatch("挂车", "Trailer", wb.trailer_plate, trailer)
    tank_no = presented(ctx, "tank")
    if tank_no and norm_key(tank_no) != norm_key(wb.tank_no):
        mismatch("罐体", "Tank", wb.tank_no, tank_no)
    tank = ctx.tank
    # A tank on a trailer whose code was not scanned yet is a missing slot (rescan), not a
    # mismatch.
    unseen_trailer = (
        trailer is None and tank is not None and is_trailer_plate(tank.vehicle_plate or "")
    )
    if (
        tank is not None
        and tank.kind in FIXED_TANK_KINDS
        and tank.vehicle_plate
        and not (unseen_trailer)
    ):
        # A fixed tank travels on one vehicle; tank containers may change chassis.
        plates = [vehicle, trailer] + [v.plate for v in (ctx.vehicle, ctx.trailer) if v]
        if not any(same_plate(tank.vehicle_plate, p) for p in plates if p):
            mismatch(
                "罐体安装车辆",
                "Vehicle carrying the tank",
                tank.vehicle_plate,
                trailer or vehicle or "—",
            )
    return out


def _crew_mismatches(ctx: CheckContext, wb: WaybillFacts) -> list[Violation]:
    out: list[Violation] = []
    roles = (
        ("driver", "驾驶员", "Driver", wb.driver_id_number, ctx.driver),
        ("escort", "押运员", "Escort", wb.escort_id_number, ctx.escort),
    )
    for slot, role_zh, role_en, wanted, record in roles:
        shown = presented(ctx, slot)
        if not wanted:
            if slot == "driver":  # a missing escort is C06's ESCORT_MISSING
                out.append(
                    emit(
                        ctx,
                        "C13",
                        "WAYBILL_DRIVER_MISMATCH",
                        f"waybill:{wb.waybill_no}",
                        role=role_zh,
                        role_en=role_en,
                        listed="—",
                        shown=shown or "—",
                    )
                )
            continue
        same_record = record is not None and norm_key(record.id_number) == norm_key(wanted)
        keys = {norm_key(wanted)} | (person_keys(record) if same_record else set())
        wrong_record = record is not None and not same_record
        if wrong_record or (shown and norm_key(shown) not in keys):
            out.append(
                emit(
                    ctx,
                    "C13",
                    "WAYBILL_DRIVER_MISMATCH",
                    f"{slot}:{wanted}",
                    role=role_zh,
                    role_en=role_en,
                    listed=wanted,
                    # The record the service loaded is the clearer evidence when it differs.
                    shown=record.id_number if wrong_record and record else shown or "—",
                )
            )
    return out


def _goods_mismatches(ctx: CheckContext, wb: WaybillFacts, load: PlannedLoad) -> list[Violation]:
    subject = f"waybill:{wb.waybill_no}"
    un = norm_un(load.un_number)
    pg = load.packing_group
    lines = [g for g in wb.goods if norm_un(g.un_number) == un]

    def goods(why: str, why_en: str) -> Violation:
        return emit(
            ctx,
            "C13",
            "WAYBILL_GOODS_MISMATCH",
            subject,
            un=un,
            name=load.name or "—",
            why=why,
            why_en=why_en,
        )

    if not lines:
        return [goods(f"运单无 UN{un}", f"UN{un} is not on the waybill")]
    if pg:
        lines = [
            g for g in lines if not g.packing_group or norm_key(g.packing_group) == norm_key(pg)
        ]
        if not lines:
            return [
                goods(f"包装类别 {pg} 与运单不符", f"packing group {pg} differs from the waybill")
            ]
    out: list[Violation] = []
    if load.name and all(norm_name(load.name) != norm_name(g.name) for g in lines):
        out.append(
            goods(
                f"品名与运单不符（运单：{lines[0].name}）",
                f"name differs from the waybill ({lines[0].name})",
            )
        )
    return out + _quantity_mismatch(ctx, subject, un, load, lines)


def _quantity_mismatch(
    ctx: CheckContext, subject: str, un: str, load: PlannedLoad, lines: list[GoodsLine]
) -> list[Violation]:
    listed = [g.quantity_kg for g in lines]
    total = sum(q for q in listed if q is not None)
    tol = ctx.profile.quantity_tolerance
    high = total * (1 + tol.over_percent / 100)
    low = total * (1 - tol.under_percent / 100)
    if None in listed or not low <= load.quantity_kg <= high:
        return [
            emit(
                ctx,
                "C13",
                "WAYBILL_QUANTITY_MISMATCH",
                subject,
                un=un,
                planned=kg(load.quantity_kg),
                listed=kg(total) if None not in listed else "—",
                over=f"{tol.over_percent:g}",
                under=f"{tol.under_percent:g}",
            )
        ]
    return []


def _class_mismatches(ctx: CheckContext, wb: WaybillFacts) -> list[Violation]:
    out: list[Violation] = []
    for line in wb.goods:
        product = product_for(ctx, line.un_number, line.packing_group)
        cls = product_class(product) if product else ""
        if cls and line.adr_class and norm_key(cls) != norm_key(line.adr_class):
            out.append(
                emit(
                    ctx,
                    "C13",
                    "WAYBILL_GOODS_MISMATCH",
                    f"waybill:{wb.waybill_no}",
                    un=norm_un(line.un_number),
                    name=line.name or "—",
                    why=f"运单类别 {line.adr_class}，产品类别 {cls}",
                    why_en=f"waybill class {line.adr_class}, product class {cls}",
                )
            )
    return out


def check_c13_goods_vs_waybill(ctx: CheckContext) -> list[Violation]:
    """Vehicle, tank, crew, goods and quantity agree with the waybill; goods may be carried."""
    out: list[Violation] = []
    for _, product in planned_products(ctx):
        if product.carriage_prohibited:  # ADR 1.4.3.1(a): hand over only goods authorised
            out.append(
                emit(
                    ctx,
                    "C13",
                    "CARRIAGE_PROHIBITED",
                    f"product:UN{norm_un(product.un_number)}",
                    un=norm_un(product.un_number),
                    name=product.name,
                )
            )
    wb = ctx.waybill
    if wb is None:
        return out
    out += _vehicle_mismatches(ctx, wb) + _crew_mismatches(ctx, wb) + _class_mismatches(ctx, wb)
    if ctx.load is not None:
        out += _goods_mismatches(ctx, wb, ctx.load)
    return out


C12 = CheckSpec(
    "C12",
    "电子运单有效、未使用、装货人为本站",
    "waybill valid, unused, for this loader",
    check_c12_waybill,
    ("WAYBILL_MISSING", "WAYBILL_INVALID", "WAYBILL_ALREADY_USED", "WAYBILL_LOADER_MISMATCH"),
    {"usable_statuses": ParamSpec("str_list", ("issued", "loading"))},
)
C13 = CheckSpec(
    "C13",
    "货物、车辆、人员与运单一致",
    "goods, vehicle and crew agree with the waybill",
    check_c13_goods_vs_waybill,
    (
        "WAYBILL_GOODS_MISMATCH",
        "WAYBILL_QUANTITY_MISMATCH",
        "WAYBILL_VEHICLE_MISMATCH",
        "WAYBILL_DRIVER_MISMATCH",
        "CARRIAGE_PROHIBITED",
    ),
)
