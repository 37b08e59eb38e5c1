"""ADR 7.5.2.1 and 7.5.2.2: may two packages share a vehicle, by label and compatibility group.

The table is a list of permissions: a pair of labels it does not permit may not travel together
(regulations.md §6.3, "treat a blank cell as prohibited"). The 7.5.2.1 cells follow the ADR
2013 text as a government publishes it [V]; 7.5.2.2 is recalled [R]. Cells with a footnote are
permitted only when the footnote's condition can be read from the records; conditions that need
evidence the records do not hold (approved separate compartments, test reports, blasting
explosives with nitrates treated as one explosive load under footnote d) are refusals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Labels that mix freely with each other (every "x" of the table outside class 1) [V].
GENERAL = frozenset({"2", "3", "4.1", "4.2", "4.3", "5.1", "5.2", "6.1", "6.2", "7", "8", "9"})
# Self-reactive substances and organic peroxides with an explosive subsidiary label: each with
# its own kind, and 5.2+1 also with other organic peroxides [V].
EXPLOSIVE_SUBSIDIARY = frozenset({"4.1+1", "5.2+1"})
SUBSIDIARY_ALSO = frozenset({frozenset({"5.2", "5.2+1"})})
# Class 1 rows. Two packages of class 1 go by their compatibility groups alone (7.5.2.2),
# whatever other labels they bear (7.5.2.1 note 2) [V].
EXPLOSIVE = frozenset({"1", "1.4", "1.5", "1.6"})
# Footnote b: class 1 goods with life-saving appliances of class 9 [V]; 3268 is left to c [R].
LIFE_SAVING_APPLIANCES = frozenset({"2990", "3072"})
# Footnote c: pyrotechnic safety devices 1.4G with electrically initiated ones of class 9 [R].
SAFETY_DEVICES = ("0503", "3268")
# 7.5.2.2, the "x" cells between different groups (C, D, E and G mix; S mixes with all but A
# and L) [R]. B with D needs approved separate compartments and N with C, D or E proof that N
# behaves as D: neither is in the records, so both are refused.
GROUPS_TOGETHER = frozenset({"C", "D", "E", "G"})
GROUPS_NOT_WITH_S = frozenset({"A", "L"})
# L with L, and N with N, only for the same substance or article (7.5.2.2 notes) [R].
SAME_SUBSTANCE_ONLY = frozenset({"L", "N"})

_CLASSIFICATION = re.compile(r"1\.[1-6][A-HJLNS]")
_DIVISION_ROWS = {"1.1": "1", "1.2": "1", "1.3": "1", "2.1": "2", "2.2": "2", "2.3": "2"}


@dataclass(frozen=True, slots=True)
class Package:
    """One goods line as the table sees it: UN number, table rows, class 1 group, labels."""

    un_number: str
    rows: frozenset[str]
    code: str | None = None  # class 1: the classification code, "1.4S"
    labels: frozenset[str] = frozenset()
    class_1: bool = False

    @property
    def group(self) -> str | None:
        """The compatibility group of a class 1 package ("S" of "1.4S")."""
        return self.code[-1] if self.code else None

    def shown(self, row: str) -> str:
        """The row as a message shows it: class 1 by its classification code ("1.1D")."""
        return self.code if row in EXPLOSIVE and self.code else row


def table_row(label: str) -> str:
    """The table row of one danger label ("2.3" → "2", "7X" → "7", "1.1" → "1")."""
    text = label.strip().upper()
    if text.startswith("7"):
        return "7"  # labels 7A, 7B, 7C (and 7X, 7E in Table A) share one row
    if text.startswith("9"):
        return "9"  # 9 and 9A
    return _DIVISION_ROWS.get(text, text)


def package(
    un_number: str, labels: Iterable[str], product_class: str, classification_code: str | None
) -> Package:
    """Build a package from its labels (Table A col.5), class and classification code."""
    written = frozenset(lbl.strip() for lbl in labels if lbl.strip())
    rows = {table_row(lbl) for lbl in written}
    cls = product_class.strip()
    if "1" in rows and cls in {"4.1", "5.2"}:
        rows.discard("1")
        rows.discard(cls)
        rows.add(f"{cls}+1")
    code = (classification_code or "").strip().upper()
    known = cls.startswith("1") and _CLASSIFICATION.fullmatch(code)
    return Package(un_number, frozenset(rows), code if known else None, written, cls[:1] == "1")


def _groups_mix(a: Package, b: Package) -> bool:
    if a.group is None or b.group is None:
        return False  # a class 1 package without its group cannot be placed in the table
    if a.group == b.group:
        return a.group not in SAME_SUBSTANCE_ONLY or a.un_number == b.un_number
    pair = {a.group, b.group}
    if "S" in pair:
        return not pair & GROUPS_NOT_WITH_S
    return pair <= GROUPS_TOGETHER


def _with_explosive(explosive: Package, other: Package, other_row: str) -> bool:
    if other_row not in GENERAL:
        return False
    if explosive.group == "S" and "1.4" in explosive.rows:
        return True  # footnote a: 1.4S goes with every label of the general rows
    if other_row != "9":
        return False
    if other.un_number in LIFE_SAVING_APPLIANCES:
        return True  # footnote b
    return (explosive.un_number, other.un_number) == SAFETY_DEVICES  # footnote c


def _rows_mix(a: Package, row_a: str, b: Package, row_b: str) -> bool:
    if row_a in EXPLOSIVE and row_b in EXPLOSIVE:
        return _groups_mix(a, b)
    if row_a in EXPLOSIVE:
        return _with_explosive(a, b, row_b)
    if row_b in EXPLOSIVE:
        return _with_explosive(b, a, row_a)
    if row_a in EXPLOSIVE_SUBSIDIARY or row_b in EXPLOSIVE_SUBSIDIARY:
        return row_a == row_b or frozenset({row_a, row_b}) in SUBSIDIARY_ALSO
    return row_a in GENERAL and row_b in GENERAL


def _class_1_row(p: Package) -> str:
    return p.shown(min(p.rows & EXPLOSIVE, default="1"))


def clash(a: Package, b: Package) -> tuple[str, str] | None:
    """The first pair of rows (as shown) the table does not permit together, or None."""
    if a.class_1 and b.class_1:
        return None if _groups_mix(a, b) else (_class_1_row(a), _class_1_row(b))
    for row_a in sorted(a.rows):
        for row_b in sorted(b.rows):
            if not _rows_mix(a, row_a, b, row_b):
                return a.shown(row_a), b.shown(row_b)
    return None
