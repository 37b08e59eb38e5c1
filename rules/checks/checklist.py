"""Operator checklist: visual state and marking (C19), grounding and overfill interlock (C22)."""

from __future__ import annotations

from rules.checks.base import CheckSpec
from rules.checks.base import emit
from rules.model import CheckContext
from rules.model import Violation

# Which check owns a checklist item, by the reason code the profile gives it (regulations §12).
CHECKLIST_CODES = {
    "VEHICLE_DEFECT": "C19",
    "MARKING_PLACARD_MISSING": "C19",
    "GROUNDING_NOT_CONFIRMED": "C22",
    "OVERFILL_PROTECTION_FAULT": "C22",
}


def _unconfirmed(ctx: CheckContext, owner: str) -> list[Violation]:
    # Only an explicit True confirms: a missing, false or non-boolean answer is "not confirmed".
    return [
        emit(ctx, owner, item.code, f"checklist:{item.item}", item=item.zh, item_en=item.en)
        for item in ctx.profile.checklist
        if CHECKLIST_CODES[item.code] == owner and ctx.checklist.get(item.item) is not True
    ]


def check_c19_visual_state(ctx: CheckContext) -> list[Violation]:
    """Every required visual-state and marking item is ticked true by the operator."""
    return _unconfirmed(ctx, "C19")


def check_c22_grounding(ctx: CheckContext) -> list[Violation]:
    """Grounding and overfill-protection items are ticked true before the pump may run."""
    return _unconfirmed(ctx, "C22")


C19 = CheckSpec(
    "C19",
    "车辆技术状况与标志",
    "vehicle state and marking",
    check_c19_visual_state,
    ("VEHICLE_DEFECT", "MARKING_PLACARD_MISSING"),
)
C22 = CheckSpec(
    "C22",
    "静电接地与防溢联锁",
    "grounding and overfill interlock",
    check_c22_grounding,
    ("GROUNDING_NOT_CONFIRMED", "OVERFILL_PROTECTION_FAULT"),
)
