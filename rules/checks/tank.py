"""Tank checks: inspection in date (C08), medium permitted (C09), tank code and provisions (C10)."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import dated
from rules.checks.base import emit
from rules.checks.base import load_packing_group
from rules.checks.base import norm_key
from rules.checks.base import norm_name
from rules.checks.base import norm_un
from rules.checks.base import params
from rules.checks.base import planned_products
from rules.checks.base import presented
from rules.checks.base import product_class
from rules.checks.base import unknown
from rules.identifiers import IdentifierError
from rules.identifiers import parse_tank_code
from rules.model import CheckContext
from rules.model import PlannedLoad
from rules.model import ProductFacts
from rules.model import TankFacts
from rules.model import Violation
from rules.portable import portable_code
from rules.portable import portable_satisfies
from rules.tankcode import tank_qualifies

TANK_KINDS = ("atmospheric", "pressure", "tank_container", "portable")


def _tank(ctx: CheckContext) -> TankFacts | None:
    return ctx.tank if ctx.tank is not None and active(ctx.tank) else None


def check_c08_tank_inspection(ctx: CheckContext) -> list[Violation]:
    """An inspection report on file whose next-inspection date has not passed (no grace)."""
    tank = ctx.tank
    if tank is None:
        shown = presented(ctx, "tank")
        if shown and "tank" not in ctx.unavailable:
            return [
                emit(
                    ctx,
                    "C08",
                    "TANK_INSPECTION_RECORD_MISSING",
                    f"tank:{shown}",
                    tank_no=shown,
                    why="无罐体档案",
                    why_en="no tank record on file",
                )
            ]
        return []
    subject = f"tank:{tank.tank_no}"
    if not active(tank):
        return [
            emit(
                ctx,
                "C08",
                "TANK_INSPECTION_RECORD_MISSING",
                subject,
                tank_no=tank.tank_no,
                why="罐体档案已停用",
                why_en="tank record is inactive",
            )
        ]
    if params(ctx, "C08")["require_report_no"] and not tank.inspection_report_no:
        return [
            emit(
                ctx,
                "C08",
                "TANK_INSPECTION_RECORD_MISSING",
                subject,
                tank_no=tank.tank_no,
                why="无检验报告编号",
                why_en="no inspection report number",
            )
        ]
    return dated(
        ctx,
        "C08",
        subject,
        tank.next_inspection_due,
        missing="TANK_INSPECTION_RECORD_MISSING",
        expired="TANK_INSPECTION_EXPIRED",
        expiring="TANK_INSPECTION_EXPIRING",
        tank_no=tank.tank_no,
        report_no=tank.inspection_report_no or "—",
        why="无下次检验日期",
        why_en="no next-inspection date",
    )


def _names(ctx: CheckContext, load: PlannedLoad, product: ProductFacts) -> set[str]:
    # Accepted names: the product master's, the plan's and the waybill line's (synonyms in use).
    names = {product.name, load.name or ""}
    if ctx.waybill is not None:
        names |= {
            g.name for g in ctx.waybill.goods if norm_un(g.un_number) == norm_un(load.un_number)
        }
    return {norm_name(n) for n in names if n}


def _on_media_list(
    ctx: CheckContext, tank: TankFacts, load: PlannedLoad, product: ProductFacts, match_name: bool
) -> bool:
    un = norm_un(load.un_number)
    # The plan's PG, else the waybill line's, else the product entry's (the PG the site loads).
    pg = norm_key(load_packing_group(ctx, load) or product.packing_group)
    names = _names(ctx, load, product)
    for row in tank.media:  # an empty or "——" list matches nothing
        if norm_un(row.un_number) != un:
            continue
        if match_name and norm_name(row.name) not in names:
            continue
        if row.packing_group and norm_key(row.packing_group) != pg:
            continue
        return True
    return False


def _registered(
    ctx: CheckContext, tank: TankFacts, load: PlannedLoad, product: ProductFacts
) -> bool:
    medium = tank.registered_medium
    if not medium:
        return False
    return norm_un(medium) == norm_un(load.un_number) or norm_name(medium) in _names(
        ctx, load, product
    )


def _medium_not_permitted(
    ctx: CheckContext,
    check: str,
    tank: TankFacts,
    load: PlannedLoad,
    product: ProductFacts,
    where: str,
    where_en: str,
) -> Violation:
    return emit(
        ctx,
        check,
        "TANK_MEDIUM_NOT_PERMITTED",
        f"tank:{tank.tank_no}",
        tank_no=tank.tank_no,
        un=norm_un(load.un_number),
        name=load.name or product.name,
        where=where,
        where_en=where_en,
    )


def check_c09_tank_medium(ctx: CheckContext) -> list[Violation]:
    """The goods are on the tank's 适装介质列表 (or are the pressure vessel's registered medium)."""
    tank = _tank(ctx)
    if tank is None:
        return []
    p = params(ctx, "C09")
    out: list[Violation] = []
    for load, product in planned_products(ctx):
        if tank.kind in p["media_list_kinds"]:
            ok = _on_media_list(ctx, tank, load, product, p["match_name"])
            where, where_en = "适装介质列表", "suitable-media list"
        elif tank.kind in p["registered_medium_kinds"]:
            ok = _registered(ctx, tank, load, product)
            where, where_en = "使用登记证限定介质", "registered medium"
        else:
            continue  # tank containers and portable tanks go by tank code (C10)
        if not ok:
            out.append(_medium_not_permitted(ctx, "C09", tank, load, product, where, where_en))
    return out


def _not_for_tanks(ctx: CheckContext, tank: TankFacts, product: ProductFacts) -> Violation:
    return emit(
        ctx,
        "C10",
        "TANK_NOT_ALLOWED_FOR_PRODUCT",
        f"tank:{tank.tank_no}",
        tank_no=tank.tank_no,
        un=norm_un(product.un_number),
        name=product.name,
    )


def _medium_checked_by_c09(ctx: CheckContext, tank: TankFacts) -> bool:
    # C09 already compares the medium of these tanks; one refusal says it.
    if ctx.profile.severity("C09") == "off":
        return False
    p = params(ctx, "C09")
    return tank.kind in p["media_list_kinds"] or tank.kind in p["registered_medium_kinds"]


def _plate_verdict(
    ctx: CheckContext, tank: TankFacts, load: PlannedLoad, product: ProductFacts, code: str | None
) -> Violation | None:
    """A gas tank carries only the gases its approval and plate name (§8; ADR 6.8.2.3.2 [V],
    6.8.3.5.6 [R]): the tank's suitable-media list, or a pressure vessel's registered medium."""
    if code is None or parse_tank_code(code).family != "gas" or _medium_checked_by_c09(ctx, tank):
        return None
    if _on_media_list(ctx, tank, load, product, False) or _registered(ctx, tank, load, product):
        return None
    return _medium_not_permitted(
        ctx, "C10", tank, load, product, "铭牌所列气体", "plate list of gases"
    )


def _code_verdict(
    ctx: CheckContext, tank: TankFacts, load: PlannedLoad, product: ProductFacts, codes: list[str]
) -> Violation | None:
    """The tank's ADR code against the product's col.12 codes (§8 hierarchy)."""
    subject, un = f"tank:{tank.tank_no}", norm_un(product.un_number)
    required = " / ".join(codes)
    if not tank.tank_code:
        return emit(
            ctx,
            "C10",
            "TANK_CODE_INSUFFICIENT",
            subject,
            tank_no=tank.tank_no,
            un=un,
            required=required,
            offered="—",
        )
    cls = product_class(product)
    if not cls:
        return unknown(ctx, "C10", subject, f"UN{un} 无类别", f"UN{un} has no class")
    try:
        verdict = tank_qualifies(
            codes, tank.tank_code, product_class=cls, approved_un=ctx.tank_approved_un, un_number=un
        )
    except IdentifierError as exc:
        return unknown(
            ctx, "C10", subject, f"罐体代码无法识别：{exc.zh}", f"unreadable tank code: {exc.en}"
        )
    if verdict.ok:
        return _plate_verdict(ctx, tank, load, product, verdict.satisfied_by)
    plus = verdict.reason == "plus_not_approved"
    return emit(
        ctx,
        "C10",
        "TANK_CODE_PLUS_NOT_APPROVED" if plus else "TANK_CODE_INSUFFICIENT",
        subject,
        tank_no=tank.tank_no,
        un=un,
        required=required,
        offered=tank.tank_code,
        reason=verdict.reason,
    )


def _provisions_verdict(
    ctx: CheckContext, tank: TankFacts, product: ProductFacts, kinds: tuple[str, ...]
) -> Violation | None:
    """Col.13 provisions of the kinds a tank's approval lists (TC, TE, TA) are on the tank."""
    fitted = {norm_key(sp) for sp in tank.special_provisions}
    missing = [
        sp.strip()
        for sp in product.tank_special_provisions
        if sp.strip()[:2].upper() in kinds and norm_key(sp) not in fitted
    ]
    if not missing:
        return None
    return emit(
        ctx,
        "C10",
        "TANK_SPECIAL_PROVISION_UNMET",
        f"tank:{tank.tank_no}",
        tank_no=tank.tank_no,
        un=norm_un(product.un_number),
        missing="、".join(missing),
        missing_en=", ".join(missing),
    )


def _portable_verdict(
    ctx: CheckContext, tank: TankFacts, product: ProductFacts, refuse_uncoded: bool
) -> Violation | None:
    """A portable tank's T-code against the product's col.10 instruction (4.2.5.2.5)."""
    subject, un = f"tank:{tank.tank_no}", norm_un(product.un_number)
    wanted = [c for c in (portable_code(i) for i in product.portable_tank_instructions) if c]
    if not wanted:
        return _not_for_tanks(ctx, tank, product) if refuse_uncoded else None
    offered = portable_code(tank.tank_code) if tank.tank_code else None
    if tank.tank_code and offered is None:
        return unknown(
            ctx,
            "C10",
            subject,
            f"可移动罐柜导则无法识别（{tank.tank_code}）",
            f"unreadable portable tank instruction ({tank.tank_code})",
        )
    if offered is not None and any(portable_satisfies(code, offered) for code in wanted):
        return None
    return emit(
        ctx,
        "C10",
        "PORTABLE_TANK_INSTRUCTION_INSUFFICIENT",
        subject,
        tank_no=tank.tank_no,
        un=un,
        required=" / ".join(wanted),
        offered=offered or "—",
    )


def check_c10_tank_code(ctx: CheckContext) -> list[Violation]:
    """The tank meets the product's ADR tank code (§8) and its col.13 tank provisions, or a
    portable tank the product's T-code."""
    tank = _tank(ctx)
    if tank is None:
        return []
    p = params(ctx, "C10")
    by_kind = tank.kind in p["tank_kinds"]
    if not by_kind and not (p["when_recorded"] and tank.tank_code):
        return []
    refuse_uncoded = by_kind and p["no_code"] == "refuse"
    found: list[Violation | None] = []
    for load, product in planned_products(ctx):
        if tank.kind == "portable":
            found.append(_portable_verdict(ctx, tank, product, refuse_uncoded))
            continue
        codes = [c for c in product.tank_codes if c.strip()]
        if not codes:
            # Col.12 empty: no tank carriage; tanks checked only because they record a code
            # (Chinese 常压罐体 with a design code) fall back to their media list (C09).
            found.append(_not_for_tanks(ctx, tank, product) if refuse_uncoded else None)
            continue
        found.append(_code_verdict(ctx, tank, load, product, codes))
        found.append(_provisions_verdict(ctx, tank, product, tuple(p["tank_provisions"])))
    return [v for v in found if v is not None]


C08 = CheckSpec(
    "C08",
    "罐体检验在有效期内",
    "tank inspection in date",
    check_c08_tank_inspection,
    ("TANK_INSPECTION_RECORD_MISSING", "TANK_INSPECTION_EXPIRED", "TANK_INSPECTION_EXPIRING"),
    {"require_report_no": ParamSpec("bool", True, doc="a report number must be on file")},
)
C09 = CheckSpec(
    "C09",
    "货物在罐体适装介质列表内",
    "goods on the tank's suitable-media list",
    check_c09_tank_medium,
    ("TANK_MEDIUM_NOT_PERMITTED",),
    {
        "media_list_kinds": ParamSpec("str_list", ("atmospheric",)),
        "registered_medium_kinds": ParamSpec("str_list", ("pressure",)),
        "match_name": ParamSpec("bool", True, doc="a media row must also match the name"),
    },
)
C10 = CheckSpec(
    "C10",
    "罐体代码满足要求",
    "tank code meets ADR col.12",
    check_c10_tank_code,
    (
        "TANK_NOT_ALLOWED_FOR_PRODUCT",
        "TANK_CODE_INSUFFICIENT",
        "TANK_CODE_PLUS_NOT_APPROVED",
        "TANK_SPECIAL_PROVISION_UNMET",
        "PORTABLE_TANK_INSTRUCTION_INSUFFICIENT",
        "TANK_MEDIUM_NOT_PERMITTED",
    ),
    {
        "tank_kinds": ParamSpec("str_list", TANK_KINDS, doc="tank kinds that must meet the code"),
        "when_recorded": ParamSpec("bool", False, doc="also check other tanks that record a code"),
        "no_code": ParamSpec(
            "choice",
            "refuse",
            ("refuse", "skip"),
            "what a product without a col.12 (portable tanks: col.10) code means for those kinds",
        ),
        "tank_provisions": ParamSpec(
            "str_list",
            ("TC", "TE", "TA"),
            doc="kinds of col.13 provision the tank's type approval must list (ADR 6.8.2.3.2)",
        ),
    },
)
