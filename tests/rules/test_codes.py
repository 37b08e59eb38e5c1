"""Classifying scanned texts: canonical LG1 codes, the profiles' external formats, the rest."""

from __future__ import annotations

import pytest

from rules import ScanCode
from rules import classify
from rules import load_profile
from rules import scan_codes
from rules.codes import Classified
from rules.codes import classify_one
from rules.codes import vehicle_slot

DRIVER_ID = "230803198503150011"


@pytest.fixture(params=["cn-2019", "adr-2025"])
def profile(request: pytest.FixtureRequest) -> object:
    return load_profile(request.param)


@pytest.mark.parametrize(
    ("text", "kind", "identifier", "fmt"),
    [
        ("LG1:VEH:黑D12345", "VEH", "黑D12345", "canonical"),
        ("LG1:VEH:黑D6789挂", "VEH", "黑D6789挂", "canonical"),
        (f"LG1:PSN:{DRIVER_ID}", "PSN", DRIVER_ID, "canonical"),
        ("LG1:PSN:qc-230800-0001", "PSN", "QC-230800-0001", "canonical"),
        ("LG1:TNK:TK-0001", "TNK", "TK-0001", "canonical"),
        ("LG1:WBL:WB-1", "WBL", "WB-1", "canonical"),
        ("LG1:PMT:TP-1", "PMT", "TP-1", "canonical"),
        ("LG1:ORD:ORD-2026-0001", "ORD", "ORD-2026-0001", "canonical"),
        ("lg1:veh:黑d·12345", "VEH", "黑D12345", "canonical"),
        ("ＬＧ１：ＶＥＨ：黑Ｄ１２３４５", "VEH", "黑D12345", "canonical"),
        ("  LG1:TNK:TK-0001\n", "TNK", "TK-0001", "canonical"),
        ("黑D12345", "VEH", "黑D12345", "bare_plate"),
        ("黑D·12345", "VEH", "黑D12345", "bare_plate"),
        ("黑D6789挂", "VEH", "黑D6789挂", "bare_plate"),
        (DRIVER_ID, "PSN", DRIVER_ID, "bare_id_number"),
        (
            "https://ewaybill.example.gov.cn/q?waybillNo=YD2026112800001",
            "WBL",
            "YD2026112800001",
            "ewaybill_url",
        ),
        (
            "https://ewaybill.example.gov.cn/q?src=app&waybillNo=YD2026112800001&sig=ab12",
            "WBL",
            "YD2026112800001",
            "ewaybill_url",
        ),
    ],
)
def test_recognised(text: str, kind: str, identifier: str, fmt: str, profile: object) -> None:
    result = classify_one(text, profile)  # type: ignore[arg-type]
    assert result == Classified(text, True, kind, identifier, fmt)
    assert result.to_scan() == ScanCode(kind, identifier, text)


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "",
        "LG1:FOO:123",  # unknown kind: never guessed
        "LG1:VEH:",  # no identifier
        "LG1:VEH:not-a-plate",  # canonical shape, invalid plate
        "LG1:TNK:TK 0001",  # spaces inside an identifier
        "230803198503150012",  # ID number with a wrong check digit
        "黑I12345",  # I is not a plate letter
        "https://evil.example.com/q?waybillNo=YD2026112800001",
        "https://ewaybill.example.gov.cn/q?waybill=YD2026112800001",
    ],
)
def test_unrecognised_is_reported_not_guessed(text: str, profile: object) -> None:
    result = classify_one(text, profile)  # type: ignore[arg-type]
    assert not result.recognised
    assert result.identifier is None
    assert result.raw == text
    assert result.to_scan() is None


def test_invalid_content_says_why() -> None:
    result = classify_one("230803198503150012", load_profile())
    assert result.kind == "PSN" and result.format_name == "bare_id_number"
    assert result.problem and "check" in result.problem


def test_classify_keeps_order_and_scan_codes_drop_duplicates_and_unknowns() -> None:
    texts = ["LG1:VEH:黑D12345", "???", "黑D12345", "LG1:TNK:TK-0001"]
    classified = classify(texts, load_profile())
    assert [c.raw for c in classified] == texts
    assert [c.recognised for c in classified] == [True, False, True, True]
    assert scan_codes(classified) == (
        ScanCode("VEH", "黑D12345", "LG1:VEH:黑D12345"),
        ScanCode("TNK", "TK-0001", "LG1:TNK:TK-0001"),
    )


def test_vehicle_slot() -> None:
    assert vehicle_slot("黑D6789挂") == "trailer"
    assert vehicle_slot("黑D12345") == "vehicle"
