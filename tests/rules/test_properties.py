"""Properties of `evaluate`: one expired credential or one wrong identity alone refuses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from rules import evaluate
from tests.rules.factory import TODAY
from tests.rules.factory import make_context

# Every validity date a credential of the baseline carries (and that its profile checks).
CREDENTIAL_DATES = {
    "cn-2019": [
        "vehicle.registration_valid_until",
        "vehicle.transport_permit_valid_until",
        "trailer.registration_valid_until",
        "trailer.transport_permit_valid_until",
        "carrier.license_valid_until",
        "tank.next_inspection_due",
        "driver.qualification_valid_until",
        "driver.driving_license_valid_until",
        "escort.qualification_valid_until",
    ],
}
CREDENTIAL_DATES["adr-2025"] = [
    p for p in CREDENTIAL_DATES["cn-2019"] if not p.startswith(("escort.", "driver.qualification"))
] + [
    "vehicle.adr_approval_valid_until",
    "trailer.adr_approval_valid_until",
    "driver.adr_valid_until",
]

profiles = st.sampled_from(sorted(CREDENTIAL_DATES))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), profile=profiles, days_before=st.integers(1, 3650))
def test_any_one_expired_credential_refuses(
    data: st.DataObject, profile: str, days_before: int
) -> None:
    path = data.draw(st.sampled_from(CREDENTIAL_DATES[profile]))
    ctx = make_context({path: TODAY - timedelta(days=days_before)}, profile=profile)
    decision = evaluate(ctx)
    assert decision.outcome == "REFUSE", (path, decision.to_dict())


plates = st.from_regex(r"黑[A-H][0-9]{5}", fullmatch=True)
trailer_plates = st.from_regex(r"黑[A-H][0-9]{4}挂", fullmatch=True)
tanks = st.from_regex(r"TK-[0-9]{4}", fullmatch=True)
OTHER_PEOPLE = ["230803197801010039", "230811198211110042", "11010519491231002X"]


def _identity(slot: str, old: str, new: str, side: str) -> dict[str, Any]:
    """Change one identity on one side: what the gate presents, or what the waybill says."""
    field = {
        "vehicle": "vehicle_plate",
        "trailer": "trailer_plate",
        "tank": "tank_no",
        "driver": "driver_id_number",
        "escort": "escort_id_number",
    }[slot]
    if side == "waybill":
        return {f"waybill.{field}": new}
    # The gate presents another identity, and the service loads that one's (valid) record.
    kind = {"vehicle": "VEH", "trailer": "VEH", "tank": "TNK", "driver": "PSN", "escort": "PSN"}[
        slot
    ]
    scans = [
        {"kind": k, "identifier": new if i == old else i}
        for k, i in [
            ("VEH", "黑D12345"),
            ("VEH", "黑D6789挂"),
            ("TNK", "TK-0001"),
            ("PSN", "230803198503150011"),
            ("PSN", "230804199007200025"),
            ("WBL", "WB-1"),
        ]
    ]
    changes: dict[str, Any] = {f"presented.{slot}": new, "scans": scans}
    if kind == "VEH":
        changes[f"{slot}.plate"] = new
    if kind == "TNK":
        changes["tank.tank_no"] = new
    return changes


BASE_IDS = {
    "vehicle": "黑D12345",
    "trailer": "黑D6789挂",
    "tank": "TK-0001",
    "driver": "230803198503150011",
    "escort": "230804199007200025",
}
NEW_IDS = {
    "vehicle": plates,
    "trailer": trailer_plates,
    "tank": tanks,
    "driver": st.sampled_from(OTHER_PEOPLE),
    "escort": st.sampled_from(OTHER_PEOPLE),
}


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    profile=profiles,
    slot=st.sampled_from(sorted(BASE_IDS)),
    side=st.sampled_from(["presented", "waybill"]),
)
def test_any_one_mismatched_identity_refuses(
    data: st.DataObject, profile: str, slot: str, side: str
) -> None:
    old = BASE_IDS[slot]
    new = data.draw(NEW_IDS[slot].filter(lambda v: v != old))
    decision = evaluate(make_context(_identity(slot, old, new, side), profile=profile))
    assert decision.outcome == "REFUSE", (slot, side, new, decision.to_dict())
    identity_codes = {
        "WAYBILL_VEHICLE_MISMATCH",
        "WAYBILL_DRIVER_MISMATCH",
        "PERSON_NOT_ON_WAYBILL",
        "PLATE_MISMATCH",
        "ESCORT_MISSING",
    }
    assert identity_codes & set(decision.codes), decision.codes
