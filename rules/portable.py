"""Portable-tank instructions (UN T-codes, Table A col.10): may a portable tank carry a substance?

ADR 4.2.5.2.5 [V] lets a portable tank of another instruction stand in when it offers at least
the same minimum test pressure, shell thickness, bottom-opening and pressure-relief provisions;
the 4.2.5.2.6 table [V] gives those four for T1-T22, and the tests check that comparing them
yields exactly the alternatives 4.2.5.2.5 lists. T23 (self-reactive substances and organic
peroxides), T50 (liquefied gases) and T75 (refrigerated liquefied gases) carry
substance-specific provisions, so only the same instruction will do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Increasing safety, per parameter of the 4.2.5.2.6 table.
ORDER_SHELL = ("6.7.2.4.2", "6 mm", "8 mm", "10 mm")
ORDER_RELIEF = ("normal", "6.7.2.8.3")
ORDER_BOTTOM = ("6.7.2.6.2", "6.7.2.6.3", "not allowed")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One row of the 4.2.5.2.6 table: test pressure (bar), shell, relief, bottom openings."""

    test_pressure_bar: float
    shell: str
    relief: str
    bottom: str


_G, _3 = "6.7.2.6.2", "6.7.2.6.3"
_NORMAL, _RELIEF, _NONE = "normal", "6.7.2.8.3", "not allowed"
INSTRUCTIONS: dict[str, Instruction] = {
    "T1": Instruction(1.5, "6.7.2.4.2", _NORMAL, _G),
    "T2": Instruction(1.5, "6.7.2.4.2", _NORMAL, _3),
    "T3": Instruction(2.65, "6.7.2.4.2", _NORMAL, _G),
    "T4": Instruction(2.65, "6.7.2.4.2", _NORMAL, _3),
    "T5": Instruction(2.65, "6.7.2.4.2", _RELIEF, _NONE),
    "T6": Instruction(4, "6.7.2.4.2", _NORMAL, _G),
    "T7": Instruction(4, "6.7.2.4.2", _NORMAL, _3),
    "T8": Instruction(4, "6.7.2.4.2", _NORMAL, _NONE),
    "T9": Instruction(4, "6 mm", _NORMAL, _NONE),
    "T10": Instruction(4, "6 mm", _RELIEF, _NONE),
    "T11": Instruction(6, "6.7.2.4.2", _NORMAL, _3),
    "T12": Instruction(6, "6.7.2.4.2", _RELIEF, _3),
    "T13": Instruction(6, "6 mm", _NORMAL, _NONE),
    "T14": Instruction(6, "6 mm", _RELIEF, _NONE),
    "T15": Instruction(10, "6.7.2.4.2", _NORMAL, _3),
    "T16": Instruction(10, "6.7.2.4.2", _RELIEF, _3),
    "T17": Instruction(10, "6 mm", _NORMAL, _3),
    "T18": Instruction(10, "6 mm", _RELIEF, _3),
    "T19": Instruction(10, "6 mm", _RELIEF, _NONE),
    "T20": Instruction(10, "8 mm", _RELIEF, _NONE),
    "T21": Instruction(10, "10 mm", _NORMAL, _NONE),
    "T22": Instruction(10, "10 mm", _RELIEF, _NONE),
}
SAME_ONLY = frozenset({"T23", "T50", "T75"})
_CODE = re.compile(r"T(\d{1,2})")


def portable_code(text: str) -> str | None:
    """The T-code written in a cell ("t 4" → "T4"), or None if it is not one ADR defines."""
    found = _CODE.fullmatch(text.replace(" ", "").upper())
    if not found:
        return None
    code = f"T{int(found.group(1))}"
    return code if code in INSTRUCTIONS or code in SAME_ONLY else None


def _at_least(offered: str, required: str, order: tuple[str, ...]) -> bool:
    return order.index(offered) >= order.index(required)


def portable_satisfies(required: str, offered: str) -> bool:
    """Whether a portable tank built to ``offered`` may carry goods assigned ``required``.

    Both are T-codes as :func:`portable_code` returns them.
    """
    if required in SAME_ONLY or offered in SAME_ONLY:
        return required == offered
    r, o = INSTRUCTIONS[required], INSTRUCTIONS[offered]
    return (
        o.test_pressure_bar >= r.test_pressure_bar
        and _at_least(o.shell, r.shell, ORDER_SHELL)
        and _at_least(o.relief, r.relief, ORDER_RELIEF)
        and _at_least(o.bottom, r.bottom, ORDER_BOTTOM)
    )
