"""The ADR tank-code hierarchy of regulations.md §8: listed unit cases and order properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from rules.identifiers import IdentifierError
from rules.tankcode import ORDER_OPENING
from rules.tankcode import ORDER_PRESSURE
from rules.tankcode import ORDER_TYPE_39
from rules.tankcode import ORDER_VALVE
from rules.tankcode import tank_qualifies
from rules.tankcode import tank_satisfies

CLASSES_39 = ("3", "4.1", "4.2", "4.3", "5.1", "6.1", "6.2", "8", "9")


@pytest.mark.parametrize(
    ("required", "offered", "product_class", "expected"),
    [
        ("L4BN", "L10CN", "3", True),  # §8 unit case: higher pressure and openings
        ("SGAN", "L4BN", "8", True),  # §8 unit case: S → L
        ("L4BH", "L4BN", "8", False),  # §8 unit case: valve N < H
        ("LGBF", "LGBV", "3", False),  # §8 unit case: V < F
        ("L4BN(+)", "L10CH", "5.1", False),  # §8 unit case: (+) needs type approval
        ("P22DH", "P22BH", "2", False),  # §8 unit case: openings B < D
        ("LGBF", "LGBF", "3", True),
        ("LGBF", "L4BN", "3", True),
        ("L4BN", "LGBF", "3", False),  # pressure G < 4
        ("L1.5BN", "L1,5BN", "3", True),  # BAM writes the decimal comma
        ("P22BN", "C22BN", "2", False),  # C, P, R never interchange
        ("P10BN", "P22DH", "2", True),
        ("P22BN", "P10BN", "2", False),
        ("RxBN", "RxDN", "2", True),  # "x": gas-specific pressure, same on both sides
        ("PxBH", "P22BH", "2", False),  # test pressure unknown: not proven
        ("P22BH", "PxBH", "2", False),
        ("LGBF", "P22DH", "3", False),  # a gas tank is not a liquid tank
        ("P22BN", "L21DH", "2", False),
    ],
)
def test_listed_cases(required: str, offered: str, product_class: str, expected: bool) -> None:
    assert tank_satisfies(required, offered, product_class=product_class) is expected


def test_plus_code_only_with_type_approval_for_the_un_number() -> None:
    assert not tank_satisfies("L4BN(+)", "L10CH", product_class="5.1", un_number="2426")
    assert not tank_satisfies(
        "L4BN(+)", "L10CH", product_class="5.1", approved_un=["1942"], un_number="2426"
    )
    assert tank_satisfies(
        "L4BN(+)", "L10CH", product_class="5.1", approved_un=["UN2426"], un_number="2426"
    )


@pytest.mark.parametrize("product_class", ["1", "1.1", "5.2", "7"])
def test_classes_1_52_7_need_exact_approval_even_for_equal_codes(product_class: str) -> None:
    assert not tank_satisfies("L4BN", "L4BN", product_class=product_class, un_number="3101")
    assert tank_satisfies(
        "L4BN", "L4BN", product_class=product_class, approved_un=["3101"], un_number="3101"
    )


def test_battery_vehicles_and_megcs_need_m() -> None:
    assert not tank_satisfies("C22BN", "C22BN", product_class="2", battery_or_megc=True)
    assert tank_satisfies("C22BN(M)", "C22BN", product_class="2", battery_or_megc=True)


def test_refrigerated_gas_tank_with_h_is_not_a_valid_code() -> None:
    with pytest.raises(IdentifierError):
        tank_satisfies("RxBN", "RxBH", product_class="2")


def test_malformed_codes_raise_value_errors() -> None:
    with pytest.raises(ValueError):
        tank_satisfies("L5BN", "L4BN", product_class="3")


def test_qualifies_with_either_alternative() -> None:
    verdict = tank_qualifies(["SGAH", "L4BH"], "L10CH", product_class="6.1")
    assert verdict.ok and verdict.satisfied_by == "SGAH"
    assert tank_qualifies(["SGAH", "L4BH"], "L4BN", product_class="6.1").reason == "insufficient"


def test_qualifies_reasons() -> None:
    assert tank_qualifies([], "LGBF", product_class="3").reason == "no_code"
    plus = tank_qualifies(["L4BV(+)"], "L10CH", product_class="5.1", un_number="2426")
    assert plus.reason == "plus_not_approved"
    approval = tank_qualifies(["L4BN"], "L4BN", product_class="5.2", un_number="3101")
    assert approval.reason == "approval_required"


# --- Properties ----------------------------------------------------------------------------------

liquid_codes = st.builds(
    lambda t, p, o, v: f"{t}{p}{o}{v}",
    st.sampled_from(ORDER_TYPE_39),
    st.sampled_from(ORDER_PRESSURE),
    st.sampled_from(ORDER_OPENING),
    st.sampled_from(ORDER_VALVE),
)
gas_pressures = st.one_of(
    st.just("X"),
    st.integers(1, 400).map(str),
    st.tuples(st.integers(1, 99), st.integers(1, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
)


@st.composite
def gas_codes(draw: st.DrawFn, tank_type: str | None = None) -> str:
    kind = tank_type or draw(st.sampled_from("CPR"))
    valve = "N" if kind == "R" else draw(st.sampled_from("NH"))
    suffix = draw(st.sampled_from(["", "(M)"]))
    return f"{kind}{draw(gas_pressures)}{draw(st.sampled_from('BCD'))}{valve}{suffix}"


@settings(max_examples=300, deadline=None)
@given(code=liquid_codes, product_class=st.sampled_from(CLASSES_39))
def test_liquid_order_is_reflexive(code: str, product_class: str) -> None:
    assert tank_satisfies(code, code, product_class=product_class)


@settings(max_examples=300, deadline=None)
@given(code=gas_codes())
def test_gas_order_is_reflexive(code: str) -> None:
    assert tank_satisfies(code, code, product_class="2")


@settings(max_examples=300, deadline=None)
@given(a=liquid_codes, b=liquid_codes, c=liquid_codes, product_class=st.sampled_from(CLASSES_39))
def test_liquid_order_is_transitive(a: str, b: str, c: str, product_class: str) -> None:
    if tank_satisfies(a, b, product_class=product_class) and tank_satisfies(
        b, c, product_class=product_class
    ):
        assert tank_satisfies(a, c, product_class=product_class)


@st.composite
def liquid_chains(draw: st.DrawFn) -> tuple[str, str, str]:
    # Each part of the next code is at least as strict: a ⊑ b ⊑ c by construction.
    orders = (ORDER_TYPE_39, ORDER_PRESSURE, ORDER_OPENING, ORDER_VALVE)
    first = [draw(st.integers(0, len(o) - 1)) for o in orders]
    second = [draw(st.integers(i, len(o) - 1)) for i, o in zip(first, orders, strict=True)]
    third = [draw(st.integers(i, len(o) - 1)) for i, o in zip(second, orders, strict=True)]
    codes = (
        "".join(o[i] for o, i in zip(orders, idx, strict=True)) for idx in (first, second, third)
    )
    a, b, c = codes
    return a, b, c


@settings(max_examples=300, deadline=None)
@given(chain=liquid_chains(), product_class=st.sampled_from(CLASSES_39))
def test_liquid_chains_compose(chain: tuple[str, str, str], product_class: str) -> None:
    a, b, c = chain
    assert tank_satisfies(a, b, product_class=product_class)
    assert tank_satisfies(b, c, product_class=product_class)
    assert tank_satisfies(a, c, product_class=product_class)


@settings(max_examples=500, deadline=None)
@given(kind=st.sampled_from("CPR"), data=st.data())
def test_gas_order_is_transitive(kind: str, data: st.DataObject) -> None:
    a, b, c = (data.draw(gas_codes(kind)) for _ in range(3))
    if tank_satisfies(a, b, product_class="2") and tank_satisfies(b, c, product_class="2"):
        assert tank_satisfies(a, c, product_class="2")
