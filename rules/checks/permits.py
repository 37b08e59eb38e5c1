"""Licences and papers: carrier licence (C04), special permits (C14), 一书一签 (C18)."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import dated
from rules.checks.base import emit
from rules.checks.base import norm_key
from rules.checks.base import norm_name
from rules.checks.base import norm_un
from rules.checks.base import params
from rules.checks.base import planned_products
from rules.checks.base import presented
from rules.checks.base import product_class
from rules.checks.base import product_subject
from rules.checks.base import same_plate
from rules.checks.base import unknown
from rules.checks.scope import covers
from rules.checks.scope import parse_scope
from rules.dates import in_force
from rules.model import CheckContext
from rules.model import PermitFacts
from rules.model import PlannedLoad
from rules.model import ProductFacts
from rules.model import Violation
from rules.tankcode import main_class


def check_c04_carrier(ctx: CheckContext) -> list[Violation]:
    """The carrier holds a valid licence covering the goods, and runs the presented vehicle."""
    wb = ctx.waybill
    vehicle = ctx.vehicle
    named = (wb.carrier_uscc if wb else None) or (vehicle.carrier_uscc if vehicle else None)
    carrier = ctx.carrier
    out: list[Violation] = []
    if (
        wb
        and wb.carrier_uscc
        and vehicle
        and vehicle.carrier_uscc
        and (norm_key(wb.carrier_uscc) != norm_key(vehicle.carrier_uscc))
    ):
        out.append(
            emit(
                ctx,
                "C04",
                "WAYBILL_VEHICLE_MISMATCH",
                f"waybill:{wb.waybill_no}",
                what="承运人",
                what_en="Carrier",
                listed=wb.carrier_uscc,
                shown=vehicle.carrier_uscc,
            )
        )
    if carrier is None:
        if "carrier" not in ctx.unavailable and (named or wb is not None):
            out.append(
                emit(
                    ctx,
                    "C04",
                    "CARRIER_LICENSE_INVALID",
                    f"carrier:{named or '—'}",
                    carrier=named or "—",
                    why="无承运人档案",
                    why_en="no carrier on file",
                )
            )
        return out
    subject = f"carrier:{carrier.uscc}"
    name = carrier.name or carrier.uscc

    def invalid(why: str, why_en: str) -> None:
        out.append(
            emit(
                ctx, "C04", "CARRIER_LICENSE_INVALID", subject, carrier=name, why=why, why_en=why_en
            )
        )

    if not active(carrier):
        invalid("承运人档案已停用", "carrier record is inactive")
        return out
    if named and norm_key(named) != norm_key(carrier.uscc):
        invalid(
            f"档案与运单承运人 {named} 不符", f"record differs from the waybill carrier {named}"
        )
    if not carrier.license_no:
        invalid("无道路运输经营许可证号", "no road transport licence number")
    else:
        out += dated(
            ctx,
            "C04",
            subject,
            carrier.license_valid_until,
            missing="CARRIER_LICENSE_INVALID",
            expired="CARRIER_LICENSE_INVALID",
            expiring="CARRIER_LICENSE_EXPIRING",
            carrier=name,
            why="许可证无有效期",
            why_en="licence has no end date",
        )
    scope = parse_scope(carrier.scope)
    if scope.unparsed:
        out.append(
            unknown(
                ctx,
                "C04",
                subject,
                f"经营范围无法识别：{'、'.join(scope.unparsed)}",
                f"unreadable licence scope: {', '.join(scope.unparsed)}",
            )
        )
        return out
    for _, product in planned_products(ctx):
        if not covers(scope, product):
            invalid(
                f"经营范围不含 UN{norm_un(product.un_number)}",
                f"licence scope excludes UN{norm_un(product.un_number)}",
            )
    return out


def _plates(ctx: CheckContext) -> list[str]:
    found = [presented(ctx, "vehicle"), presented(ctx, "trailer")]
    found += [v.plate for v in (ctx.vehicle, ctx.trailer) if v is not None]
    return [p for p in found if p]


def _covers_goods(permit: PermitFacts, load: PlannedLoad, product: ProductFacts) -> bool:
    names = {norm_name(product.name), norm_name(load.name)} - {""}
    for line in permit.goods:
        same = (
            norm_un(line.un_number) == norm_un(load.un_number)
            if line.un_number
            else (norm_name(line.name) in names)
        )
        if same and line.quantity_kg is not None and line.quantity_kg >= load.quantity_kg:
            return True
    return False


def _pass_problems(
    ctx: CheckContext, permit: PermitFacts, load: PlannedLoad, product: ProductFacts
) -> list[str]:
    wb = ctx.waybill
    problems: list[str] = []
    if not any(same_plate(permit.vehicle_plate, p) for p in _plates(ctx)):
        problems.append("vehicle")
    for role, record, listed in (
        ("driver", ctx.driver, wb.driver_id_number if wb else None),
        ("escort", ctx.escort, wb.escort_id_number if wb else None),
    ):
        wanted = record.id_number if record is not None else listed
        named = permit.driver_id_number if role == "driver" else permit.escort_id_number
        if wanted and norm_key(named) != norm_key(wanted):
            problems.append(role)
    if not _covers_goods(permit, load, product):
        problems.append("goods")
    if not _same_place(permit.destination, wb.destination if wb else None):
        problems.append("destination")
    return problems


def _same_place(permitted: str | None, going: str | None) -> bool:
    # The waybill names the pass's destination, perhaps more finely: a pass to 哈尔滨市 covers
    # 哈尔滨市松北区. A vaguer waybill, or one without a destination, does not show it keeps to
    # the pass.
    wanted, actual = norm_name(permitted), norm_name(going)
    return not wanted or wanted in actual


_FIELDS_ZH = {
    "vehicle": "车辆",
    "driver": "驾驶人",
    "escort": "押运人",
    "goods": "品名或数量",
    "destination": "目的地",
    "not yet valid": "尚未生效",
}


def _toxic_pass(ctx: CheckContext, load: PlannedLoad, product: ProductFacts) -> list[Violation]:
    subject = product_subject(product)
    un = norm_un(product.un_number)
    wb = ctx.waybill
    passes = [p for p in ctx.permits if p.kind == "toxic_road_pass" and active(p)]
    if wb is not None and wb.permit_no:  # the waybill names its pass: only that one counts
        passes = [p for p in passes if norm_key(p.permit_no) == norm_key(wb.permit_no)]
    if not passes:
        return [
            emit(
                ctx,
                "C14",
                "TOXIC_PASS_MISSING",
                subject,
                un=un,
                name=product.name,
                permit_no=(wb.permit_no if wb else None) or "—",
            )
        ]
    first: tuple[PermitFacts, list[str]] | None = None
    for permit in passes:
        problems = _pass_problems(ctx, permit, load, product)
        if not problems and in_force(permit.valid_from, permit.valid_until, ctx.local_date):
            return []
        if not problems:
            expired = permit.valid_until is not None and permit.valid_until < ctx.local_date
            if expired:
                return [
                    emit(
                        ctx,
                        "C14",
                        "TOXIC_PASS_EXPIRED",
                        f"permit:{permit.permit_no}",
                        permit_no=permit.permit_no,
                        until=permit.valid_until,
                    )
                ]
            problems = ["not yet valid"]
        first = first or (permit, problems)
    permit, problems = first or (passes[0], [])
    return [
        emit(
            ctx,
            "C14",
            "TOXIC_PASS_MISMATCH",
            f"permit:{permit.permit_no}",
            permit_no=permit.permit_no,
            un=un,
            fields="、".join(_FIELDS_ZH.get(f, f) for f in problems),
            fields_en=", ".join(problems),
        )
    ]


def _has_permit(ctx: CheckContext, kind: str, load: PlannedLoad) -> bool:
    for permit in ctx.permits:
        if permit.kind != kind or not active(permit):
            continue
        if not in_force(permit.valid_from, permit.valid_until, ctx.local_date):
            continue
        if permit.vehicle_plate and not any(
            same_plate(permit.vehicle_plate, p) for p in _plates(ctx)
        ):
            continue
        listed = {norm_un(g.un_number) for g in permit.goods if g.un_number}
        if not listed or norm_un(load.un_number) in listed:
            return True
    return False


def check_c14_special_permits(ctx: CheckContext) -> list[Violation]:
    """剧毒 goods need a matching 通行证 in force; class 1 and 7 need their transport permits."""
    p = params(ctx, "C14")
    out: list[Violation] = []
    for load, product in planned_products(ctx):
        cls = main_class(product_class(product))
        un = norm_un(product.un_number)
        if product.highly_toxic and p["toxic_pass"]:
            out += _toxic_pass(ctx, load, product)
        if cls == "1" and p["explosives_permit"] and not _has_permit(ctx, "explosives", load):
            out.append(
                emit(
                    ctx,
                    "C14",
                    "EXPLOSIVES_PERMIT_MISSING",
                    product_subject(product),
                    un=un,
                    name=product.name,
                )
            )
        if cls == "7" and p["radioactive_permit"] and not _has_permit(ctx, "radioactive", load):
            out.append(
                emit(
                    ctx,
                    "C14",
                    "RADIOACTIVE_PERMIT_MISSING",
                    product_subject(product),
                    un=un,
                    name=product.name,
                )
            )
    return out


def check_c18_sds_label(ctx: CheckContext) -> list[Violation]:
    """一书一签: an SDS version and a label version are on record for each planned product."""
    out: list[Violation] = []
    for _, product in planned_products(ctx):
        papers = (
            ("安全技术说明书", "SDS", product.sds_version),
            ("安全标签", "safety label", product.label_version),
        )
        absent = [(zh, en) for zh, en, version in papers if not (version and version.strip())]
        if absent:
            out.append(
                emit(
                    ctx,
                    "C18",
                    "SDS_LABEL_MISSING",
                    product_subject(product),
                    un=norm_un(product.un_number),
                    name=product.name,
                    absent="、".join(zh for zh, _ in absent),
                    absent_en=" and ".join(en for _, en in absent),
                )
            )
    return out


C04 = CheckSpec(
    "C04",
    "承运人经营许可有效、范围相符",
    "carrier licence valid and in scope",
    check_c04_carrier,
    ("CARRIER_LICENSE_INVALID", "CARRIER_LICENSE_EXPIRING", "WAYBILL_VEHICLE_MISMATCH"),
)
C14 = CheckSpec(
    "C14",
    "剧毒通行证等特别许可",
    "toxic pass and other special permits",
    check_c14_special_permits,
    (
        "TOXIC_PASS_MISSING",
        "TOXIC_PASS_MISMATCH",
        "TOXIC_PASS_EXPIRED",
        "EXPLOSIVES_PERMIT_MISSING",
        "RADIOACTIVE_PERMIT_MISSING",
    ),
    {
        "toxic_pass": ParamSpec("bool", True, doc="剧毒 goods need a 剧毒化学品道路运输通行证"),
        "explosives_permit": ParamSpec("bool", True, doc="class 1 needs 民用爆炸物品运输许可证"),
        "radioactive_permit": ParamSpec("bool", True, doc="class 7 needs a radioactive permit"),
    },
)
C18 = CheckSpec(
    "C18", "一书一签", "SDS and safety label on record", check_c18_sds_label, ("SDS_LABEL_MISSING",)
)
