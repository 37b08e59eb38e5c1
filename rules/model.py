"""Frozen facts a check reads (records, scans, the plan) and the decision it produces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

if TYPE_CHECKING:
    from rules.profile import Profile

Severity = Literal["refuse", "warn"]
Outcome = Literal["ALLOW", "REFUSE", "INCOMPLETE"]

# Slots a visit can present, in the order they are reported in `Decision.missing`.
SLOTS = ("vehicle", "trailer", "tank", "driver", "escort", "waybill", "load")


def _empty() -> Mapping[str, Any]:
    return {}


# --- Records (field names as in data-dictionary.md; `status` is active/inactive) ---------------


@dataclass(frozen=True, slots=True)
class CarrierFacts:
    """A carrier with its road transport business licence (道路运输经营许可证)."""

    uscc: str
    name: str = ""
    license_no: str | None = None
    license_valid_until: date | None = None
    scope: tuple[str, ...] = ()
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    """A tractor, rigid truck or trailer with its 行驶证 and 道路运输证."""

    plate: str
    kind: str = "truck"
    vin: str | None = None
    carrier_uscc: str | None = None
    rated_load_kg: float | None = None
    registration_valid_until: date | None = None
    transport_permit_no: str | None = None
    transport_permit_valid_until: date | None = None
    permit_scope: tuple[str, ...] = ()
    adr_vehicle_type: str | None = None
    adr_approval_valid_until: date | None = None
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class MediumFacts:
    """One row of a tank's suitable-media list (适装介质列表)."""

    un_number: str
    name: str = ""
    packing_group: str | None = None


@dataclass(frozen=True, slots=True)
class TankFacts:
    """A tank and its latest inspection report."""

    tank_no: str
    kind: str = "atmospheric"
    vehicle_plate: str | None = None
    capacity_l: float | None = None
    max_fill_kg: float | None = None
    tank_code: str | None = None
    media: tuple[MediumFacts, ...] = ()
    registration_no: str | None = None
    registered_medium: str | None = None
    inspection_report_no: str | None = None
    inspected_on: date | None = None
    next_inspection_due: date | None = None
    last_cargo_un: str | None = None
    # Col.13 provisions (TC, TE, TA ...) its type approval lists, e.g. ("TE19", "TA4").
    special_provisions: tuple[str, ...] = ()
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A driver or escort with qualification certificate (从业资格证) and licences."""

    id_number: str
    name: str = ""
    phone: str | None = None
    carrier_uscc: str | None = None
    qualification_cert_no: str | None = None
    qualification_categories: tuple[str, ...] = ()
    qualification_valid_until: date | None = None
    driving_license_class: str | None = None
    driving_license_valid_until: date | None = None
    adr_cert_no: str | None = None
    adr_specialisations: tuple[str, ...] = ()
    adr_valid_until: date | None = None
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class GoodsLine:
    """One goods line of a waybill (`class` in the data dictionary is `adr_class` here)."""

    un_number: str
    name: str = ""
    adr_class: str | None = None
    packing_group: str | None = None
    quantity_kg: float | None = None


@dataclass(frozen=True, slots=True)
class WaybillFacts:
    """An electronic waybill (电子运单).

    `status` is the waybill state (issued / loading / loaded / cancelled); the record's own
    active/inactive flag is `record_status`, since both are called `status` in the data dictionary.
    """

    waybill_no: str
    status: str = "issued"
    consignor_uscc: str | None = None
    consignor_name: str | None = None
    consignee_uscc: str | None = None
    consignee_name: str | None = None
    carrier_uscc: str | None = None
    loader_site: str | None = None
    destination: str | None = None
    planned_date: date | None = None
    vehicle_plate: str | None = None
    trailer_plate: str | None = None
    tank_no: str | None = None
    driver_id_number: str | None = None
    escort_id_number: str | None = None
    goods: tuple[GoodsLine, ...] = ()
    permit_no: str | None = None
    record_status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class PermitGoods:
    """One goods line of a permit: a UN number or CAS number, a name and a quantity."""

    un_number: str | None = None
    cas: str | None = None
    name: str | None = None
    quantity_kg: float | None = None


@dataclass(frozen=True, slots=True)
class PermitFacts:
    """A special permit: toxic_road_pass (剧毒化学品道路运输通行证), explosives or radioactive."""

    permit_no: str
    kind: str
    goods: tuple[PermitGoods, ...] = ()
    vehicle_plate: str | None = None
    driver_id_number: str | None = None
    escort_id_number: str | None = None
    origin: str | None = None
    destination: str | None = None
    route: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class BlacklistFacts:
    """A blacklist entry; `valid_until` None means indefinite."""

    subject_kind: str
    subject_key: str
    reason: str = ""
    source: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What the product master knows about one UN number (and packing group).

    ADR Table A supplies the class, codes and tank data; the Chinese catalogue the 剧毒 / 易制爆 /
    high-risk flags; the site product the 一书一签 versions. `labels` are the danger labels
    (Table A col.5, e.g. ("2.3", "8")); empty means "the class".
    """

    un_number: str
    packing_group: str | None = None
    name: str = ""
    adr_class: str | None = None
    classification_code: str | None = None
    tank_codes: tuple[str, ...] = ()
    tank_special_provisions: tuple[str, ...] = ()
    portable_tank_instructions: tuple[str, ...] = ()
    tank_vehicle: str | None = None
    highly_toxic: bool = False
    explosive_precursor: bool = False
    high_risk: bool = False
    sds_version: str | None = None
    label_version: str | None = None
    carriage_prohibited: bool = False
    labels: tuple[str, ...] = ()
    status: str = "active"
    version: int = 1


# --- What the gate saw and what the plant plans ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanCode:
    """A classified scan: kind VEH/PSN/TNK/WBL/PMT/ORD, normalised identifier, raw text."""

    kind: str
    identifier: str
    raw: str = ""


@dataclass(frozen=True, slots=True)
class PlannedLoad:
    """What the plant intends to load (from its loading order, or typed at the gate)."""

    un_number: str
    quantity_kg: float
    packing_group: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything one verification may look at; built by the service, read by the checks.

    - `driver` / `escort` are the records of the persons the waybill names
      (`driver_id_number` / `escort_id_number`); `presented` says what was scanned for each slot.
    - `products` is keyed by UN number ("1203") or by UN number and packing group ("1203/II");
      the more specific key wins.
    - `blacklist` holds entries naming any subject of the visit; the check filters by date.
    - `unavailable` names records the service could not load (e.g. "tank", "product:1203").
    - `lpr_plates` are plates read by plate-recognition cameras; `id_card_reads` maps a person
      slot to the ID number read from the physical ID card (or face match) at the gate.
    - `tank_approved_un` is the tank's type-approval list, for (+) codes and classes 1, 5.2, 7.
    """

    site_code: str
    gate: str
    local_date: date
    profile: Profile
    vehicle: VehicleFacts | None = None
    trailer: VehicleFacts | None = None
    tank: TankFacts | None = None
    driver: PersonFacts | None = None
    escort: PersonFacts | None = None
    carrier: CarrierFacts | None = None
    waybill: WaybillFacts | None = None
    permits: tuple[PermitFacts, ...] = ()
    products: Mapping[str, ProductFacts] = field(default_factory=_empty)
    blacklist: tuple[BlacklistFacts, ...] = ()
    load: PlannedLoad | None = None
    checklist: Mapping[str, bool] = field(default_factory=_empty)
    scans: tuple[ScanCode, ...] = ()
    presented: Mapping[str, str] = field(default_factory=_empty)
    unavailable: tuple[str, ...] = ()
    tank_approved_un: tuple[str, ...] = ()
    lpr_plates: tuple[str, ...] = ()
    id_card_reads: Mapping[str, str] = field(default_factory=_empty)


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding of one check: a refusal reason or a warning."""

    check: str
    code: str
    severity: Severity
    subject: str
    message: str
    message_en: str
    citation: str = ""
    details: Mapping[str, Any] = field(default_factory=_empty)

    def to_dict(self) -> dict[str, Any]:
        """Render as the JSON shape of the verification API."""
        return {
            "code": self.code,
            "check": self.check,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "message_en": self.message_en,
            "citation": self.citation,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one verification, stamped with the rule-set that produced it."""

    outcome: Outcome
    reasons: tuple[Violation, ...]
    warnings: tuple[Violation, ...]
    missing: tuple[str, ...]
    ruleset_id: str
    ruleset_version: str

    @property
    def codes(self) -> tuple[str, ...]:
        """Reason codes of the refusals, in order."""
        return tuple(v.code for v in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Render as the JSON shape of the verification API (without ids and log fields)."""
        return {
            "outcome": self.outcome,
            "reasons": [v.to_dict() for v in self.reasons],
            "warnings": [v.to_dict() for v in self.warnings],
            "missing": list(self.missing),
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version},
        }
