"""`evaluate`: default deny, INCOMPLETE for missing slots, fail closed, severities, stamping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from rules import CHECKS
from rules import CheckContext
from rules import TankFacts
from rules import VehicleFacts
from rules import check_mass
from rules import evaluate
from rules import load_profile
from rules import local_date
from rules import mass_violations
from rules.checks.base import CheckSpec
from rules.checks.base import emit
from rules.dates import month_end
from tests.rules.factory import make_context


@pytest.mark.parametrize("profile", ["cn-2019", "adr-2025"])
def test_baseline_allows_and_is_stamped(profile: str) -> None:
    decision = evaluate(make_context(profile=profile))
    assert decision.outcome == "ALLOW"
    assert decision.reasons == () and decision.warnings == () and decision.missing == ()
    assert decision.ruleset_id == profile
    assert decision.ruleset_version == load_profile(profile).version


def test_missing_escort_is_incomplete() -> None:
    decision = evaluate(make_context({"presented.escort": None}))
    assert decision.outcome == "INCOMPLETE"
    assert decision.missing == ("escort",)


def test_adr_profile_does_not_require_an_escort() -> None:
    assert evaluate(make_context({"presented.escort": None}, profile="adr-2025")).outcome == "ALLOW"


def test_missing_slots_are_listed_in_order() -> None:
    ctx = make_context({"presented": {"driver": "230803198503150011"}})
    decision = evaluate(ctx)
    assert decision.outcome == "INCOMPLETE"
    assert decision.missing == ("vehicle", "trailer", "tank", "escort", "waybill")


def test_refusal_wins_over_missing_slots() -> None:
    decision = evaluate(
        make_context({"presented.escort": None, "tank.next_inspection_due": date(2026, 1, 31)})
    )
    assert decision.outcome == "REFUSE"
    assert decision.missing == ("escort",)
    assert decision.codes == ("TANK_INSPECTION_EXPIRED",)


def test_nothing_presented_is_incomplete_not_refused() -> None:
    ticked = {"grounding": True, "no_leaks": True, "placards": True}
    ctx = CheckContext(
        site_code="JMS01",
        gate="G1",
        local_date=date(2026, 11, 28),
        profile=load_profile(),
        checklist=ticked,
    )
    decision = evaluate(ctx)
    assert decision.outcome == "INCOMPLETE"
    assert decision.missing == ("vehicle", "tank", "driver", "escort", "waybill")
    # An unanswered checklist is "not confirmed", which refuses (C19/C22).
    bare = evaluate(replace(ctx, checklist={}))
    assert bare.outcome == "REFUSE"
    assert set(bare.codes) == {
        "VEHICLE_DEFECT",
        "MARKING_PLACARD_MISSING",
        "GROUNDING_NOT_CONFIRMED",
    }


def test_load_required_by_profile() -> None:
    required = {"require_load": True}
    decision = evaluate(make_context({"load": None}, profile_overrides=required))
    assert decision.outcome == "INCOMPLETE" and decision.missing == ("load",)
    assert evaluate(make_context({"load": None})).outcome == "ALLOW"  # waybill goods stand in


def test_waybill_goods_stand_in_and_are_checked() -> None:
    decision = evaluate(make_context({"load": None, "tank.max_fill_kg": 17000}))
    assert decision.codes == ("OVERFILL_TANK_LIMIT",)


def _boom(ctx: CheckContext) -> list:  # type: ignore[type-arg]
    raise KeyError("surprise")


def test_a_check_that_raises_refuses_and_does_not_propagate() -> None:
    boom = CheckSpec("C16", "boom", "boom", _boom, ())
    decision = evaluate(make_context(), checks=(*CHECKS, replace(boom, id="C08")))
    assert decision.outcome == "REFUSE"
    (reason,) = decision.reasons
    assert reason.code == "CHECK_DATA_UNAVAILABLE" and reason.check == "C08"
    assert "KeyError" in reason.details["error"]
    assert reason.severity == "refuse"


def test_malformed_fact_becomes_a_refusal() -> None:
    # A tank code the hierarchy cannot parse is UNKNOWN, which refuses.
    decision = evaluate(make_context({"tank.kind": "tank_container", "tank.tank_code": "L9ZZ"}))
    assert decision.outcome == "REFUSE"
    assert ("C10", "CHECK_DATA_UNAVAILABLE") in [(v.check, v.code) for v in decision.reasons]


def test_warn_severity_downgrades_refusals() -> None:
    ctx = make_context(
        {"tank.next_inspection_due": date(2026, 11, 27)},
        profile_overrides={"checks.C08.severity": "warn"},
    )
    decision = evaluate(ctx)
    assert decision.outcome == "ALLOW"
    assert [(v.code, v.severity) for v in decision.warnings] == [
        ("TANK_INSPECTION_EXPIRED", "warn")
    ]


def test_switched_off_check_does_not_run() -> None:
    entry = {
        "subject_kind": "tank",
        "subject_key": "TK-0001",
        "reason": "x",
        "valid_from": date(2026, 1, 1),
    }
    ctx = make_context({"blacklist": [entry]}, profile_overrides={"checks.C20.severity": "off"})
    assert evaluate(ctx).outcome == "ALLOW"


def test_reasons_are_sorted_by_check_and_deduplicated() -> None:
    def twice(ctx: CheckContext) -> list:  # type: ignore[type-arg]
        v = emit(ctx, "C02", "VEHICLE_PERMIT_MISSING", "vehicle:黑D12345", plate="黑D12345")
        return [v, v]

    ctx = make_context(
        {"tank.next_inspection_due": date(2026, 1, 31), "vehicle.registration_valid_until": None}
    )
    spec = CheckSpec("C02", "x", "x", twice, ())
    decision = evaluate(ctx, checks=(CHECKS[7], spec, CHECKS[0]))
    assert [v.check for v in decision.reasons] == ["C01", "C02", "C08"]


def test_decision_to_dict_has_the_api_shape() -> None:
    decision = evaluate(make_context({"tank.next_inspection_due": date(2026, 10, 31)}))
    body = decision.to_dict()
    assert body["outcome"] == "REFUSE"
    assert body["ruleset"] == {"id": "cn-2019", "version": load_profile().version}
    (reason,) = body["reasons"]
    assert reason == {
        "code": "TANK_INSPECTION_EXPIRED",
        "check": "C08",
        "severity": "refuse",
        "subject": "tank:TK-0001",
        "message": "罐体检验已过期（下次检验日期 2026-10-31）",
        "message_en": "Tank inspection expired (next inspection due 2026-10-31)",
        "citation": load_profile().citations["C08"],
        "details": reason["details"],
    }
    assert reason["details"]["until"] == "2026-10-31"


def test_time_zone_edge_decides_expiry() -> None:
    # 2026-03-31T16:30Z is already 2026-04-01 in Shanghai: a tank due 2026-03-31 has expired.
    due = {"tank.next_inspection_due": date(2026, 3, 31)}
    late = local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), load_profile().timezone)
    early = local_date(datetime(2026, 3, 31, 15, 30, tzinfo=UTC), load_profile().timezone)
    assert evaluate(make_context({**due, "local_date": late})).codes == ("TANK_INSPECTION_EXPIRED",)
    assert evaluate(make_context({**due, "local_date": early})).outcome == "ALLOW"


def test_year_month_due_date_is_valid_through_the_month_end() -> None:
    due = {"tank.next_inspection_due": month_end(2026, 11)}
    assert evaluate(make_context({**due, "local_date": date(2026, 11, 30)})).outcome == "ALLOW"
    refused = evaluate(make_context({**due, "local_date": date(2026, 12, 1)}))
    assert refused.codes == ("TANK_INSPECTION_EXPIRED",)


def test_check_mass_for_the_service_after_loading() -> None:
    tractor = VehicleFacts("黑D12345", kind="tractor")
    trailer = VehicleFacts("黑D6789挂", kind="trailer", rated_load_kg=30000)
    truck = VehicleFacts("黑D54321", kind="truck", rated_load_kg=15000)
    tank = TankFacts("TK-0001", max_fill_kg=22000)
    assert check_mass(21000, tractor, trailer, tank) == []
    assert [f.code for f in check_mass(23000, tractor, trailer, tank)] == ["OVERFILL_TANK_LIMIT"]
    assert [f.code for f in check_mass(31000, tractor, trailer, None)] == ["OVERLOAD_RATED_MASS"]
    assert check_mass(99000, tractor, None, None) == []  # a tractor alone carries nothing
    assert [f.code for f in check_mass(16000, truck, None, None)] == ["OVERLOAD_RATED_MASS"]
    assert [f.code for f in check_mass(1, truck, None, TankFacts("T"))] == [
        "CHECK_DATA_UNAVAILABLE"
    ]
    (violation,) = mass_violations(load_profile(), 23000.5, tractor, trailer, tank)
    assert violation.check == "C15"
    assert violation.message == "超罐体允许充装量（计划 23000.5 kg，允许 22000 kg）"


def test_unscanned_trailer_is_incomplete_not_a_mismatch() -> None:
    from rules import evaluate
    from tests.rules.factory import make_context

    ctx = make_context({"presented.trailer": None})
    decision = evaluate(ctx)
    assert decision.outcome == "INCOMPLETE", decision.codes
    assert decision.missing == ("trailer",) and decision.reasons == ()
