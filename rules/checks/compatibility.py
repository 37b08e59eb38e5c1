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


def _labels(ctx: CheckContext, line: GoodsLine) -> set[str]:
    product = product_for(ctx, line.un_number, line.packing_group)
    if product is not None and product.labels:
        return {lbl.strip() for lbl in product.labels if lbl.strip()}
    cls = product_class(product) if product is not None else (line.adr_class or "").strip()
    return {cls} if cls else set()


def _matches(label: str, key: str) -> bool:
    # "1" names the whole class (1.1 ... 1.6); "2.1" only that division.
    return label == key or label.startswith(key + ".")


def _prohibited(
    a: Iterable[str], b: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> tuple[str, str] | None:
    for la in a:
        for lb in b:
            for x, y in pairs:
                if (_matches(la, x) and _matches(lb, y)) or (_matches(la, y) and _matches(lb, x)):
                    return la, lb
    return None


def _mixed_loading(ctx: CheckContext) -> list[Violation]:
    wb = ctx.waybill
    if wb is None or len(wb.goods) < 2:
        return []
    pairs = [(x, y) for x, y in params(ctx, "C17")["prohibited_label_pairs"]]
    labelled = [(line, _labels(ctx, line)) for line in wb.goods]
    out: list[Violation] = []
    for i, (first, first_labels) in enumerate(labelled):
        for second, second_labels in labelled[i + 1 :]:
            clash = _prohibited(first_labels, second_labels, pairs)
            if clash:
                out.append(
                    emit(
                        ctx,
                        "C17",
                        "MIXED_LOADING_PROHIBITED",
                        f"waybill:{wb.waybill_no}",
                        un=norm_un(first.un_number),
                        other=norm_un(second.un_number),
                        label=clash[0],
                        other_label=clash[1],
                    )
                )
    return out


def check_c17_compatibility(ctx: CheckContext) -> list[Violation]:
    """No change of cargo without cleaning evidence; no prohibited label pairs on one vehicle."""
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
            "pair_list", (), doc="danger-label pairs that may not travel together (ADR 7.5.2.1)"
        ),
    },
)
