"""Classify scanned texts: the canonical LG1:<KIND>:<ID> form and the profile's external formats."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rules.identifiers import IdentifierError
from rules.identifiers import check_id_number
from rules.identifiers import check_plate
from rules.identifiers import is_trailer_plate
from rules.model import ScanCode

if TYPE_CHECKING:
    from rules.profile import Profile

KINDS = ("VEH", "PSN", "TNK", "WBL", "PMT", "ORD")
CANONICAL_FORMAT = "canonical"

_CANONICAL = re.compile(r"(?i:LG1):(?P<kind>[A-Za-z]{3}):(?P<id>.+)", re.DOTALL)
_ID_NUMBER_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PLAIN_ID = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")


@dataclass(frozen=True, slots=True)
class Classified:
    """One scanned text: what it is (if recognised), its normalised identifier and where from."""

    raw: str
    recognised: bool
    kind: str | None = None
    identifier: str | None = None
    format_name: str | None = None
    problem: str | None = None

    def to_scan(self) -> ScanCode | None:
        """The `ScanCode` for a recognised text, None otherwise."""
        if not self.recognised or self.kind is None or self.identifier is None:
            return None
        return ScanCode(kind=self.kind, identifier=self.identifier, raw=self.raw)


def normalise_identifier(kind: str, value: str) -> str:
    """Normalise and validate an identifier of a kind (plates via `normalise_plate`).

    :raises rules.identifiers.IdentifierError: if it is not a valid identifier of that kind.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "VEH":
        return check_plate(text)
    if kind == "PSN":
        key = "".join(text.upper().split())
        if _ID_NUMBER_SHAPE.fullmatch(key):
            # The clock is not read here: the birth date only has to be a real date.
            return check_id_number(key, today=date.max)
        text = key
    if not _PLAIN_ID.fullmatch(text):
        raise IdentifierError(
            f"标识符无效（{text[:40]}）",
            f"identifier is empty, too long or has spaces ({text[:40]})",
        )
    return text


def _recognise(raw: str, kind: str, value: str, format_name: str) -> Classified:
    try:
        identifier = normalise_identifier(kind, value)
    except IdentifierError as exc:
        # The shape matched but the content is not valid: report it, never guess a fix.
        return Classified(raw, False, kind, None, format_name, problem=exc.en)
    return Classified(raw, True, kind, identifier, format_name)


def classify_one(text: str, profile: Profile) -> Classified:
    """Classify one scanned text; an unknown text is returned unrecognised with its raw form."""
    folded = unicodedata.normalize("NFKC", text).strip()
    canonical = _CANONICAL.fullmatch(folded)
    if canonical:
        kind = canonical.group("kind").upper()
        if kind not in KINDS:
            return Classified(text, False, None, None, CANONICAL_FORMAT, f"unknown kind {kind}")
        return _recognise(text, kind, canonical.group("id"), CANONICAL_FORMAT)
    for fmt in profile.code_formats:
        match = fmt.pattern.fullmatch(folded)
        if match and match.group("id"):
            return _recognise(text, fmt.kind, match.group("id"), fmt.name)
    return Classified(text, False)


def classify(texts: Iterable[str], profile: Profile) -> list[Classified]:
    """Classify each scanned text in order."""
    return [classify_one(text, profile) for text in texts]


def scan_codes(classified: Iterable[Classified]) -> tuple[ScanCode, ...]:
    """The recognised codes as `ScanCode`s, duplicates (same kind and id) dropped."""
    seen: set[tuple[str, str]] = set()
    codes: list[ScanCode] = []
    for item in classified:
        scan = item.to_scan()
        if scan is not None and (scan.kind, scan.identifier) not in seen:
            seen.add((scan.kind, scan.identifier))
            codes.append(scan)
    return tuple(codes)


def vehicle_slot(plate: str) -> str:
    """The slot a VEH code fills: "trailer" for a 挂 plate, else "vehicle"."""
    return "trailer" if is_trailer_plate(plate) else "vehicle"
