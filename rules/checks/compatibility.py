"""Compatibility (C17): previous cargo of the tank, and mixed loading of the waybill's goods."""

from __future__ import annotations

from collections.abc import Iterable

from rules.checks.base import CheckSpec
from rules.checks.base import ParamSpec
from rules.checks.base import active
from rules.checks.base import emit
from rules.checks.base import norm_un
from rules.checks.base import params
from rules.checks.base import planned_loads
from rules.checks.base import product_class
from rules.checks.base import product_for
from rules.mixing import Package
from rules.mixing import clash
from rules.mixing import package
from rules.model import CheckContext
from rules.model import GoodsLine
from rules.model import Violation


def _previous_cargo(ctx: CheckContext) -> list[Violation]:
    tank = ctx.tank
    if tank is None or not active(tank) or not tank.last_cargo_un:
        return []  # unknown previous cargo is optional data (data dictionary)
    p = params(ctx, "C17")
    previous = norm_un(tank.last_cargo_un)
    pairs = {frozenset(norm_un(u) for u in pair) for pair in p["incompatible_previous_cargo"]}
    cleaned = ctx.checklist.get(p["cleaning_checklist_item"]) is True
    out: list[Violation] = []
    for load in planned_loads(ctx):
        un = norm_un(load.un_number)
        if un == previous or cleaned:
            continue
        if frozenset({previous, un}) in pairs or p["cleaning_certificate_required"]:
            out.append(
                emit(
                    ctx,
                    "C17",
                    "INCOMPATIBLE_PREVIOUS_CARGO",
                    f"tank:{tank.tank_no}",
                    tank_no=tank.tank_no,
                    previous=previous,
                    un=un,
                )
            )
    return out


def _package(ctx: CheckContext, line: GoodsLine) -> Package:
    product = product_for(ctx, line.un_number, line.packing_group)
    cls = product_class(product) if product is not None else (line.adr_class or "").strip()
    labels = tuple(product.labels) if product is not None and product.labels else (cls,)
    code = product.classification_code if product is not None else None
    return package(norm_un(line.un_number), labels, cls, code)


def _matches(label: str, key: str) -> bool:
    # "1" names the whole class (1.1 ... 1.6); "2.1" only that division.
    return label == key or label.startswith(key + ".")


def _site_prohibited(
    a: Package, b: Package, pairs: Iterable[tuple[str, str]]
) -> tuple[str, str] | None:
    for la in sorted(a.labels):
        for lb in sorted(b.labels):
            for x, y in pairs:
                if (_matches(la, x) and _matches(lb, y)) or (_matches(la, y) and _matches(lb, x)):
                    return la, lb
    return None


def _mixed_loading(ctx: CheckContext) -> list[Violation]:
    wb = ctx.waybill
    if wb is None or len(wb.goods) < 2:
        return []
    pairs = [(x, y) for x, y in params(ctx, "C17")["prohibited_label_pairs"]]
    packages = [_package(ctx, line) for line in wb.goods]
    out: list[Violation] = []
    for i, first in enumerate(packages):
        for second in packages[i + 1 :]:
            found = clash(first, second) or _site_prohibited(first, second, pairs)
            if found:
                out.append(
                    emit(
                        ctx,
                        "C17",
                        "MIXED_LOADING_PROHIBITED",
                        f"waybill:{wb.waybill_no}",
                        un=first.un_number,
                        other=second.un_number,
                        label=found[0],
                        other_label=found[1],
                    )
                )
    return out


def check_c17_compatibility(ctx: CheckContext) -> list[Violation]:
    """No change of cargo without cleaning evidence; no goods the ADR 7.5.2 tables keep apart."""
    return _previous_cargo(ctx) + _mixed_loading(ctx)


C17 = CheckSpec(
    "C17",
    "前次介质相容、禁忌混装",
    "previous cargo and mixed loading",
    check_c17_compatibility,
    ("INCOMPATIBLE_PREVIOUS_CARGO", "MIXED_LOADING_PROHIBITED"),
    {
        "incompatible_previous_cargo": ParamSpec(
            "pair_list", (), doc="UN pairs that need a cleaning certificate between them"
        ),
        "cleaning_certificate_required": ParamSpec(
            "bool", False, doc="any change of cargo needs a cleaning certificate"
        ),
        "cleaning_checklist_item": ParamSpec(
            "str", "cleaning_certificate", doc="checklist item the operator ticks on sighting it"
        ),
        "prohibited_label_pairs": ParamSpec(
            "pair_list",
            (),
            doc="label pairs a site keeps apart beyond the ADR 7.5.2.1 table (\"1\" is class 1)",
        ),
    },
)
