"""Table-driven rule cases (cases/*.yaml): each reason code fires once and stays quiet once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import evaluate
from rules import load_profile
from rules.registry import KNOWN_CODES
from tests.rules.factory import make_context

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(file.read_text(encoding="utf-8")):
            case["file"] = file.name
            cases.append(case)
    return cases


CASES = _load_cases()
FIRING = [c for c in CASES if "fires" in c]
QUIET = [c for c in CASES if "quiet" in c]


def _decide(case: dict[str, Any]) -> Any:
    ctx = make_context(
        case.get("set") or {},
        profile=case.get("profile", "cn-2019"),
        profile_overrides=case.get("profile_set"),
    )
    return evaluate(ctx)


def _describe(decision: Any) -> str:
    found = [f"{v.check}/{v.code}/{v.severity}: {v.message}" for v in decision.reasons]
    found += [f"{v.check}/{v.code}/{v.severity}: {v.message}" for v in decision.warnings]
    return f"{decision.outcome} missing={list(decision.missing)}\n  " + "\n  ".join(found)


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", FIRING, ids=[c["id"] for c in FIRING])
def test_code_fires(case: dict[str, Any]) -> None:
    decision = _decide(case)
    found = [v for v in decision.reasons + decision.warnings if v.code == case["fires"]]
    assert found, f"{case['fires']} did not fire: {_describe(decision)}"
    if "count" in case:
        assert len(found) == case["count"], _describe(decision)
    assert {v.severity for v in found} == {case.get("severity", "refuse")}, _describe(decision)
    expected = case.get("outcome", "ALLOW" if case.get("severity") == "warn" else "REFUSE")
    assert decision.outcome == expected, _describe(decision)
    if "message" in case:
        assert case["message"] in [v.message for v in found]
    if "message_en" in case:
        assert case["message_en"] in [v.message_en for v in found]
    for v in decision.reasons + decision.warnings:
        # Every template placeholder was filled by the check that fired.
        assert "{" not in v.message and "{" not in v.message_en, v
        assert v.citation, v


@pytest.mark.parametrize("case", QUIET, ids=[c["id"] for c in QUIET])
def test_code_stays_quiet(case: dict[str, Any]) -> None:
    decision = _decide(case)
    codes = [v.code for v in decision.reasons + decision.warnings]
    assert case["quiet"] not in codes, _describe(decision)
    if "outcome" in case:
        assert decision.outcome == case["outcome"], _describe(decision)


def test_every_reason_code_fires_and_stays_quiet_somewhere() -> None:
    emitted = set(KNOWN_CODES)
    for profile_id in ("cn-2019", "adr-2025"):
        emitted |= set(load_profile(profile_id).messages)
    fired = {c["fires"] for c in FIRING}
    quiet = {c["quiet"] for c in QUIET}
    assert not emitted - fired, f"codes without a firing case: {sorted(emitted - fired)}"
    assert not emitted - quiet, f"codes without a quiet case: {sorted(emitted - quiet)}"
    assert not (fired | quiet) - emitted, "cases name codes no check emits"


def test_case_dates_are_real_dates() -> None:
    # YAML reads 2026-11-27 as a date; a quoted date would silently test a string.
    for case in CASES:
        for path, value in (case.get("set") or {}).items():
            if path.endswith(("_until", "_due", "_from")) and value is not None:
                assert isinstance(value, date), (case["id"], path)
