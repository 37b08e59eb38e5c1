"""Valid identifiers and records for tests, with check digits computed, never typed in."""

from __future__ import annotations

from typing import Any

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uscc(body17: str) -> str:
    """A unified social credit code: 17 characters plus their GB 32100 check character."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return body17 + USCC_ALPHABET[(31 - total % 31) % 31]


def id_number(body17: str) -> str:
    """A resident ID number: 17 digits plus their GB 11643 check character."""
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


PLANT = uscc("91230800MA1A00001")  # the loading enterprise (Jiamusi)
CARRIER = uscc("91230800MA1B00002")
OTHER_CARRIER = uscc("91230100MA1C00003")
DRIVER = id_number("23080219800101001")
ESCORT = id_number("23080219850505002")
STRANGER = id_number("23080219900909003")


def vehicle(**over: Any) -> dict[str, Any]:
    """A valid tractor record."""
    return {
        "plate": "黑D12345",
        "kind": "tractor",
        "carrier_uscc": CARRIER,
        "rated_load_kg": 30000,
        "registration_valid_until": "2027-05-31",
        "transport_permit_no": "黑交运管23080001",
        "transport_permit_valid_until": "2027-06-30",
        "permit_scope": ["3", "8"],
        **over,
    }


def person(**over: Any) -> dict[str, Any]:
    """A valid driver record."""
    return {
        "id_number": DRIVER,
        "name": "张三",
        "carrier_uscc": CARRIER,
        "qualification_cert_no": "2308021980010100",
        "qualification_categories": ["驾驶员"],
        "qualification_valid_until": "2028-01-01",
        "driving_license_class": "A2",
        "driving_license_valid_until": "2030-01-01",
        **over,
    }


def tank(**over: Any) -> dict[str, Any]:
    """A valid atmospheric tank record."""
    return {
        "tank_no": "TK-0001",
        "kind": "atmospheric",
        "vehicle_plate": "黑D6789挂",
        "capacity_l": 30000,
        "max_fill_kg": 22000,
        "tank_code": "LGBF",
        "media": [{"un_number": "1203", "name": "汽油", "packing_group": "II"}],
        "inspection_report_no": "JY-2026-001",
        "inspected_on": "2026-06-01",
        "next_inspection_due": "2027-06",
        **over,
    }


def payloads() -> dict[str, dict[str, Any]]:
    """One valid record per resource, all owned by CARRIER (site S01 included)."""
    return {
        "organisations": {"uscc": CARRIER, "name": "安达运输", "kinds": ["carrier"]},
        "sites": {"code": "S01", "name": "测试站", "owner_uscc": CARRIER, "gates": ["G1"]},
        "site_products": {
            "site_code": "S01",
            "product_code": "P1",
            "name": "汽油",
            "un_number": "1203",
            "packing_group": "II",
            "sds_version": "1",
            "label_version": "1",
        },
        "carriers": {
            "uscc": CARRIER,
            "name": "安达运输",
            "license_no": "L-1",
            "license_valid_until": "2030-01-01",
            "scope": ["3"],
        },
        "vehicles": vehicle(),
        "tanks": tank(),
        "persons": person(),
        "waybills": {
            "waybill_no": "YD-1",
            "carrier_uscc": CARRIER,
            "loader_site": "JMS01",
            "vehicle_plate": "黑D12345",
            "driver_id_number": DRIVER,
            "escort_id_number": ESCORT,
            "goods": [
                {
                    "un_number": "1203",
                    "name": "汽油",
                    "class": "3",
                    "packing_group": "II",
                    "quantity_kg": 18000,
                }
            ],
        },
        "permits": {
            "permit_no": "PM-1",
            "kind": "toxic_road_pass",
            "goods": [{"un_number": "1689", "name": "氰化钠", "quantity_kg": 1000}],
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "owner": CARRIER,
        },
        "blacklist": {
            "subject_kind": "vehicle",
            "subject_key": "黑D99999",
            "reason": "事故",
            "valid_from": "2026-01-01",
            "owner": CARRIER,
        },
    }


KEYS = {
    "organisations": CARRIER,
    "sites": "S01",
    "site_products": "S01/P1",
    "carriers": CARRIER,
    "vehicles": "黑D12345",
    "tanks": "TK-0001",
    "persons": DRIVER,
    "waybills": "YD-1",
    "permits": "PM-1",
    "blacklist": "vehicle/黑D99999/2026-01-01",
}
# A field each resource can change in an update, with a new valid value.
CHANGES = {
    "organisations": ("name", "安达运输二"),
    "sites": ("name", "测试站二"),
    "site_products": ("sds_version", "2"),
    "carriers": ("license_no", "L-2"),
    "vehicles": ("rated_load_kg", 31000),
    "tanks": ("capacity_l", 31000),
    "persons": ("phone", "13900000000"),
    "waybills": ("destination", "哈尔滨"),
    "permits": ("route", "G11"),
    "blacklist": ("reason", "事故二"),
}
