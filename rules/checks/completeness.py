"""Data completeness (C25): what could not be loaded or is missing refuses (fail closed)."""

from __future__ import annotations

import math

from rules.checks.base import UNAVAILABLE
from rules.checks.base import CheckSpec
from rules.checks.base import load_packing_group
from rules.checks.base import norm_un
from rules.checks.base import planned_loads
from rules.checks.base import product_for
from rules.checks.base import unknown
from rules.model import CheckContext
from rules.model import Violation


def check_c25_data_available(ctx: CheckContext) -> list[Violation]:
    """Refuse for every record the service could not load and every product not on file."""
    out = [
        unknown(ctx, "C25", f"data:{name}", f"无法读取 {name}", f"could not load {name}")
        for name in dict.fromkeys(ctx.unavailable)
    ]
    for load in planned_loads(ctx):
        un = norm_un(load.un_number)
        if product_for(ctx, load.un_number, load_packing_group(ctx, load)) is None:
            out.append(
                unknown(
                    ctx,
                    "C25",
                    f"product:UN{un}",
                    f"产品主数据无 UN{un}（或已停用）",
                    f"no active product-master entry for UN{un}",
                )
            )
        if not (math.isfinite(load.quantity_kg) and load.quantity_kg > 0):
            out.append(
                unknown(
                    ctx,
                    "C25",
                    f"load:UN{un}",
                    f"UN{un} 计划装载量无效",
                    f"planned quantity for UN{un} is missing or not positive",
                )
            )
    return out


C25 = CheckSpec(
    "C25",
    "查验数据完整（失败即拒绝）",
    "data complete (fail closed)",
    check_c25_data_available,
    (UNAVAILABLE,),
)
