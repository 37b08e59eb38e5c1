"""ADR tank-code hierarchy (regulations.md §8): may a tank with one code carry a substance?"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rules.identifiers import TankCode
from rules.identifiers import parse_tank_code

# Increasing safety, per code part (ADR 4.3.4.1.2 for classes 3-9, 4.3.3.1.2 for class 2).
ORDER_TYPE_39 = ("S", "L")
ORDER_PRESSURE = ("G", "1.5", "2.65", "4", "10", "15", "21")
ORDER_OPENING = ("A", "B", "C", "D")
ORDER_VALVE = ("V", "F", "N", "H")
ORDER_GAS_OPENING = ("B", "C", "D")
ORDER_GAS_VALVE = ("N", "H")

# 4.3.2.1.2 footnote: for these classes the hierarchy does not apply, only exact type approval.
APPROVAL_ONLY_CLASSES = frozenset({"1", "5.2", "7"})

Reason = Literal["ok", "no_code", "insufficient", "plus_not_approved", "approval_required"]


@dataclass(frozen=True, slots=True)
class TankCodeVerdict:
    """Whether a tank qualifies for a product, and which of the product's codes it satisfied."""

    ok: bool
    reason: Reason
    satisfied_by: str | None = None


def main_class(product_class: str) -> str:
    """Reduce a class or division to the key the approval rule uses ("1.1" → "1", "5.2" stays)."""
    text = product_class.strip()
    if text.startswith("1"):
        return "1"
    return text


def _norm_un(value: str) -> str:
    text = value.strip().upper().replace(" ", "")
    return text[2:] if text.startswith("UN") else text


def _approved(approved_un: Collection[str], un_number: str | None) -> bool:
    if un_number is None:
        return False
    return _norm_un(un_number) in {_norm_un(u) for u in approved_un}


def _at_least(offered: str, required: str, order: Sequence[str]) -> bool:
    return order.index(offered) >= order.index(required)


def _gas_pressure_ok(required: str, offered: str, min_test_pressure_bar: float | None) -> bool:
    # "X" means the gas-specific test pressure of table 4.3.3.2.5; without that figure (or the
    # tank plate's) the comparison is unknown, and unknown must not qualify a tank.
    if required == "X":
        if offered == "X":
            return True
        return min_test_pressure_bar is not None and float(offered) >= min_test_pressure_bar
    if offered == "X":
        return False
    return float(offered) >= float(required)


def _gas_satisfies(
    r: TankCode, o: TankCode, *, battery_or_megc: bool, min_test_pressure_bar: float | None
) -> bool:
    if r.tank_type != o.tank_type:  # C, P and R never interchange
        return False
    if not _gas_pressure_ok(r.pressure, o.pressure, min_test_pressure_bar):
        return False
    if not _at_least(o.openings, r.openings, ORDER_GAS_OPENING):
        return False
    if r.tank_type == "R" and o.valves == "H":  # the R rows of the table list N only
        return False
    if not _at_least(o.valves, r.valves, ORDER_GAS_VALVE):
        return False
    return not (battery_or_megc and r.suffix != "(M)")


def _liquid_satisfies(r: TankCode, o: TankCode) -> bool:
    return (
        _at_least(o.tank_type, r.tank_type, ORDER_TYPE_39)
        and _at_least(o.pressure, r.pressure, ORDER_PRESSURE)
        and _at_least(o.openings, r.openings, ORDER_OPENING)
        and _at_least(o.valves, r.valves, ORDER_VALVE)
    )


def tank_satisfies(
    required: str,
    offered: str,
    *,
    product_class: str,
    approved_un: Collection[str] = (),
    un_number: str | None = None,
    battery_or_megc: bool = False,
    min_test_pressure_bar: float | None = None,
) -> bool:
    """Whether a tank coded `offered` may carry a substance whose col.12 code is `required`.

    :param approved_un: UN numbers the tank's type approval lists (for (+) codes and classes
        1, 5.2 and 7, where only exact approval counts).
    :param battery_or_megc: the tank is a battery-vehicle or MEGC, which needs "(M)".
    :raises rules.identifiers.IdentifierError: (a ValueError) if either code is malformed.
    """
    r = parse_tank_code(required)
    o = parse_tank_code(offered)
    if r.suffix == "(+)":
        return _approved(approved_un, un_number)
    if main_class(product_class) in APPROVAL_ONLY_CLASSES:
        return _approved(approved_un, un_number)
    if r.family != o.family:
        return False
    if r.family == "gas":
        return _gas_satisfies(
            r, o, battery_or_megc=battery_or_megc, min_test_pressure_bar=min_test_pressure_bar
        )
    return _liquid_satisfies(r, o)


def tank_qualifies(
    required_codes: Sequence[str],
    offered: str,
    *,
    product_class: str,
    approved_un: Collection[str] = (),
    un_number: str | None = None,
    battery_or_megc: bool = False,
) -> TankCodeVerdict:
    """Check a tank against the product's col.12 codes, any one of which may be satisfied.

    :raises rules.identifiers.IdentifierError: if a code is malformed.
    """
    codes = [c for c in required_codes if c.strip()]
    if not codes:
        return TankCodeVerdict(False, "no_code")
    for code in codes:
        if tank_satisfies(
            code,
            offered,
            product_class=product_class,
            approved_un=approved_un,
            un_number=un_number,
            battery_or_megc=battery_or_megc,
        ):
            return TankCodeVerdict(True, "ok", satisfied_by=str(parse_tank_code(code)))
    if all(parse_tank_code(c).suffix == "(+)" for c in codes):
        return TankCodeVerdict(False, "plus_not_approved")
    if main_class(product_class) in APPROVAL_ONLY_CLASSES:
        return TankCodeVerdict(False, "approval_required")
    return TankCodeVerdict(False, "insufficient")
