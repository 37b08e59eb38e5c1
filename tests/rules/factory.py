"""Build check contexts from a valid ALLOW baseline plus dotted-path overrides (for table tests)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from rules import BlacklistFacts
from rules import CarrierFacts
from rules import CheckContext
from rules import GoodsLine
from rules import MediumFacts
from rules import PermitFacts
from rules import PermitGoods
from rules import PersonFacts
from rules import PlannedLoad
from rules import ProductFacts
from rules import ScanCode
from rules import TankFacts
from rules import VehicleFacts
from rules import WaybillFacts
from rules import load_profile
from rules.profile import Profile
from rules.profile import parse_profile

TODAY = date(2026, 11, 28)
DRIVER_ID = "230803198503150011"
ESCORT_ID = "230804199007200025"
OTHER_ID = "230803197801010039"
CARRIER = "91230800MA19X8Y3KR"
OTHER_CARRIER = "91230800MA1B2C3D4D"

# A visit that every check passes under cn-2019: tractor 黑D12345 + trailer 黑D6789挂, tank TK-0001
# (UN1203 汽油 II on its media list), driver and escort with valid certificates, waybill WB-1 for
# site JMS01, load UN1203 18 000 kg, checklist all ticked, local date 2026-11-28.
BASELINE: dict[str, Any] = {
    "site_code": "JMS01",
    "gate": "G1",
    "local_date": TODAY,
    "vehicle": {
        "plate": "黑D12345",
        "kind": "tractor",
        "vin": "LZZ1CLVB5JW123456",
        "carrier_uscc": CARRIER,
        "rated_load_kg": None,
        "registration_valid_until": date(2027, 5, 31),
        "transport_permit_no": "黑交运管许可佳字230800001",
        "transport_permit_valid_until": date(2027, 8, 31),
        "permit_scope": ["3", "2.1", "8"],
    },
    "trailer": {
        "plate": "黑D6789挂",
        "kind": "trailer",
        "carrier_uscc": CARRIER,
        "rated_load_kg": 30000,
        "registration_valid_until": date(2027, 5, 31),
        "transport_permit_no": "黑交运管许可佳字230800002",
        "transport_permit_valid_until": date(2027, 8, 31),
        "permit_scope": ["3"],
    },
    "tank": {
        "tank_no": "TK-0001",
        "kind": "atmospheric",
        "vehicle_plate": "黑D6789挂",
        "capacity_l": 30000,
        "max_fill_kg": 22000,
        "tank_code": "LGBF",
        "media": [{"un_number": "1203", "name": "汽油", "packing_group": "II"}],
        "inspection_report_no": "HLJ-TJ-2025-0001",
        "inspected_on": date(2025, 6, 30),
        "next_inspection_due": date(2027, 6, 30),
        "last_cargo_un": "1203",
    },
    "driver": {
        "id_number": DRIVER_ID,
        "name": "张三",
        "carrier_uscc": CARRIER,
        "qualification_cert_no": "QC-230800-0001",
        "qualification_categories": ["驾驶员"],
        "qualification_valid_until": date(2029, 3, 31),
        "driving_license_class": "A2",
        "driving_license_valid_until": date(2030, 1, 31),
    },
    "escort": {
        "id_number": ESCORT_ID,
        "name": "李四",
        "carrier_uscc": CARRIER,
        "qualification_cert_no": "QC-230800-0002",
        "qualification_categories": ["押运员"],
        "qualification_valid_until": date(2028, 9, 30),
    },
    "carrier": {
        "uscc": CARRIER,
        "name": "佳木斯危货运输有限公司",
        "license_no": "黑交运管许可佳字230800000",
        "license_valid_until": date(2028, 12, 31),
        "scope": ["2.1", "3", "8"],
    },
    "waybill": {
        "waybill_no": "WB-1",
        "status": "issued",
        "carrier_uscc": CARRIER,
        "loader_site": "JMS01",
        "planned_date": TODAY,
        "vehicle_plate": "黑D12345",
        "trailer_plate": "黑D6789挂",
        "tank_no": "TK-0001",
        "driver_id_number": DRIVER_ID,
        "escort_id_number": ESCORT_ID,
        "goods": [
            {
                "un_number": "1203",
                "name": "汽油",
                "adr_class": "3",
                "packing_group": "II",
                "quantity_kg": 18000,
            },
        ],
    },
    "permits": [],
    "products": {
        "1203": {
            "un_number": "1203",
            "packing_group": "II",
            "name": "汽油",
            "adr_class": "3",
            "classification_code": "F1",
            "tank_codes": ["LGBF"],
            "tank_special_provisions": ["TU9"],
            "tank_vehicle": "FL",
            "sds_version": "SDS-2024-03",
            "label_version": "LBL-2024-03",
            "labels": ["3"],
        },
    },
    "blacklist": [],
    "load": {"un_number": "1203", "quantity_kg": 18000},
    "checklist": {"grounding": True, "no_leaks": True, "placards": True},
    "scans": [
        {"kind": "VEH", "identifier": "黑D12345"},
        {"kind": "VEH", "identifier": "黑D6789挂"},
        {"kind": "TNK", "identifier": "TK-0001"},
        {"kind": "PSN", "identifier": DRIVER_ID},
        {"kind": "PSN", "identifier": ESCORT_ID},
        {"kind": "WBL", "identifier": "WB-1"},
    ],
    "presented": {
        "vehicle": "黑D12345",
        "trailer": "黑D6789挂",
        "tank": "TK-0001",
        "driver": DRIVER_ID,
        "escort": ESCORT_ID,
        "waybill": "WB-1",
    },
    "unavailable": [],
    "tank_approved_un": [],
    "lpr_plates": [],
    "id_card_reads": {},
}

# What the adr-2025 baseline adds: ADR vehicle types and approvals, the driver's ADR certificate.
ADR_BASELINE_OVERRIDES: dict[str, Any] = {
    "vehicle.adr_vehicle_type": "FL",
    "vehicle.adr_approval_valid_until": date(2027, 4, 30),
    "trailer.adr_vehicle_type": "FL",
    "trailer.adr_approval_valid_until": date(2027, 4, 30),
    "driver.adr_cert_no": "ADR-CN-0001",
    "driver.adr_specialisations": ["tank"],
    "driver.adr_valid_until": date(2030, 6, 30),
}


def set_path(data: Any, path: str, value: Any) -> None:
    """Set `a.b.0.c` in nested dicts/lists; the last key is created if absent."""
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        if last == "+":
            target.append(value)
        else:
            target[int(last)] = value
    else:
        target[last] = value


def _tuple(values: Any) -> tuple[Any, ...]:
    return tuple(values or ())


def _record(cls: Any, raw: Mapping[str, Any] | None, lists: tuple[str, ...] = ()) -> Any:
    if raw is None:
        return None
    fields = dict(raw)
    for name in lists:
        if name in fields:
            fields[name] = _tuple(fields[name])
    return cls(**fields)


def _tank(raw: Mapping[str, Any] | None) -> TankFacts | None:
    if raw is None:
        return None
    fields = dict(raw)
    fields["media"] = tuple(MediumFacts(**m) for m in fields.get("media") or ())
    fields["special_provisions"] = _tuple(fields.get("special_provisions"))
    return TankFacts(**fields)


def _waybill(raw: Mapping[str, Any] | None) -> WaybillFacts | None:
    if raw is None:
        return None
    fields = dict(raw)
    fields["goods"] = tuple(GoodsLine(**g) for g in fields.get("goods") or ())
    return WaybillFacts(**fields)


def _permit(raw: Mapping[str, Any]) -> PermitFacts:
    fields = dict(raw)
    fields["goods"] = tuple(PermitGoods(**g) for g in fields.get("goods") or ())
    return PermitFacts(**fields)


def _products(raw: Mapping[str, Any]) -> dict[str, ProductFacts]:
    lists = ("tank_codes", "tank_special_provisions", "portable_tank_instructions", "labels")
    return {key: _record(ProductFacts, value, lists) for key, value in raw.items()}


@lru_cache(maxsize=64)
def _profile(profile_id: str, overrides_json: str) -> Profile:
    base = load_profile(profile_id)
    overrides = json.loads(overrides_json)
    if not overrides:
        return base
    data = base.to_data()
    for path, value in overrides.items():
        set_path(data, path, value)
    return parse_profile(data, origin=f"{profile_id}+test")


def profile_with(
    profile_id: str = "cn-2019", overrides: Mapping[str, Any] | None = None
) -> Profile:
    """A bundled profile with dotted-path overrides of its content (validated again)."""
    return _profile(profile_id, json.dumps(dict(overrides or {}), sort_keys=True))


def baseline(profile_id: str = "cn-2019") -> dict[str, Any]:
    """A deep copy of the valid baseline for a profile."""
    data = copy.deepcopy(BASELINE)
    if profile_id == "adr-2025":
        for path, value in ADR_BASELINE_OVERRIDES.items():
            set_path(data, path, value)
    return data


def build(data: Mapping[str, Any], profile: Profile) -> CheckContext:
    """Turn the plain baseline shape into a `CheckContext`."""
    vehicle_lists = ("permit_scope",)
    person_lists = ("qualification_categories", "adr_specialisations")
    load = data.get("load")
    return CheckContext(
        site_code=data["site_code"],
        gate=data["gate"],
        local_date=data["local_date"],
        profile=profile,
        vehicle=_record(VehicleFacts, data.get("vehicle"), vehicle_lists),
        trailer=_record(VehicleFacts, data.get("trailer"), vehicle_lists),
        tank=_tank(data.get("tank")),
        driver=_record(PersonFacts, data.get("driver"), person_lists),
        escort=_record(PersonFacts, data.get("escort"), person_lists),
        carrier=_record(CarrierFacts, data.get("carrier"), ("scope",)),
        waybill=_waybill(data.get("waybill")),
        permits=tuple(_permit(p) for p in data.get("permits") or ()),
        products=_products(data.get("products") or {}),
        blacklist=tuple(BlacklistFacts(**b) for b in data.get("blacklist") or ()),
        load=PlannedLoad(**load) if load is not None else None,
        checklist=dict(data.get("checklist") or {}),
        scans=tuple(ScanCode(**s) for s in data.get("scans") or ()),
        presented={k: v for k, v in (data.get("presented") or {}).items() if v is not None},
        unavailable=_tuple(data.get("unavailable")),
        tank_approved_un=_tuple(data.get("tank_approved_un")),
        lpr_plates=_tuple(data.get("lpr_plates")),
        id_card_reads=dict(data.get("id_card_reads") or {}),
    )


def make_context(
    overrides: Mapping[str, Any] | None = None,
    *,
    profile: str = "cn-2019",
    profile_overrides: Mapping[str, Any] | None = None,
) -> CheckContext:
    """The valid baseline with `overrides` (dotted paths → values) applied."""
    data = baseline(profile)
    for path, value in (overrides or {}).items():
        # Copy: YAML aliases share objects between cases, and set_path mutates in place.
        set_path(data, path, copy.deepcopy(value))
    return build(data, profile_with(profile, profile_overrides))
