"""Mass limits (C15): planned net ≤ rated load of the carrying vehicle and ≤ the tank's limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rules.checks.base import UNAVAILABLE
from rules.checks.base import CheckSpec
from rules.checks.base import active
from rules.checks.base import emit_for
from rules.checks.base import kg
from rules.checks.base import planned_loads
from rules.model import CheckContext
from rules.model import TankFacts
from rules.model import VehicleFacts
from rules.model import Violation

if TYPE_CHECKING:
    from rules.profile import Profile


@dataclass(frozen=True, slots=True)
class MassFinding:
    """One exceeded (or unknown) limit: code, subject, quantity and the limit it was held to."""

    code: str
    subject: str
    quantity_kg: float
    limit_kg: float | None
    limit: str


def check_mass(
    quantity_kg: float,
    vehicle: VehicleFacts | None,
    trailer: VehicleFacts | None,
    tank: TankFacts | None,
) -> list[MassFinding]:
    """Hold a net quantity to the rated load (核定载质量) and the tank's 允许充装量.

    For a tractor and trailer the trailer's rated load counts (the tractor carries nothing
    itself); a tractor without a trailer record is not judged here. A limit that is not on
    record gives a CHECK_DATA_UNAVAILABLE finding. The service reuses this after loading with
    the metered net quantity.
    """
    findings: list[MassFinding] = []
    carrying = trailer if trailer is not None else vehicle
    if carrying is not None and not (carrying is vehicle and vehicle.kind == "tractor"):
        subject = f"{'trailer' if carrying is trailer else 'vehicle'}:{carrying.plate}"
        rated = carrying.rated_load_kg
        if rated is None:
            findings.append(MassFinding(UNAVAILABLE, subject, quantity_kg, None, "rated_load_kg"))
        elif quantity_kg > rated:
            findings.append(
                MassFinding("OVERLOAD_RATED_MASS", subject, quantity_kg, rated, "rated_load_kg")
            )
    if tank is not None:
        subject = f"tank:{tank.tank_no}"
        if tank.max_fill_kg is None:
            findings.append(MassFinding(UNAVAILABLE, subject, quantity_kg, None, "max_fill_kg"))
        elif quantity_kg > tank.max_fill_kg:
            findings.append(
                MassFinding(
                    "OVERFILL_TANK_LIMIT", subject, quantity_kg, tank.max_fill_kg, "max_fill_kg"
                )
            )
    return findings


_LIMIT_NAMES = {
    "rated_load_kg": ("核定载质量", "rated load"),
    "max_fill_kg": ("允许充装量", "permitted filling mass"),
}


def mass_violations(
    profile: Profile,
    quantity_kg: float,
    vehicle: VehicleFacts | None,
    trailer: VehicleFacts | None,
    tank: TankFacts | None,
) -> list[Violation]:
    """`check_mass` rendered as C15 violations with the profile's messages (for after loading)."""
    out: list[Violation] = []
    for f in check_mass(quantity_kg, vehicle, trailer, tank):
        zh, en = _LIMIT_NAMES[f.limit]
        out.append(
            emit_for(
                profile,
                "C15",
                f.code,
                f.subject,
                quantity=kg(f.quantity_kg),
                limit=kg(f.limit_kg),
                what=f"{zh}未登记",
                what_en=f"{en} not on record",
            )
        )
    return out


def check_c15_mass(ctx: CheckContext) -> list[Violation]:
    """Planned total ≤ rated load and ≤ tank limit (29号令 Art.29)."""
    loads = planned_loads(ctx)
    if not loads:
        return []
    total = sum(load.quantity_kg for load in loads)
    vehicle = ctx.vehicle if ctx.vehicle is not None and active(ctx.vehicle) else None
    trailer = ctx.trailer if ctx.trailer is not None and active(ctx.trailer) else None
    tank = ctx.tank if ctx.tank is not None and active(ctx.tank) else None
    return mass_violations(ctx.profile, total, vehicle, trailer, tank)


C15 = CheckSpec(
    "C15",
    "不超核定载质量与允许充装量",
    "within rated load and tank filling limit",
    check_c15_mass,
    ("OVERLOAD_RATED_MASS", "OVERFILL_TANK_LIMIT"),
)
