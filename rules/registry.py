"""The ordered registry of checks and `evaluate`: default deny, fail closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rules.checks import blacklist
from rules.checks import checklist
from rules.checks import compatibility
from rules.checks import completeness
from rules.checks import mass
from rules.checks import people
from rules.checks import permits
from rules.checks import tank
from rules.checks import vehicle
from rules.checks import waybill
from rules.checks.base import UNAVAILABLE
from rules.checks.base import CheckSpec
from rules.checks.base import emit
from rules.checks.base import presented
from rules.model import SLOTS
from rules.model import CheckContext
from rules.model import Decision
from rules.model import Outcome
from rules.model import Violation

# Every check id of regulations.md §1; a profile may name only these.
ALL_CHECK_IDS = tuple(f"C{n:02d}" for n in range(1, 26))

CHECKS: tuple[CheckSpec, ...] = (
    vehicle.C01,
    vehicle.C02,
    vehicle.C03,
    permits.C04,
    people.C05,
    people.C06,
    people.C07,
    tank.C08,
    tank.C09,
    tank.C10,
    vehicle.C11,
    waybill.C12,
    waybill.C13,
    permits.C14,
    mass.C15,
    compatibility.C17,
    permits.C18,
    checklist.C19,
    blacklist.C20,
    checklist.C22,
    completeness.C25,
)

KNOWN_CODES = frozenset({UNAVAILABLE}.union(*(spec.codes for spec in CHECKS)))


def missing_slots(ctx: CheckContext) -> tuple[str, ...]:
    """Slots a decision needs that were not presented (rescan → INCOMPLETE)."""
    required = {"vehicle", "tank", "driver", "waybill"}
    if ctx.profile.requires_escort:
        required.add("escort")
    tractor = ctx.vehicle is not None and ctx.vehicle.kind == "tractor"
    if tractor or (ctx.waybill is not None and ctx.waybill.trailer_plate):
        required.add("trailer")
    missing = [slot for slot in SLOTS if slot in required and not presented(ctx, slot)]
    if ctx.profile.require_load and ctx.load is None:
        missing.append("load")
    return tuple(missing)


def _failed(ctx: CheckContext, spec: CheckSpec, exc: Exception) -> Violation:
    # A check that raises has not shown the load is safe: that is a refusal, never an error.
    error = f"{type(exc).__name__}: {exc}"[:200]
    try:
        return emit(
            ctx,
            spec.id,
            UNAVAILABLE,
            f"check:{spec.id}",
            what=f"规则 {spec.id} 执行出错",
            what_en=f"check {spec.id} failed",
            error=error,
        )
    except Exception:  # even a broken profile must not let the decision through
        return Violation(
            spec.id,
            UNAVAILABLE,
            "refuse",
            f"check:{spec.id}",
            UNAVAILABLE,
            UNAVAILABLE,
            details={"error": error},
        )


def run_check(spec: CheckSpec, ctx: CheckContext) -> list[Violation]:
    """Run one check with the profile's severity applied; exceptions become refusals."""
    severity = ctx.profile.severity(spec.id)
    if severity == "off":
        return []
    try:
        found = list(spec.run(ctx))
    except Exception as exc:  # fail closed on any bug or bad fact
        return [_failed(ctx, spec, exc)]
    if severity == "warn":
        found = [replace(v, severity="warn") for v in found]
    return found


def evaluate(ctx: CheckContext, checks: Sequence[CheckSpec] = CHECKS) -> Decision:
    """Decide ALLOW, REFUSE or INCOMPLETE for one visit.

    Default deny: ALLOW only when every applicable check ran and none refused and no slot is
    missing. A refusal wins over missing slots (REFUSE, with `missing` still listed).
    """
    seen: set[tuple[str, str, str, str]] = set()
    reasons: list[Violation] = []
    warnings: list[Violation] = []
    for spec in checks:
        for v in run_check(spec, ctx):
            key = (v.check, v.code, v.subject, v.message)
            if key in seen:
                continue
            seen.add(key)
            (reasons if v.severity == "refuse" else warnings).append(v)
    missing = missing_slots(ctx)
    outcome: Outcome = "REFUSE" if reasons else "INCOMPLETE" if missing else "ALLOW"
    return Decision(
        outcome=outcome,
        reasons=tuple(sorted(reasons, key=lambda v: v.check)),
        warnings=tuple(sorted(warnings, key=lambda v: v.check)),
        missing=missing,
        ruleset_id=ctx.profile.id,
        ruleset_version=ctx.profile.version,
    )
